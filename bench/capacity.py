"""Baseline capacity (SECURITY.md J1): `python -m bench capacity [--name capacity] [--users 300]`.

Where `bench load` pushes a mix at closed-loop concurrency until the machine saturates, this
drives what the organisation's peak looks like, all at once, for `--duration` seconds:
- `--users` people (300) signed in and working: each is one connection doing the people's
  part of the load mix (portal, tickets, search and suggestions for collaborators; queues,
  ticket pages and replies for agents), with a think time between requests drawn from an
  exponential law of mean `--think` seconds (10 s: reading a page, typing), cut at 60 s;
- a burst of `--creations` tickets per minute (50: Monday 9:00) through the portal form;
- `--api-rate` API requests per second (10: integrations listing and reading tickets);
- `--status-rate` anonymous requests per second on the public status page (200).
Each stream is its own wrk process (one connection per wrk thread, paced by wrk's `delay()`),
against the production layout of `bench load` (gunicorn 2 processes × 4 threads, a worker and
a prober, PostgreSQL and Redis). It reports, per stream and per action, the rate reached and
p50/p95/p99, the errors, and the most database connections seen (sampled every 0.5 s from
`pg_stat_activity`), against J1's expectations: pages p95 < 500 ms, status page p95 < 300 ms,
no error, connections bounded by the pools.

The instance is `bench load`'s (seed it with `python -m bench load --seed-only --name NAME …`);
results: var/bench/capacity-postgres.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import load
from bench.http_baseline import free_port
from bench.tickets import ROOT, bench_environment, django_setup, relais

# The people's part of the mix: `bench load`'s actions but the API, the status page and the
# ticket creations, which are streams of their own here.
PEOPLE = [
    "portal home",
    "my tickets",
    "my ticket page",
    "new ticket form",
    "suggestions while typing",
    "search page",
    "agent queue",
    "agent ticket page",
    "reply (agent)",
]
API = ["API list", "API retrieve"]
CREATION = ["open a ticket (portal form)"]
STATUS = ["public status page"]
PAGES_P95_MS, STATUS_P95_MS = 500, 300
# The longest think time drawn, below the server's keep-alive (75 s, `--keep-alive` in
# deploy/relais-web.service and here). A connection must never sit idle past it inside wrk's
# delay(): the server closes it, wrk reconnects and arms a second delay timer, and the
# connection then sends a second request while the first is in flight — more load than asked
# and answers counted against the wrong action (session 7's "errors" were this, against
# gunicorn's 2 s default). Closing instead after each answer does not work either: wrk
# reconnects at once and then thinks, and gunicorn's threaded worker lends each new, silent
# connection a thread for up to 5 s.
THINK_CAP_MS = 60_000


def stream_script(base: str, actions: list[str], pace_ms: float, exponential: bool) -> str:
    """`bench load`'s Lua script restricted to `actions` (their weights kept), paced. Each
    connection sends its first request at once, then:
    - people (`exponential`): think for an exponential time of mean `pace_ms` after each
      answer (a closed loop, as a person reads before clicking);
    - the other streams: send on a fixed schedule, one request every `pace_ms` from the first,
      whatever the answers' times (catching up at once when behind), so that the stream offers
      its rate (200 status-page requests a second are 200, not 200 minus the waiting).
    The first request is not delayed because gunicorn's threaded worker gives a new connection
    a thread that waits up to 5 s for its request (then parks it): hundreds of connections
    opened and left silent stall every thread, which is not what a browser or nginx does."""
    chosen, total = [], 0
    for name in actions:
        weight, _who, expect = load.MIX[name]
        total += weight
        chosen.append([name, total, expect])
    script = load.replace_data(base, {"ACTIONS": chosen, "TOTAL": total})
    if exponential:
        pacing = f"""
local first = true
function delay()
  if first then first = false; return 0 end
  return math.min({THINK_CAP_MS}, math.floor(-math.log(1 - math.random()) * {pace_ms:.0f}))
end
"""
    else:
        pacing = f"""
local next_at = nil
function delay()
  local now = now_us() / 1000
  if next_at == nil then next_at = now + {pace_ms:.3f}; return 0 end
  local wait = next_at - now
  next_at = next_at + {pace_ms:.3f}
  if wait < 0 then return 0 end
  return math.floor(wait)
end
"""
    return script + pacing


def read_after(run_dir: Path, settle_s: float) -> list[tuple[str, int, bool, float]]:
    """The records of requests started after the first `settle_s` seconds."""
    records = []
    for log in run_dir.glob("t*.log"):
        for line in log.read_text().splitlines():
            action, status, ok, micros, start = line.split("\t")
            if int(start) >= settle_s * 1_000_000:
                records.append((action, int(status), ok == "1", int(micros) / 1000))
    return records


def connections_seen(database_name: str, stop: threading.Event, seen: list[int]) -> None:
    import psycopg

    with psycopg.connect(load.PG_ADMIN_URL, autocommit=True) as admin:
        while not stop.is_set():
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database_name]
            ).fetchone()
            seen.append(int(row[0]) if row else 0)
            stop.wait(0.5)


def run_stream(
    port: int,
    script: str,
    work: Path,
    connections: int,
    seconds: int,
    settle: int,
    results: dict[str, Any],
) -> None:
    run_dir, _output, cpu = load.wrk(port, script, work, connections, settle + seconds)
    results["records"] = read_after(run_dir, settle)
    results["wrk_cpu_s"] = round(cpu, 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench capacity")
    parser.add_argument("--name", default="capacity", help="bench load's instance (relais_<name>)")
    parser.add_argument("--users", type=int, default=300, help="people signed in and working")
    parser.add_argument("--think", type=float, default=10.0, help="mean think time, seconds")
    parser.add_argument("--creations", type=int, default=50, help="tickets opened per minute")
    parser.add_argument("--api-rate", type=float, default=10.0, help="API requests per second")
    parser.add_argument("--status-rate", type=float, default=200.0, help="status page req/s")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument(
        "--settle", type=int, default=20, help="seconds left out at the start of the run"
    )
    parser.add_argument("--collaborators", type=int, default=400, help="signed-in requesters")
    parser.add_argument(
        "--web-workers", type=int, default=4, help="gunicorn processes (deploy: 2 × cores)"
    )
    parser.add_argument("--redis-db", type=int, default=9, help="flushed before the run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is required: apt-get install wrk")
        return 1
    env = bench_environment("postgres", args.name)
    env["RELAIS_AXES_ENABLED"] = "1"
    env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
    if not (Path(env["RELAIS_DATA_DIR"]) / "seeded.json").exists():
        print(f"seed first: python -m bench load --seed-only --name {args.name} …")
        return 1
    seeded = json.loads((Path(env["RELAIS_DATA_DIR"]) / "seeded.json").read_text())
    relais(env, "migrate", "-v0")
    django_setup(env)
    subprocess.run(["redis-cli", "-n", str(args.redis_db), "flushdb"], check=True)
    people = load.actors(args.collaborators)
    base = load.lua_script(people, Path("__OUT_DIR__"))
    # Status page and API streams: a fixed pace per connection; one connection per 10 req/s
    # keeps each one's pause well above the response time.
    status_connections = max(1, round(args.status_rate / 10))
    api_connections = max(1, round(args.api_rate / 2))
    creation_connections = 2
    streams = {
        "people": (PEOPLE, args.users, args.think * 1000, True),
        "status page": (
            STATUS, status_connections, 1000 * status_connections / args.status_rate, False,
        ),
        "API": (API, api_connections, 1000 * api_connections / args.api_rate, False),
        "ticket creations": (
            CREATION, creation_connections, 60_000 * creation_connections / args.creations, False,
        ),
    }  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="relais-capacity-"))
    port = free_port()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    # No worker recycling (`--max-requests`) during the run: a recycled worker drops the
    # connections it keeps, and wrk (unlike a browser or nginx) reconnects at once and stays
    # silent for the think time, which gunicorn's threaded worker pays with a thread held for
    # up to 5 s (see THINK_CAP_MS).
    processes = load.start_system(
        env, "postgres", port, web_workers=args.web_workers, max_requests=0
    )
    database_name = env["DATABASE_URL"].rsplit("/", 1)[1]
    report: dict[str, Any] = {}
    seen: list[int] = []
    try:
        load.smoke(port, base, work)
        load.wrk(port, base, work, 16, args.warmup)  # caches, plans, connections
        stop = threading.Event()
        sampler = threading.Thread(target=connections_seen, args=(database_name, stop, seen))
        sampler.start()
        results: dict[str, dict[str, Any]] = {name: {} for name in streams}
        threads = [
            threading.Thread(
                target=run_stream,
                args=(
                    port,
                    stream_script(base, actions, pace, exponential),
                    work,
                    connections,
                    args.duration,
                    args.settle,
                    results[name],
                ),
            )
            for name, (actions, connections, pace, exponential) in streams.items()
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        for name, (_actions, connections, pace, _exp) in streams.items():
            summary = load.summarise(results[name]["records"], args.duration)
            summary["connections"] = connections
            summary["pace_ms"] = round(pace)
            summary["wrk_cpu_s"] = results[name]["wrk_cpu_s"]
            summary["error_statuses"] = dict(
                Counter(f"{r[0]} → {r[1]}" for r in results[name]["records"] if not r[2])
            )
            report[name] = summary
        report["_elapsed_s"] = round(elapsed, 1)
    finally:
        load.stop_system(processes)
        shutil.rmtree(work, ignore_errors=True)
    pages_ok = all(
        (report[name]["overall"]["p95_ms"] or 0) < PAGES_P95_MS
        for name in ("people", "API", "ticket creations")
    )
    status_ok = (report["status page"]["overall"]["p95_ms"] or 0) < STATUS_P95_MS
    errors = sum(report[name]["overall"]["errors"] for name in streams)
    lines = [
        f"J1 on `{args.name}` ({seeded['tickets']:,} tickets, {seeded['users']:,} people), "
        f"{args.duration} s after {args.settle} s, load average before {' '.join(load_before)}:",
        "",
        "| stream | connections | requests/s | p50 | p95 | p99 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in streams:
        o = report[name]["overall"]
        lines.append(
            f"| {name} | {report[name]['connections']} | {o['rps']} | {o['p50_ms']} ms | "
            f"{o['p95_ms']} ms | {o['p99_ms']} ms | {o['errors']} |"
        )
    lines += [
        "",
        "| action (people) | requests | p95 |",
        "|---|---:|---:|",
        *(
            f"| {action} | {stats['requests']} | {stats['p95_ms']} ms |"
            for action, stats in report["people"]["actions"].items()
            if stats["requests"]
        ),
        "",
        f"Pages p95 < {PAGES_P95_MS} ms: {'yes' if pages_ok else 'NO'}; status page p95 < "
        f"{STATUS_P95_MS} ms: {'yes' if status_ok else 'NO'}; errors: {errors}; database "
        f"connections: at most {max(seen, default=0)} ({args.web_workers} web processes × (4 "
        "threads + 2 search) + worker + prober).",
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "capacity-postgres.md").write_text(table + "\n")
    (out / "capacity-postgres.json").write_text(
        json.dumps(
            {
                "instance": args.name,
                "seeded": seeded,
                "load_average_before": load_before,
                "arguments": vars(args),
                "max_database_connections": max(seen, default=0),
                "streams": report,
                "pid": os.getpid(),
            },
            indent=2,
        )
    )
    return 0 if pages_ok and status_ok and errors == 0 else 2
