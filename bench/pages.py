"""What one service-desk request costs, alone: `python -m bench pages --database sqlite|postgres
[--tickets N] [--profile]`.

Seeds N tickets (5 replies each, as `bench tickets` does) in its own instance the first time
(`--reseed` to start again), then calls the agent queue page, the API list, a ticket page and
ticket creation through Django's test client in this process: median wall time and CPU over
30 calls after warm-up, and the number of queries; each operation's SQL goes to
var/bench/pages-<database>-<operation>-queries.sql. `--profile` writes a cProfile listing per
operation under var/bench/ (by cumulative time, and by own time in `…-own.txt`). Under 16
concurrent clients on 2 cores, latency ≈ 16 × this CPU / 2: the figure to lower for issue 3.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.tickets import bench_environment, django_setup, fresh_instance, relais, seed


def _operations() -> dict[str, Callable[[], Any]]:
    from django.test import Client

    from relais.accounts.choices import TokenScope
    from relais.accounts.models import Team, User
    from relais.accounts.services import token_create
    from relais.tickets.models import Category, Ticket

    agent = User.objects.get(email="agent@relais.test")
    html = Client(HTTP_HOST="127.0.0.1")
    html.force_login(agent)
    secret = token_create(user=agent, name=f"bench {time.time()}", scope=TokenScope.WRITE).secret
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    teams = list(Team.objects.filter(members=agent).values_list("pk", flat=True))
    references = list(
        Ticket.objects.filter(team__in=teams)
        .order_by("-pk")
        .values_list("reference", flat=True)[:50]
    )
    category = Category.objects.filter(parent__isnull=False).values_list("pk", flat=True)[0]
    turn = [0]

    def ticket_page() -> Any:
        turn[0] += 1
        return html.get(f"/demandes/{references[turn[0] % len(references)]}/")

    body = json.dumps(
        {
            "category_id": category,
            "title": "Le VPN se déconnecte",
            "description": "Depuis ce matin.",
        }
    )
    return {
        "agent queue page": lambda: html.get("/guichet/?queue=team"),
        "API list": lambda: api.get("/api/v1/tickets?queue=team"),
        "ticket page": ticket_page,
        "open a ticket (API)": lambda: api.post(
            "/api/v1/tickets", data=body, content_type="application/json"
        ),
    }


def _count(
    executed: list[str], execute: Any, sql: str, params: Any, many: bool, context: Any
) -> Any:
    executed.append(sql)
    return execute(sql, params, many, context)


def measure(profile: bool, database: str) -> dict[str, dict[str, float]]:
    from django.db import connection

    results: dict[str, dict[str, float]] = {}
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    for name, operation in _operations().items():
        status = operation().status_code
        assert status in (200, 201), (name, status)
        for _ in range(5):
            operation()
        executed: list[str] = []
        with connection.execute_wrapper(partial(_count, executed)):
            operation()
        slug = name.split(" (")[0].replace(" ", "-")
        (out / f"pages-{database}-{slug}-queries.sql").write_text(";\n\n".join(executed) + "\n")
        walls, cpus = [], []
        for _ in range(30):
            w0, c0 = time.perf_counter(), time.process_time()
            operation()
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        results[name] = {
            "median_ms": round(statistics.median(walls) * 1000, 1),
            "cpu_ms": round(statistics.median(cpus) * 1000, 1),
            "queries": len(executed),
        }
        print(name, results[name], flush=True)
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(30):
                operation()
            profiler.disable()
            with (out / f"pages-{database}-{slug}.txt").open("w") as handle:
                pstats.Stats(profiler, stream=handle).sort_stats("cumulative").print_stats(80)
            with (out / f"pages-{database}-{slug}-own.txt").open("w") as handle:
                pstats.Stats(profiler, stream=handle).sort_stats("tottime").print_stats(60)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench pages")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    env = bench_environment(args.database, "bench-pages")
    marker = Path(env["RELAIS_DATA_DIR"]) / f"seeded-{args.tickets}"
    if args.reseed or not marker.exists():
        fresh_instance(env, args.database)
        seed(args.tickets, args.tickets * 5, args.database)
        relais(env, "reports-rebuild")
        marker.write_text("1")
    else:
        relais(env, "migrate", "-v0")
        django_setup(env)
    results = measure(args.profile, args.database)
    Path("var/bench", f"pages-{args.database}.json").write_text(json.dumps(results, indent=2))
    return 0
