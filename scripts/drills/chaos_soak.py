#!/usr/bin/env python3
"""Chaos soak (SECURITY.md I7): the durability invariants hold while single processes crash.

Runs Relais as in production on this machine, every process its own: gunicorn (2 gthread
workers), two `relais worker` processes, a Redis server of its own, an SMTP sink (aiosmtpd)
and a database of its own on the PostgreSQL server given by --database-url (created, and
dropped at the end). A small load runs from client threads: ticket creation through the API
with an Idempotency-Key (retried with the same key after a 503 or a dropped connection),
ticket reads, /readyz. For --minutes, at random intervals, one fault at a time: a worker
SIGKILLed (restarted 2 s later) or Redis killed and restarted after a few seconds.

At the end the load stops, the faults stop, and the outbox is given --drain seconds (default
420: a message held by a killed worker is retried once its 5-minute delivery lease is over)
to empty.
Then it counts and checks:
- HTTP 5xx other than 503 (must be 0), and requests without an answer;
- duplicate tickets (two tickets for one Idempotency-Key: must be 0) and accepted writes
  without a ticket (must be 0);
- lost mails: tickets whose acknowledgement never reached the SMTP sink (must be 0), and
  acknowledgements received more than once (allowed only with the same Message-ID).

    .venv/bin/python scripts/drills/chaos_soak.py [--minutes 3] [--clients 4]
        [--database-url postgres://postgres@127.0.0.1:5432/relais_soak] [--seed 1]

Exit code 0 when every check holds. The recorded run is in docs/operations.md ("Fault drills").
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")

from scripts.drills.postgres_restart import SEED, free_port, wait_until_up  # noqa: E402
from scripts.drills.postgres_restart import Load as DrillLoad  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.smtp import SmtpServer  # noqa: E402

REFERENCE = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{4,}\b")
OUTBOX_STATE = (
    "from relais.core.models import OutboxMessage\n"
    "from relais.tickets.models import Ticket\n"
    "import collections, json\n"
    "print(json.dumps({'outbox': dict(collections.Counter("
    "OutboxMessage.objects.values_list('status', flat=True))),"
    " 'tickets': list(Ticket.objects.values_list('reference', 'title'))}))"
)


class Load(DrillLoad):
    """The client threads of drill b (every answer recorded as (phase, kind, status, seconds,
    time)), with a soak's mix: a third writes, a third reads, a third /readyz."""

    MIX = 3

    def ticket_body(self, n: int, i: int, key: str) -> dict:
        # The title carries the Idempotency-Key: a duplicate or a lost write shows by title.
        return {"category_id": self.category, "title": f"Soak {key}", "description": "Chaos soak"}


def relais(env: dict[str, str], *args: str, capture: bool = True) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "relais", *args], env=env, check=True, capture_output=capture, text=True
    )
    return done.stdout if capture else ""


def psql(admin_url: str, sql: str) -> None:
    parts = urlsplit(admin_url)
    subprocess.run(
        ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "postgres", "-d", "postgres", "-q", "-c", sql],
        check=True, capture_output=True,
    )  # fmt: skip


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Its own process group, so that a SIGKILL takes its children too.
    return subprocess.Popen(
        [PYTHON, "-m", "relais", "worker"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    # A message held by a SIGKILLed worker waits out its lease (core.services.DELIVERY_LEASE,
    # 5 min) before the minute sweep retries it: the drain must outlast both.
    parser.add_argument("--drain", type=float, default=420.0)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/relais_soak")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    chance = random.Random(args.seed)  # noqa: S311 (fault schedule, not security)
    database = urlsplit(args.database_url).path.lstrip("/")
    work = Path(tempfile.mkdtemp(prefix="relais-soak-"))
    redis_server = RedisServer(work)
    smtp = SmtpServer()
    web: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = []
    faults: collections.Counter[str] = collections.Counter()
    try:
        psql(args.database_url, f'DROP DATABASE IF EXISTS "{database}"')
        psql(args.database_url, f'CREATE DATABASE "{database}"')
        redis_server.start()
        smtp.start()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RELAIS_", "DATABASE_URL", "DJANGO_", "PYTEST", "REDIS_"))
        }
        env.update(
            DATABASE_URL=args.database_url,
            REDIS_URL=redis_server.url,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            RELAIS_DATA_DIR=str(work / "data"),
            RELAIS_AXES_ENABLED="0",
            RELAIS_LOG_LEVEL="ERROR",
        )
        relais(env, "migrate", "-v0")
        token, category = relais(env, "shell", "--no-imports", "-c", SEED).split()[-2:]
        port = free_port()
        web = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "relais.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--worker-class", "gthread"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        workers = [start_worker(env), start_worker(env)]
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, attempts=150)

        load = Load(base, token, int(category))
        threads = [threading.Thread(target=load.client, args=(n,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        end = started + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(chance.uniform(5, 15))
            if chance.random() < 0.6:
                n = chance.randrange(len(workers))
                kill_group(workers[n])
                faults["worker SIGKILL"] += 1
                time.sleep(2)
                workers[n] = start_worker(env)
            else:
                redis_server.stop()
                faults["Redis killed"] += 1
                time.sleep(chance.uniform(2, 8))
                redis_server.start()
        load.stopping.set()
        for thread in threads:
            thread.join(timeout=60)
        soak_seconds = time.monotonic() - started

        # Let the outbox empty (the workers' periodic sweep re-queues what Redis lost).
        deadline = time.monotonic() + args.drain
        while True:
            state = json.loads(relais(env, "shell", "--no-imports", "-c", OUTBOX_STATE)
                               .strip().splitlines()[-1])  # fmt: skip
            pending = {k: v for k, v in state["outbox"].items() if k not in ("sent", "dead")}
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(5)
        drained_after = time.monotonic() - started - soak_seconds

        statuses = collections.Counter(record[2] for record in load.records)
        slowest = max((record[3] for record in load.records), default=0.0)
        titles = collections.Counter(title for _ref, title in state["tickets"])
        references = {ref for ref, _title in state["tickets"]}
        duplicates = sum(1 for n in titles.values() if n > 1)
        missing = [key for key in load.created if titles.get(f"Soak {key}", 0) == 0]
        acks: dict[str, set[str]] = collections.defaultdict(set)
        for message in smtp.messages:
            for ref in REFERENCE.findall(str(message["Subject"] or "")):
                acks[ref].add(str(message["Message-ID"]))
        received = collections.Counter(
            ref
            for message in smtp.messages
            for ref in set(REFERENCE.findall(str(message["Subject"] or "")))
        )
        lost = sorted(references - set(acks))
        twice_same_id = sum(1 for ref, n in received.items() if n > 1 and len(acks[ref]) == 1)
        twice_new_id = sum(1 for ref in acks if len(acks[ref]) > 1)

        print(f"soak {soak_seconds:.0f} s, {args.clients} clients; faults: "
              + ", ".join(f"{k} ×{v}" for k, v in sorted(faults.items())))  # fmt: skip
        print(f"requests: {sum(statuses.values())} — "
              + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
              + f"; slowest {slowest:.2f} s")  # fmt: skip
        print(f"writes accepted: {len(load.created)} (retried after a 503 or a cut: "
              f"{len(load.retried_keys & set(load.created))}); tickets: {len(references)}, "
              f"duplicates: {duplicates}, accepted without a ticket: {len(missing)}")  # fmt: skip
        print(f"outbox after {drained_after:.0f} s of drain: {state['outbox']}")
        print(f"acknowledgements: {len(acks)} tickets mailed, lost: {len(lost)}, "
              f"received twice with the same Message-ID: {twice_same_id}, "
              f"with different Message-IDs: {twice_new_id}")  # fmt: skip

        problems = []
        server_errors = sum(n for s, n in statuses.items() if s >= 500 and s != 503)
        if server_errors:
            problems.append(f"{server_errors} answers were 5xx other than 503")
        if duplicates or missing:
            problems.append(f"{duplicates} duplicate tickets, {len(missing)} writes lost")
        if lost:
            problems.append(f"{len(lost)} tickets without an acknowledgement: {lost[:5]}")
        if twice_new_id:
            problems.append(f"{twice_new_id} acknowledgements sent twice with new Message-IDs")
        if statuses.get(0):
            print(f"note: {statuses[0]} requests got no HTTP answer (connection cut)")
        print("OK" if not problems else "FAILED: " + "; ".join(problems))
        return 0 if not problems else 1
    finally:
        for worker in workers:
            kill_group(worker)
        if web is not None:
            web.terminate()
            web.wait(timeout=20)
        redis_server.stop()
        smtp.stop()
        try:
            psql(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            print(f"could not drop the database {database}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
