"""Service-desk benchmark at volume.

Seeds N tickets and M replies (PostgreSQL: COPY; SQLite: executemany in large transactions)
on top of the demo organisation, starts gunicorn, then drives the agent queue page, the API
list, the ticket page and ticket creation with concurrent keep-alive clients, and reports
p50/p95/p99 per operation.

    # PostgreSQL, 1,000,000 tickets and 5,000,000 replies (database relais_bench is recreated)
    python -m bench tickets --database postgres --tickets 1000000 --replies 5000000
    # Embedded SQLite, 100,000 tickets
    python -m bench tickets --database sqlite --tickets 100000 --replies 500000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.http_baseline import free_port, percentile, wait_ready

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

TITLES = [
    "Le VPN se déconnecte",
    "Outlook ne reçoit plus de mails",
    "Imprimante en panne",
    "Mot de passe expiré",
    "Écran bleu au démarrage",
    "Teams sans son",
    "Accès refusé au dossier partagé",
    "Lenteurs sur la gestion locative",
]
STATUSES_DONE = ["closed"] * 17 + ["resolved"]
STATUSES_OPEN = ["new", "assigned", "in_progress", "waiting_requester", "waiting_third_party"]


def relais(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def bench_environment(database: str, name: str) -> dict[str, str]:
    """The environment of a benchmark's own instance: data in /tmp/relais-<name>-<database>,
    and on PostgreSQL the database relais_<name>."""
    env = {
        **os.environ,
        "RELAIS_DATA_DIR": str(Path(tempfile.gettempdir()) / f"relais-{name}-{database}"),
        "DJANGO_SETTINGS_MODULE": "relais.settings",
        "RELAIS_AXES_ENABLED": "0",
        "RELAIS_SEARCH_SEMANTIC": os.environ.get("RELAIS_SEARCH_SEMANTIC", "0"),
        # The quotas are per person and per address; a benchmark drives many clients through
        # one token and one address (127.0.0.1), so they are lifted, not measured, here.
        "RELAIS_API_RATE": "1000000/min",
        "RELAIS_ANONYMOUS_RATE": "1000000/min",
    }
    env.pop("RELAIS_TESTING", None)
    if database == "postgres":
        env["DATABASE_URL"] = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/relais_{name.replace('-', '_')}"
    else:
        env.pop("DATABASE_URL", None)
    return env


def fresh_instance(env: dict[str, str], database: str) -> None:
    """An empty, migrated instance with the demo organisation (200 people, 5 teams)."""
    data_dir = Path(env["RELAIS_DATA_DIR"])
    if database == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", PG_ADMIN_URL, "-qc", sql], check=True)
    else:
        for file in ("relais.sqlite3", "relais.sqlite3-wal", "relais.sqlite3-shm"):
            (data_dir / file).unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    relais(env, "migrate", "-v0")
    django_setup(env)
    from relais.accounts.demo import seed as seed_people
    from relais.core.demo import DemoContext

    seed_people(DemoContext(rng=random.Random(1)))


# The search entry of a ticket, as `relais.tickets.search.TicketSource` writes it.
ENTRY_COLUMNS = [
    "kind", "object_id", "audience", "category_id", "title", "text", "url", "terms_title",
    "terms_tags", "terms_body", "length_title", "length_tags", "length_body", "scope_keys",
    "updated_at",
]  # fmt: skip
TICKET_GIN = (  # as in relais/search/migrations/0008_scope_keys.py
    "CREATE INDEX search_entry_ticket_gin ON search_searchentry "
    "USING gin (tsv, (string_to_array(scope_keys, ' '))) WHERE kind = 'ticket'"
)


class TicketEntries:
    """Search entries of bulk-written tickets, analysed in Python (each distinct text once)."""

    def __init__(self) -> None:
        from relais.search import analysis

        self.analyse = analysis.analyse
        self.analysed: dict[str, list[str]] = {}

    def terms(self, text: str) -> list[str]:
        found = self.analysed.get(text)
        if found is None:
            found = self.analysed[text] = self.analyse(text)
        return found

    def entry(
        self,
        ticket_id: int,
        reference: str,
        title: str,
        description: str,
        category: int,
        requester: int,
        created: datetime,
        assignee: int | None = None,
        team: int | None = None,
    ) -> list[Any]:
        # The scope keys as relais.tickets.permissions writes them (opener = requester here).
        keys = [f"u{requester}"] + ([f"a{assignee}"] if assignee else [])
        keys.append(f"t{team}" if team else "t")
        title_terms = self.analyse(reference) + self.terms(title)
        body_terms = [t for sentence in description.split(".") for t in self.terms(sentence)]
        return [
            "ticket", ticket_id, "private", category, f"{reference} · {title}", description,
            f"/demandes/{reference}/", " ".join(title_terms), "", " ".join(body_terms),
            len(title_terms), 0, len(body_terms), " ".join(keys), created,
        ]  # fmt: skip


@contextmanager
def entries_copy(raw: Any) -> Iterator[Any]:
    """A COPY into the search entries on a second PostgreSQL connection, alongside the
    tickets' COPY on `raw`; the tickets' GIN index is dropped before and built once after."""
    import psycopg

    raw.execute("DROP INDEX IF EXISTS search_entry_ticket_gin")
    with psycopg.connect(os.environ["DATABASE_URL"]) as second, second.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        columns = ", ".join(ENTRY_COLUMNS)
        with cursor.copy(f"COPY search_searchentry ({columns}) FROM STDIN") as copy:
            yield copy
    raw.execute(TICKET_GIN)


def seed(
    tickets: int,
    replies: int,
    database: str,
    *,
    text: Callable[[random.Random], tuple[str, str]] | None = None,
    index: bool = False,
) -> float:
    """Generate tickets and replies in bulk; returns the seconds it took.

    Tickets go to every collaborator (the requesters) and every desk member (the assignees),
    numbered after the tickets already there. `text(rng)` gives varied titles and descriptions
    (the search benchmark's); `index` also writes their search entries, as the search service
    would (PostgreSQL: through a second connection, so nothing is held in memory)."""
    from django.db import connection

    from relais.accounts.models import Team, User
    from relais.tickets.models import Category

    rng = random.Random(7)
    started = time.perf_counter()
    users = list(User.objects.filter(role="collaborator").values_list("pk", flat=True))
    agents = list(User.objects.exclude(role="collaborator").values_list("pk", flat=True))
    teams = list(Team.objects.values_list("pk", flat=True))
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    now = datetime.now(UTC)
    columns = [
        "id",
        "reference",
        "type",
        "category_id",
        "title",
        "description",
        "extra",
        "requester_id",
        "created_by_id",
        "contact_name",
        "contact_phone",
        "contact_email",
        "channel",
        "impact",
        "urgency",
        "priority",
        "status",
        "team_id",
        "assignee_id",
        "is_major",
        "version",
        "created_at",
        "updated_at",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "resolution",
        "reopen_count",
        "first_response_target",
        "resolution_target",
        "first_response_due",
        "resolution_due",
        "resolution_warn_at",
        "first_response_breached",
        "resolution_breached",
        "sla_warned",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        first_id = cursor.fetchone()[0] + 1
    entries = TicketEntries() if index else None

    def ticket_rows():  # type: ignore[no-untyped-def]
        for number in range(tickets):
            age = timedelta(minutes=int(rng.random() * 3 * 365 * 24 * 60))
            created = now - age
            status = (
                rng.choice(STATUSES_OPEN)
                if age < timedelta(days=20) and rng.random() < 0.6
                else rng.choice(STATUSES_DONE)
            )
            requester = rng.choice(users)
            done = status in {"resolved", "closed"}
            responded = created + timedelta(hours=2) if status != "new" else None
            resolved = created + timedelta(days=1) if done else None
            # Seven digits: never one the service hands out (six), whatever is seeded first.
            reference = f"INC-{created.year}-{first_id + number:07d}"
            category = rng.choice(categories)
            if text is None:
                title, description = rng.choice(TITLES), "Description du problème rencontré."
            else:
                title, description = text(rng)
            row = [
                first_id + number,
                reference,
                "incident",
                category,
                title,
                description,
                "{}",
                requester,
                requester,
                "",
                "",
                "",
                "portal",
                "low",
                "medium",
                "P4",
                status,
                rng.choice(teams),
                None if status == "new" else rng.choice(agents),
                False,
                1,
                created,
                responded or created,
                responded,
                resolved,
                resolved + timedelta(days=2) if status == "closed" and resolved else None,
                "",
                0,
                480,
                2550,
                created + timedelta(days=1),
                created + timedelta(days=5),
                created + timedelta(days=4),
                False,
                False,
                False,
            ]
            entry = None
            if entries is not None:
                entry = entries.entry(
                    first_id + number,
                    reference,
                    title,
                    description,
                    category,
                    requester,
                    created,
                    assignee=row[18],
                    team=row[17],
                )
            yield row, entry

    with connection.cursor() as cursor:
        if database == "postgres":
            raw = cursor.cursor  # psycopg cursor
            raw.execute("SET statement_timeout = 0")  # bulk loading is not a web request
            with ExitStack() as stack:
                entry_copy = None
                if entries is not None:
                    entry_copy = stack.enter_context(entries_copy(raw))
                with raw.copy(f"COPY tickets_ticket ({', '.join(columns)}) FROM STDIN") as copy:
                    for row, entry in ticket_rows():
                        copy.write_row(row)
                        if entry_copy is not None:
                            entry_copy.write_row(entry)
            raw.execute(
                "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), max(id)) "
                "FROM tickets_ticket"
            )
            raw.execute("SELECT min(id), max(id) FROM tickets_ticket")
            low, high = raw.fetchone()
            with raw.copy(
                "COPY tickets_ticketmessage (ticket_id, kind, author_id, body, "
                "channel, created_at) FROM STDIN"
            ) as copy:
                for _ in range(replies):
                    copy.write_row(
                        [
                            rng.randint(low, high),
                            rng.choice(["reply", "reply", "note"]),
                            rng.choice(agents),
                            "Pouvez-vous redémarrer votre poste ?",
                            "portal",
                            now,
                        ]
                    )
            # VACUUM too: a bulk load leaves the visibility map empty, so counts cannot be
            # answered from the indexes alone until autovacuum passes (queue page 194 → 30 ms).
            raw.execute("VACUUM ANALYZE")
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            # Column names are the constants above, never input.
            sql = f"INSERT INTO tickets_ticket ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
            entry_sql = (
                f"INSERT INTO search_searchentry ({', '.join(ENTRY_COLUMNS)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(ENTRY_COLUMNS))})"
            )
            batch: list[list[object]] = []
            entry_batch: list[list[object]] = []
            for row, entry in ticket_rows():
                batch.append(row)
                if entry is not None:
                    entry_batch.append(entry)
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)  # static-ban: allow (bulk load)
                    cursor.executemany(entry_sql, entry_batch)  # static-ban: allow (bulk load)
                    batch, entry_batch = [], []
            if batch:
                cursor.executemany(sql, batch)  # static-ban: allow (bulk load)
            if entry_batch:
                cursor.executemany(entry_sql, entry_batch)  # static-ban: allow (bulk load)
            cursor.execute("SELECT min(id), max(id) FROM tickets_ticket")
            low, high = cursor.fetchone()
            sql = (
                "INSERT INTO tickets_ticketmessage (ticket_id, kind, author_id, body, channel, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s)"
            )
            batch = []
            for _ in range(replies):
                batch.append(
                    [
                        rng.randint(low, high),
                        "reply",
                        rng.choice(agents),
                        "Pouvez-vous redémarrer votre poste ?",
                        "portal",
                        now,
                    ]
                )
                if len(batch) == 50_000:
                    cursor.executemany(
                        sql, batch
                    )  # static-ban: allow (benchmark bulk load: constant identifiers)
                    batch = []
            if batch:
                cursor.executemany(
                    sql, batch
                )  # static-ban: allow (benchmark bulk load: constant identifiers)
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A real (small, solid-colour) PNG, so the stored files sniff as what their rows say."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(colour) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# The few real files every seeded attachment row shares (name, type, content).
SHARED_ATTACHMENTS = [
    ("capture-ecran.png", "image/png", _png(320, 200, (30, 90, 160))),
    ("message-erreur.png", "image/png", _png(64, 48, (200, 40, 40))),
    ("journal.txt", "text/plain", ("ERREUR connexion VPN refusée\n" * 40).encode()),
    (
        "facture.pdf",
        "application/pdf",
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    ),
]


def seed_attachments(count: int, database: str) -> float:
    """`count` ticket attachment rows over the seeded tickets; returns the seconds it took.

    Each row has its own random storage name (`attachments/<yyyy>/<mm>/<uuid4 hex>`, as
    `store_upload` names files) and a real file under it, but the files are hard links to
    the four `SHARED_ATTACHMENTS`: 200,000 directory entries, four inodes, a few KB of data.
    Three rows in four hang on a reply or note (internal when the note is), the rest on the
    ticket itself (the requester's screenshot at opening). PostgreSQL: COPY; SQLite:
    executemany."""
    import hashlib
    import uuid

    from django.conf import settings
    from django.db import connection

    rng = random.Random(11)
    started = time.perf_counter()
    media = Path(settings.MEDIA_ROOT)
    originals = []
    for name, content_type, content in SHARED_ATTACHMENTS:
        path = media / "bench-shared" / name
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        path.write_bytes(content)
        path.chmod(0o640)
        originals.append(
            (path, name, content_type, len(content), hashlib.sha256(content).hexdigest())
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticketmessage")
        messages = cursor.fetchone()[0]
        on_messages = count * 3 // 4
        stride = max(1, messages // max(1, on_messages))
        # Every stride-th message, then tickets for the rest: no random() sort over millions.
        cursor.execute(
            "SELECT m.ticket_id, m.id, m.kind = 'note', m.author_id, m.created_at "
            "FROM tickets_ticketmessage m WHERE m.id %% %s = 0 ORDER BY m.id LIMIT %s",
            [stride, on_messages],
        )
        targets = cursor.fetchall()
        cursor.execute(
            "SELECT t.id, NULL, false, t.requester_id, t.created_at FROM tickets_ticket t "
            "ORDER BY t.id DESC LIMIT %s",
            [count - len(targets)],
        )
        targets += cursor.fetchall()
    made: set[Path] = set()

    def rows():  # type: ignore[no-untyped-def]
        for ticket, message, internal, author, created in targets:
            path, name, content_type, size, sha = rng.choice(originals)
            storage_name = (
                f"attachments/{created:%Y/%m}/{uuid.UUID(int=rng.getrandbits(128), version=4).hex}"
            )
            target = media / storage_name
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
                made.add(target.parent)
            os.link(path, target)
            yield [
                ticket,
                message,
                bool(internal),
                author,
                storage_name,
                name,
                content_type,
                size,
                sha,
                created,
            ]

    columns = (
        "ticket_id, message_id, is_internal, uploaded_by_id, storage_name, original_name, "
        "content_type, size, sha256, created_at"
    )
    with connection.cursor() as cursor:
        if database == "postgres":
            raw = cursor.cursor  # psycopg cursor
            raw.execute("SET statement_timeout = 0")
            with raw.copy(f"COPY tickets_attachment ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
            raw.execute("ANALYZE tickets_attachment")
        else:
            sql = f"INSERT INTO tickets_attachment ({columns}) VALUES ({', '.join(['%s'] * 10)})"  # noqa: S608
            batch: list[list[object]] = []
            for row in rows():
                batch.append(row)
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)  # static-ban: allow (bulk load)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)  # static-ban: allow (bulk load)
            cursor.execute("ANALYZE tickets_attachment")
    return time.perf_counter() - started


class Session:
    """A keep-alive HTTP/1.1 client with cookies (for the HTML pages) or a bearer token."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = dict(headers or {})
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, method: str, path: str, body: str | None = None, extra: dict[str, str] | None = None
    ) -> tuple[int, str]:
        headers = {**self.headers, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
        return response.status, text

    def login(self, email: str, password: str) -> None:
        _status, page = self.request("GET", "/connexion/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        body = urlencode({"username": email, "password": password, "csrfmiddlewaretoken": token})
        status, _ = self.request(
            "POST",
            "/connexion/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/connexion/",
            },
        )
        assert status == 302, f"login failed ({status})"


def drive(name: str, make_session, operation, clients: int, duration: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(index: int) -> None:
        nonlocal errors
        session = make_session()
        rng = random.Random(index)
        local, local_errors = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status = operation(session, rng)
            local.append(time.perf_counter() - started)
            if status >= 400:
                local_errors += 1
        with lock:
            latencies.extend(local)
            errors += local_errors

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    result = {
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }
    print(
        f"{name:34} {result['throughput_rps']:>7} req/s  p50 {result['p50_ms']:>7} ms  "
        f"p95 {result['p95_ms']:>7} ms  p99 {result['p99_ms']:>7} ms  "
        f"errors {result['errors']}",
        flush=True,
    )
    return result


WRK_SCRIPT = """
local paths = {%(paths)s}
local method = "%(method)s"
local body = %(body)s
wrk.method = method
%(headers)s
request = function()
  local path = paths[math.random(#paths)]
  return wrk.format(method, path, nil, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %%d, "errors": %%d, "seconds": %%f, '
    .. '"p50_ms": %%.1f, "p95_ms": %%.1f, "p99_ms": %%.1f}\\n',
    summary.requests, errors, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def drive_wrk(
    name: str,
    port: int,
    paths: list[str],
    headers: dict[str, str],
    clients: int,
    duration: float,
    method: str = "GET",
    body: str | None = None,
) -> dict[str, float]:
    """Load with wrk (C, event loop): the client costs far less CPU than Python threads."""
    script = WRK_SCRIPT % {
        "paths": ", ".join(lua_string(p) for p in paths),
        "method": method,
        "body": lua_string(body) if body is not None else "nil",
        "headers": "\n".join(
            f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()
        ),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(clients),
            "-d",
            f"{int(duration)}s",
            "-s",
            handle.name,
            "--timeout",
            "10s",
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(handle.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    data = json.loads(line[len("RESULT ") :])
    result = {
        "requests": data["requests"],
        "errors": data["errors"],
        "throughput_rps": round(data["requests"] / data["seconds"], 1),
        "p50_ms": data["p50_ms"],
        "p95_ms": data["p95_ms"],
        "p99_ms": data["p99_ms"],
    }
    print(
        f"{name:34} {result['throughput_rps']:>7} req/s  p50 {result['p50_ms']:>7} ms  "
        f"p95 {result['p95_ms']:>7} ms  p99 {result['p99_ms']:>7} ms  "
        f"errors {result['errors']}",
        flush=True,
    )
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench tickets")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--replies", type=int, default=5_000_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database")
    parser.add_argument(
        "--redis-db",
        type=int,
        default=None,
        help="Production mode: cache and sessions on this Redis database (flushed first)",
    )
    parser.add_argument("--only", default="", help="Comma-separated operation name prefixes")
    args = parser.parse_args(argv)

    env = bench_environment(args.database, "bench")
    if args.redis_db is not None:
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
        subprocess.run(["redis-cli", "-n", str(args.redis_db), "flushdb"], check=True)
    seeding = None
    if not args.reuse:
        fresh_instance(env, args.database)
        seeding = seed(args.tickets, args.replies, args.database)
        print(
            f"seeded {args.tickets:,} tickets and {args.replies:,} replies in {seeding:.0f} s",
            flush=True,
        )
    else:
        relais(env, "migrate", "-v0")  # a reused database gets the latest indexes
        django_setup(env)
    token = relais(env, "token", "add", "agent@relais.test", "--write").strip().splitlines()[-1]
    from relais.accounts.models import Team
    from relais.tickets.models import Category, Ticket

    category_id = Category.objects.filter(parent__isnull=False).values_list("pk", flat=True)[0]
    # Tickets the benchmark's agent may open: those of their teams.
    agent_teams = list(
        Team.objects.filter(members__email="agent@relais.test").values_list("pk", flat=True)
    )
    candidates = Ticket.objects.filter(team__in=agent_teams)
    last = candidates.order_by("-pk").values_list("pk", flat=True).first() or 1
    sample = random.Random(3).sample(range(1, last + 1), min(20_000, last))
    references = list(candidates.filter(pk__in=sample).values_list("reference", flat=True)[:2000])

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
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    results: dict[str, dict[str, float]] = {}
    try:
        wait_ready(port)
        bearer = {"Authorization": f"Bearer {token}"}

        def html_session() -> Session:
            session = Session(port)
            session.login("agent@relais.test", "demo-relais-2026")
            return session

        def api_session() -> Session:
            return Session(port, bearer)

        if shutil.which("wrk"):
            html = html_session()
            cookie = "; ".join(f"{k}={v}" for k, v in html.cookies.items())
            create = json.dumps(
                {
                    "category_id": category_id,
                    "title": "Le VPN se déconnecte",
                    "description": "Depuis ce matin.",
                }
            )
            plan = {
                "agent queue page (team queue)": (
                    ["/guichet/?queue=team"],
                    {"Cookie": cookie},
                    "GET",
                    None,
                ),
                "API list (team queue)": (["/api/v1/tickets?queue=team"], bearer, "GET", None),
                "ticket page": (
                    [f"/demandes/{r}/" for r in references[:500]],
                    {"Cookie": cookie},
                    "GET",
                    None,
                ),
                "open a ticket (API)": (
                    ["/api/v1/tickets"],
                    {**bearer, "Content-Type": "application/json"},
                    "POST",
                    create,
                ),
            }
            wanted = [p.strip() for p in args.only.split(",") if p.strip()]
            for name, (paths, headers, method, payload) in plan.items():
                if wanted and not any(name.startswith(w) for w in wanted):
                    continue
                drive_wrk(name, port, paths, headers, args.clients, 5, method, payload)
                results[name] = drive_wrk(
                    name, port, paths, headers, args.clients, args.duration, method, payload
                )
        else:
            print("wrk not found (apt-get install wrk): using the slower Python driver")
            operations = {
                "agent queue page (team queue)": (
                    html_session,
                    lambda s, r: s.request("GET", "/guichet/?queue=team")[0],
                ),
                "API list (team queue)": (
                    api_session,
                    lambda s, r: s.request("GET", "/api/v1/tickets?queue=team")[0],
                ),
                "ticket page": (
                    html_session,
                    lambda s, r: s.request("GET", f"/demandes/{r.choice(references)}/")[0],
                ),
                "open a ticket (API)": (
                    api_session,
                    lambda s, r: s.request(
                        "POST",
                        "/api/v1/tickets",
                        json.dumps(
                            {
                                "category_id": category_id,
                                "title": "Le VPN se déconnecte",
                                "description": "Depuis ce matin.",
                            }
                        ),
                        {"Content-Type": "application/json"},
                    )[0],
                ),
            }
            for name, (make_session, operation) in operations.items():
                drive(name, make_session, operation, args.clients, 5)  # warm-up
                results[name] = drive(name, make_session, operation, args.clients, args.duration)
    finally:
        server.terminate()
        server.wait(timeout=20)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"tickets-{args.database}.json").write_text(
        json.dumps(
            {
                "database": args.database,
                "tickets": args.tickets,
                "replies": args.replies,
                "clients": args.clients,
                "workers": args.workers,
                "threads": args.threads,
                "seconds_to_seed": seeding,
                "results": results,
            },
            indent=2,
        )
    )
    return 0
