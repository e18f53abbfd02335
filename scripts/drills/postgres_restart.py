#!/usr/bin/env python3
"""Fault drill b: PostgreSQL restarted under load.

Starts a THROWAWAY PostgreSQL cluster (initdb in a temporary directory, port 55432; the
machine's shared server on 5432 is never touched), migrates a Relais database in it, starts
gunicorn (2 workers × 4 threads) against it, and drives a steady load from 8 client threads
over loopback: the staff portal API (GET /api/v1/tickets), ticket creation with an
Idempotency-Key (POST /api/v1/tickets, retried with the same key after a 503) and /readyz.
After the warm-up it stops PostgreSQL with `pg_ctl stop -m immediate` (a crash), keeps it
down for --down seconds, starts it again, and goes on loading. Relais is never restarted.

It prints, per phase, the responses by status and the slowest response, the time from the
database's return to the first success, and checks: no 500, no answer slower than
--max-seconds while the database is down (requests started just before the stop count in the
"before" phase), every write that got a 503 retried into exactly one ticket.

    .venv/bin/python scripts/drills/postgres_restart.py [--down 5] [--duration 25]

Exit code 0 when every check holds. Results are recorded in docs/operations.md ("Fault
drills"). Needs PostgreSQL 15's server binaries (Debian's postgresql-15).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request  # static-ban: allow (loopback only: the drill talks to its own gunicorn)
import uuid
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 55432
ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")

SEED = """
from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import User
from relais.accounts.services import token_create
from relais.tickets.models import Category
user = User.objects.create_user("exercice@relais.test", "x" * 16, role=Role.COLLABORATOR,
                                display_name="Exercice")
category = Category.objects.filter(parent__isnull=False, is_active=True).first()
if category is None:
    category = Category.objects.create(name="Exercice")
print(token_create(user=user, name="drill", scope=TokenScope.WRITE).secret, category.pk)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_postgres(command: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.data = directory / "pgdata"
        self.socket_dir = directory

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.socket_dir, "postgres")
        subprocess.run(
            as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                         "postgres", "--no-sync"]),
            check=True, capture_output=True,
        )  # fmt: skip

    def ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", *args]),
            check=True, capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        self.ctl(
            "-o",
            f"-p {PG_PORT} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-l",
            str(self.socket_dir / "postgres.log"),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self.ctl("-m", mode, "stop")


class Load:
    """Client threads recording (phase, status, seconds) for every request."""

    def __init__(self, base: str, token: str, category: int) -> None:
        self.base, self.token, self.category = base, token, category
        self.phase = "before"
        self.records: list[tuple[str, str, int, float, float]] = []
        self.created: dict[str, str] = {}  # Idempotency-Key → ticket reference
        self.retried_keys: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def request(self, kind: str, method: str, path: str, body: dict | None = None,
                key: str | None = None) -> tuple[int, dict]:  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(  # noqa: S310 (loopback http only)  # static-ban: allow (drill: loopback)
            self.base + path, data=data, headers=headers, method=method
        )
        started = time.monotonic()
        phase = self.phase
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)  # static-ban: allow (drill)
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        except OSError:
            status, payload = 0, b""  # connection refused/reset: counted as 0
        elapsed = time.monotonic() - started
        with self.lock:
            self.records.append((phase, kind, status, elapsed, time.monotonic()))
        try:
            return status, json.loads(payload or b"{}")
        except ValueError:
            return status, {}

    # One request in `MIX` is a ticket creation, one a /readyz, the others ticket reads.
    MIX = 4

    def ticket_body(self, n: int, i: int, key: str) -> dict:
        return {"category_id": self.category, "title": f"Exercice {n}-{i}",
                "description": "Redémarrage de PostgreSQL"}  # fmt: skip

    def client(self, n: int) -> None:
        i = 0
        while not self.stopping.is_set():
            i += 1
            if i % self.MIX == 0:
                key = f"drill-{n}-{uuid.uuid4().hex}"
                body = self.ticket_body(n, i, key)
                while not self.stopping.is_set():
                    status, payload = self.request("write", "POST", "/api/v1/tickets", body, key)
                    if status == 201:
                        with self.lock:
                            self.created.setdefault(key, payload["reference"])
                        break
                    with self.lock:
                        self.retried_keys.add(key)
                    time.sleep(0.5)  # a client honouring Retry-After, shortened for the drill
            elif i % self.MIX == 1:
                self.request("ready", "GET", "/readyz")
            else:
                self.request("read", "GET", "/api/v1/tickets?page_size=10")
            time.sleep(0.02)


def wait_until_up(base: str, *, attempts: int) -> None:
    """Until the drill's gunicorn answers /healthz (0.2 s between attempts)."""
    for _ in range(attempts):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (loopback)  # static-ban: allow (drill)
            return
        except OSError:
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds of load in all")
    parser.add_argument("--max-seconds", type=float, default=6.0)
    args = parser.parse_args()
    if not (PG_BIN / "initdb").exists():
        print(f"{PG_BIN}/initdb not found (apt-get install postgresql-15)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="relais-drill-pg-"))
    work.chmod(0o755)
    cluster = Cluster(work)
    web: subprocess.Popen[bytes] | None = None
    try:
        cluster.init()
        cluster.start()
        subprocess.run(
            as_postgres([str(PG_BIN.parent / "bin" / "createdb"), "-h", "127.0.0.1", "-p",
                         str(PG_PORT), "-U", "postgres", "relais_drill"]),
            check=True, capture_output=True,
        )  # fmt: skip
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RELAIS_", "DATABASE_URL", "DJANGO_", "PYTEST"))
        }
        env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{PG_PORT}/relais_drill",
            RELAIS_DATA_DIR=str(work / "data"),
            RELAIS_AXES_ENABLED="0",
            RELAIS_LOG_LEVEL="ERROR",
        )
        subprocess.run([PYTHON, "-m", "relais", "migrate", "-v0"], env=env, check=True)
        seeded = subprocess.run(
            [PYTHON, "-m", "relais", "shell", "--no-imports", "-c", SEED],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        token, category = seeded.stdout.split()[-2:]
        port = free_port()
        web = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "relais.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--worker-class", "gthread"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, attempts=100)

        load = Load(base, token, int(category))
        threads = [threading.Thread(target=load.client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        warm_up = (args.duration - args.down) / 2
        time.sleep(warm_up)
        load.phase = "down"
        cluster.stop("immediate")
        down_at = time.monotonic()
        time.sleep(args.down)
        cluster.start()
        back_at = time.monotonic()
        load.phase = "after"
        time.sleep(args.duration - warm_up - args.down)
        load.stopping.set()
        for thread in threads:
            thread.join(timeout=60)

        # How long after the database came back did requests succeed again?
        recovered = min(
            (r[4] for r in load.records if r[4] > back_at and r[2] in (200, 201)), default=None
        )
        summary: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
        slowest: dict[str, float] = collections.defaultdict(float)
        for phase, _kind, status, elapsed, _at in load.records:
            summary[phase][status] += 1
            slowest[phase] = max(slowest[phase], elapsed)
        print(f"PostgreSQL down {back_at - down_at:.1f} s (pg_ctl stop -m immediate, then start)")
        if recovered is not None:
            print(f"first success {recovered - back_at:.2f} s after the database was back")
        print("| phase | requests | by status | slowest |")
        print("|---|---|---|---|")
        for phase in ("before", "down", "after"):
            counts = ", ".join(f"{s}: {n}" for s, n in sorted(summary[phase].items()))
            total = sum(summary[phase].values())
            print(f"| {phase} | {total} | {counts} | {slowest[phase]:.2f} s |")

        # Checks.
        tickets = subprocess.run(
            [PYTHON, "-m", "relais", "shell", "--no-imports", "-c",
             "from relais.tickets.models import Ticket\n"
             "import collections, json\n"
             "titles = collections.Counter(Ticket.objects.values_list('title', flat=True))\n"
             "print(json.dumps({'count': sum(titles.values()), 'dupes': "
             "sum(1 for n in titles.values() if n > 1)}))"],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        counts = json.loads(tickets.stdout.strip().splitlines()[-1])
        all_statuses = collections.Counter(r[2] for r in load.records)
        problems = []
        if all_statuses.get(500):
            problems.append(f"{all_statuses[500]} responses were 500")
        if all_statuses.get(0):
            problems.append(f"{all_statuses[0]} requests got no HTTP answer")
        if slowest["down"] > args.max_seconds:  # fail fast, not hang, while it is down
            problems.append(f"a response took {slowest['down']:.1f} s while the database was down")
        if summary["down"].get(503, 0) == 0:
            problems.append("no 503 while the database was down")
        if recovered is None:
            problems.append("no 200 after the database came back")
        if counts["dupes"] or counts["count"] != len(load.created):
            problems.append(
                f"{counts['count']} tickets for {len(load.created)} accepted writes "
                f"({counts['dupes']} titles twice)"
            )
        print(
            f"writes accepted: {len(load.created)} (of which retried after a 503: "
            f"{len(load.retried_keys & set(load.created))}); tickets in the database: "
            f"{counts['count']}, duplicates: {counts['dupes']}"
        )
        print("OK" if not problems else "FAILED: " + "; ".join(problems))
        return 0 if not problems else 1
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=20)
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
