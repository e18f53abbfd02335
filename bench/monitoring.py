"""Service-watch benchmark, with local targets it starts itself.

- prober: one `relais prober` process keeps N HTTP checks (a fresh connection each) at a
  30 s interval against a local aiohttp target; reports p99 lateness, CPU (cores) and RSS.
- storage: the database after a simulated year of 200 checks at 60 s (14 days of raw
  results, a year of hourly and daily rollups).
- status: the public status page served from cache by gunicorn under concurrent clients.

- healthy run: the prober part without an outage, for the issue's "zero false DOWN in a
  10-minute run against healthy targets".

The prober part also runs `relais worker` and a local SMTP sink: the alert's delivery time is
measured from the service going DOWN to the on-call mail arriving (the issue: "the alert
leaves ≤ 5 s after detection").

    python -m bench monitoring --database sqlite --part prober --checks 15000 --duration 120
    python -m bench monitoring --database sqlite --healthy-run 600 --checks 15000
    python -m bench monitoring --database sqlite --part storage
    python -m bench monitoring --database sqlite --part status
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.http_baseline import free_port, load, wait_ready
from bench.tickets import bench_environment, django_setup, fresh_instance

TARGET_SERVER = """
import sys
from aiohttp import web  # static-ban: allow (the benchmark's local target)

DOWN = set()

async def ok(request):
    if request.path in DOWN:
        return web.Response(status=503, text="down")
    return web.Response(text="OK")

async def stop(request):
    DOWN.update((await request.text()).split())
    return web.Response(text="stopped")

app = web.Application()
app.router.add_post("/_stop", stop)
app.router.add_get("/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None,
            backlog=4096)
"""


def _proc_cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _post(port: int, path: str, body: str) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", path, body=body.encode())
    conn.getresponse().read()
    conn.close()


class _MailSink:
    """A local SMTP server noting when each message arrives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                sink.arrivals.append((datetime.now(UTC), list(envelope.rcpt_tos)))
                return "250 OK"

        self.arrivals: list[tuple[datetime, list[str]]] = []
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def bench_prober(
    env: dict[str, str], database: str, checks: int, duration: float, outage: int = 100
) -> dict:
    fresh_instance(env, database)
    from relais.monitoring.models import AlertChannel, Check, Service

    service = Service.objects.create(name="Bench")
    # The on-call team's address: the alert becomes an outbox row when the service goes down.
    AlertChannel.objects.create(name="Équipe", kind="email", target="astreinte@example.org")
    port = free_port()
    Check.objects.bulk_create(
        [
            Check(
                service=service,
                name=f"http {n}",
                kind="http",
                target=f"http://127.0.0.1:{port}/c{n}",
                interval_seconds=30,
                timeout_seconds=10,
            )
            for n in range(checks)
        ],
        batch_size=2000,
    )
    target = subprocess.Popen([sys.executable, "-c", TARGET_SERVER, str(port)])
    report_path = Path(tempfile.mkdtemp()) / "prober.json"
    mail = _MailSink()
    mail_env = {
        **env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail.port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "relais", "worker", "--workers", "2", "--no-periodic"],
        env=mail_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.5)
        prober = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "relais",
                "prober",
                "--duration",
                str(duration),
                "--report",
                str(report_path),
            ],
            env=mail_env,
            stdout=subprocess.DEVNULL,
        )
        # CPU from the process itself over the measured window (after start-up).
        time.sleep(5)
        cpu_start, wall_start = _proc_cpu_seconds(prober.pid), time.monotonic()
        peak_rss = 0.0
        stopped_at = None
        while prober.poll() is None:
            if outage and stopped_at is None and time.monotonic() - wall_start > 10:
                # An outage: the first `outage` targets start answering 503.
                stopped_at = datetime.now(UTC)
                _post(port, "/_stop", " ".join(f"/c{n}" for n in range(outage)))
            try:
                status = Path(f"/proc/{prober.pid}/status").read_text()
                rss_kb = int(
                    next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[
                        1
                    ]
                )
                peak_rss = max(peak_rss, rss_kb / 1024)
                cpu_end, wall_end = _proc_cpu_seconds(prober.pid), time.monotonic()
            except (OSError, StopIteration):
                break
            time.sleep(1)
        prober.wait()
        time.sleep(5)  # the worker delivers what the last batch sent
    finally:
        target.terminate()
        target.wait()
        worker.terminate()
        worker.wait()
        mail.stop()
    report = json.loads(report_path.read_text())
    report.pop("check_ids", None)
    from relais.core.models import OutboxMessage
    from relais.monitoring.models import Alert, CheckResult, Incident

    stopped_ids = list(
        Check.objects.filter(name__in=[f"http {n}" for n in range(outage)]).values_list(
            "pk", flat=True
        )
    )
    false_down = CheckResult.objects.exclude(state="up").exclude(check_ref__in=stopped_ids)
    detections = [
        (since - stopped_at).total_seconds()
        for since, state in Check.objects.filter(pk__in=stopped_ids).values_list(
            "state_since", "state"
        )
        if state == "down" and stopped_at is not None
    ]
    service = Service.objects.get(name="Bench")
    first_alert = (
        OutboxMessage.objects.order_by("created_at").values_list("created_at", flat=True).first()
    )
    first_mail = min(
        (at for at, rcpt in mail.arrivals if "astreinte@example.org" in rcpt), default=None
    )
    report.update(
        {
            "cores_used": round((cpu_end - cpu_start) / (wall_end - wall_start), 3),
            "peak_rss_mb": round(peak_rss, 1),
            "results_stored": CheckResult.objects.count(),
            "false_down_results": false_down.count(),
            "outage_checks": outage,
            "outage_detected": len(detections),
            "detection_max_s": round(max(detections), 1) if detections else None,
            "detection_bound_s": 30 * 3 + 10,
            "service_down_after_s": round((service.state_since - stopped_at).total_seconds(), 1)
            if stopped_at and service.state == "down"
            else None,
            "alert_written_after_down_s": round(
                (first_alert - service.state_since).total_seconds(), 2
            )
            if first_alert and service.state == "down"
            else None,
            "alert_mail_received_after_down_s": round(
                (first_mail - service.state_since).total_seconds(), 2
            )
            if first_mail and service.state == "down"
            else None,
            "incidents": Incident.objects.count(),
            "alerts": Alert.objects.count(),
            "mails_received": len(mail.arrivals),
        }
    )
    return report


def bench_storage(env: dict[str, str], database: str, checks: int = 200) -> dict:
    """A year of 200 checks at 60 s as the database holds it after the purge: the last 14
    days of raw results and a year of day rows with their hours. Rows are written in time
    order, as the prober and the hourly rollup write them (the order decides how full the
    index pages are)."""
    fresh_instance(env, database)
    from django.db import connection

    from relais.monitoring.models import Check, DailyRollup, HourSlot, Service
    from relais.monitoring.services.results import INSERT_RESULT_SQL

    service = Service.objects.create(name="Stockage")
    created = Check.objects.bulk_create(
        [
            Check(service=service, name=f"c{n}", kind="http", target=f"http://10.0.0.{n % 250}/")
            for n in range(checks)
        ]
    )
    ids = [c.pk for c in created]
    rng = random.Random(1)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    started = time.monotonic()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for day in range(14, 0, -1):  # 14 days of raw results, one per minute per check
            rows = []
            for minute in range(1440, 0, -1):
                at = adapt(now - timedelta(days=day - 1, minutes=minute))
                rows += [(i, at, "up", rng.randint(20, 80), 200, "", "", "") for i in ids]
            cursor.executemany(INSERT_RESULT_SQL, rows)
        insert_daily = (
            "INSERT INTO monitoring_dailyrollup (day, check_ref_id, total, failures,"
            " latency_p50_ms, latency_p95_ms, hours) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        )
        for d in range(365, 0, -1):
            day_value = connection.ops.adapt_datefield_value((now - timedelta(days=d)).date())
            rows = []
            for i in ids:
                row = DailyRollup()
                row.hours_set([HourSlot(60, 0, rng.randint(35, 45), 90) for _h in range(24)])
                rows.append(
                    (
                        day_value,
                        i,
                        row.total,
                        row.failures,
                        row.latency_p50_ms,
                        row.latency_p95_ms,
                        row.hours,
                    )
                )
            cursor.executemany(insert_daily, rows)
    load_seconds = time.monotonic() - started
    sizes: dict[str, float] = {}
    with connection.cursor() as cursor:
        if database == "postgres":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
            cursor.execute(
                "SELECT relname, pg_relation_size(oid) FROM pg_class "
                "WHERE relname LIKE 'monitoring_checkresult%%' OR relname LIKE 'mon_result%%' "
                "OR relname LIKE 'monitoring_dailyrollup%%'"
            )
            sizes = {name: round(value / 1024 / 1024, 1) for name, value in cursor.fetchall()}
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = pages * cursor.fetchone()[0]
    return {
        "checks": checks,
        "raw_rows": checks * 14 * 1440,
        "hour_slots": checks * 365 * 24,
        "daily_rows": checks * 365,
        "database_mib": round(size / 1024 / 1024, 1),
        "database_mb": round(size / 1000 / 1000, 1),
        "relations_mib": sizes,
        "load_seconds": round(load_seconds, 1),
    }


def bench_status(env: dict[str, str], database: str, clients: int, requests: int) -> dict:
    fresh_instance(env, database)
    import random as _random

    from relais.accounts.models import User
    from relais.core.demo import DemoContext
    from relais.monitoring import demo as monitoring_demo

    ctx = DemoContext(rng=_random.Random(1))
    ctx.data["users"] = list(User.objects.all())
    monitoring_demo.seed(ctx)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "relais.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port)
        load(port, "/veille/statut-public/", {}, 4, 200)  # warm the cache of each worker
        result = load(port, "/veille/statut-public/", {}, clients, requests)
    finally:
        server.terminate()
        server.wait()
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench monitoring")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--part", choices=["prober", "storage", "status", "all", "none"], default="all"
    )
    parser.add_argument("--checks", type=int, default=15000)
    parser.add_argument("--duration", type=float, default=150)
    parser.add_argument("--outage", type=int, default=100, help="targets stopped after 10 s")
    parser.add_argument(
        "--healthy-run",
        type=float,
        default=0,
        metavar="SECONDS",
        help="the prober part for SECONDS against healthy targets only (no outage)",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=8000)
    args = parser.parse_args(argv)
    env = bench_environment(args.database, "monitoring")
    # The benchmark's targets are on loopback (allowed outside production only).
    env["RELAIS_MONITORING_ALLOW_LOOPBACK"] = "1"
    env["RELAIS_MONITORING_DEMO_TARGETS_PORT"] = "0"
    django_setup(env)
    results = {}
    if args.healthy_run:
        results["healthy"] = bench_prober(env, args.database, args.checks, args.healthy_run, 0)
        print(json.dumps(results["healthy"]), flush=True)
        args.part = "none"
    if args.part in ("prober", "all"):
        results["prober"] = bench_prober(
            env, args.database, args.checks, args.duration, args.outage
        )
        print(json.dumps(results["prober"]), flush=True)
    if args.part in ("storage", "all"):
        results["storage"] = bench_storage(env, args.database)
        print(json.dumps(results["storage"]), flush=True)
    if args.part in ("status", "all"):
        results["status"] = bench_status(env, args.database, args.clients, args.requests)
        print(json.dumps(results["status"]), flush=True)
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    name = f"monitoring-{args.database}{'-healthy' if args.healthy_run else ''}.json"
    (out / name).write_text(json.dumps(results, indent=2))
    return 0
