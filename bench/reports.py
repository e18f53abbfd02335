"""Reports benchmark: every dashboard's p95 with 1,000,000 tickets.

Seeds the tickets with the desk benchmark's COPY seeding (`bench.tickets.seed`: three years of
tickets), varies their priority and channel and rates one resolved ticket in five, then times
`relais reports-rebuild` (the facts from the tickets) and each dashboard page (in-process client,
the full HTML page) as a supervisor (every ticket) and as an agent (one team), over this month,
this quarter and last month.

    python -m bench reports --database postgres --tickets 1000000
    python -m bench reports --database sqlite --tickets 100000
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench.assets import analyze
from bench.http_baseline import measure
from bench.tickets import ROOT, bench_environment, fresh_instance, relais, seed

PERIODS = ["month", "quarter", "previous_month"]

# Constant SQL (no input): spread priorities and channels, and rate a fifth of the resolved
# tickets the day after their resolution.
VARY_POSTGRES = [
    "UPDATE tickets_ticket SET priority = (ARRAY['P1','P2','P3','P4','P3','P4'])[1 + id % 6], "
    "channel = (ARRAY['portal','email','phone','portal','walk_in','api'])[1 + id % 6], "
    "first_response_breached = (id % 9 = 0), resolution_breached = (id % 7 = 0)",
    "INSERT INTO tickets_satisfaction (ticket_id, rating, comment, created_at) "
    "SELECT id, 1 + id % 5, CASE WHEN id % 4 = 0 THEN 'Merci pour votre aide.' ELSE '' END, "
    "resolved_at + interval '1 day' FROM tickets_ticket "
    "WHERE resolved_at IS NOT NULL AND id % 5 = 0",
]
VARY_SQLITE = [
    "UPDATE tickets_ticket SET priority = 'P' || (1 + id % 4), "
    "channel = CASE id % 3 WHEN 0 THEN 'portal' WHEN 1 THEN 'email' ELSE 'phone' END, "
    "first_response_breached = (id % 9 = 0), resolution_breached = (id % 7 = 0)",
    "INSERT INTO tickets_satisfaction (ticket_id, rating, comment, created_at) "
    "SELECT id, 1 + id % 5, CASE WHEN id % 4 = 0 THEN 'Merci pour votre aide.' ELSE '' END, "
    "datetime(resolved_at, '+1 day') FROM tickets_ticket "
    "WHERE resolved_at IS NOT NULL AND id % 5 = 0",
]


def vary(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in VARY_POSTGRES if database == "postgres" else VARY_SQLITE:
            cursor.execute(sql)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reports")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="measured per dashboard and role")
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database")
    args = parser.parse_args(argv)

    env = bench_environment(args.database, "bench-reports")
    seeded: dict[str, Any] = {}
    if not args.reuse:
        fresh_instance(env, args.database)
        seconds = seed(args.tickets, 0, args.database)
        vary(args.database)
        seeded["seed_seconds"] = round(seconds, 1)
        print(f"seeded {args.tickets:,} tickets in {seconds:.0f} s", flush=True)
        started = time.perf_counter()
        out = relais(env, "reports-rebuild")
        seeded["rebuild_seconds"] = round(time.perf_counter() - started, 1)
        print(out.strip(), flush=True)
        analyze(args.database)
    else:
        from bench.tickets import django_setup

        relais(env, "migrate", "-v0")
        django_setup(env)

    from django.test import Client

    from relais.accounts.models import User
    from relais.reports.choices import DashboardKey

    clients = {}
    for role, email in (("supervisor", "superviseur@relais.test"), ("agent", "agent@relais.test")):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(email=email))
        clients[role] = client
    samples = [PERIODS[i % len(PERIODS)] for i in range(args.requests)]
    results: dict[str, Any] = {}
    for key in DashboardKey.values:
        for role, client in clients.items():

            def page(period: str, key: str = key, client: Any = client) -> None:
                response = client.get(f"/rapports/{key}/", {"period": period})
                assert response.status_code == 200, response.status_code

            label = f"{key} ({role})"
            results[label] = measure(label, page, samples)

    def monthly(_: Any) -> None:
        response = clients["supervisor"].get("/rapports/mensuel/")
        assert response.status_code == 200, response.status_code

    results["monthly report (supervisor)"] = measure(
        "monthly report (supervisor)", monthly, range(max(5, args.requests // 3))
    )
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"reports-{args.database}.json").write_text(
        json.dumps(
            {"database": args.database, "tickets": args.tickets, **seeded, "results": results},
            indent=2,
        )
    )
    return 0
