"""`relais backup` and `relais restore`: a round trip between two real instances (separate
processes, separate data directories and databases), on the suite's engine (SQLite, or
PostgreSQL with pg_dump/pg_restore in the PostgreSQL run)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"

SEED = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.mail.services import ingest
from relais.tickets.models import Attachment, Category
from relais.tickets.services import TicketDraft, ticket_open
png = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)
user = User.objects.create_user("camille.martin@relais.test", "x" * 16, role=Role.COLLABORATOR,
                                display_name="Camille Martin")
category = Category.objects.filter(parent__isnull=False).first()
for n in range(3):
    ticket = ticket_open(actor=user, draft=TicketDraft(
        category=category, title=f"Le VPN se déconnecte {n}", description="Depuis ce matin.",
        attachments=[SimpleUploadedFile("capture.png", png, content_type="image/png")]))
from relais.core.secrets import seal
from relais.mail.models import Mailbox
Mailbox.objects.create(name="support", address="support@relais.test", host="imap.example",
                       username="support", password_sealed=seal("mot-de-passe-imap"),
                       category=category)
ingest(b"From: Camille Martin <camille.martin@relais.test>\\r\\nTo: support@relais.test\\r\\n"
       b"Subject: Imprimante\\r\\nMessage-ID: <backup-test@client.example>\\r\\n\\r\\n"
       b"En panne.\\r\\n")
"""

STATE = """
import json, hashlib
from django.core.files.storage import default_storage
from relais.tickets.models import Attachment, Ticket
from relais.mail.models import InboundMessage
files = {}
for a in Attachment.objects.order_by("pk"):
    with default_storage.open(a.storage_name, "rb") as h:
        files[a.storage_name] = hashlib.sha256(h.read()).hexdigest()
from relais.core.secrets import unseal
from relais.mail.models import Mailbox
print(json.dumps({
    "imap_password": unseal(Mailbox.objects.get().password_sealed),
    "tickets": list(Ticket.objects.order_by("pk").values_list("reference", flat=True)),
    "attachments": files,
    "raw_mails": list(InboundMessage.objects.values_list("raw_name", flat=True)),
}))
"""


def _relais(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _psql(sql: str) -> None:
    subprocess.run(["psql", PG_ADMIN, "-qc", sql], check=True, capture_output=True)


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Two empty instances on the suite's engine: the source and the restore target."""
    vendor = connection.vendor
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RELAIS_", "DATABASE_URL", "DJANGO_", "PYTEST"))
    }
    envs, databases = [], []
    for name in ("source", "target"):
        env = {**base, "RELAIS_DATA_DIR": str(tmp_path / name), "RELAIS_AXES_ENABLED": "0"}
        if vendor == "postgresql":
            database = f"relais_backup_{name}_{os.getpid()}"
            _psql(f"DROP DATABASE IF EXISTS {database}")
            _psql(f"CREATE DATABASE {database}")
            databases.append(database)
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
        envs.append(env)
    yield envs[0], envs[1]
    for database in databases:
        _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _state(env: dict[str, str]) -> dict[str, object]:
    result = _relais(env, "shell", "--no-imports", "-c", STATE)
    assert result.returncode == 0, result.stderr
    state: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return state


@pytest.mark.parametrize("storage", ["local", "s3"])
def test_a_backup_restored_into_an_empty_instance_holds_everything(  # type: ignore[no-untyped-def]
    instances, tmp_path, storage, request
):
    source, target = instances
    if storage == "s3":
        # Each instance keeps its files in its own bucket: the backup reads the source's
        # through the storage API, the restore writes them into the target's empty one.
        s3 = request.getfixturevalue("s3_server")
        source_bucket, target_bucket = s3.new_bucket(), s3.new_bucket()
        source.update(s3.environment(source_bucket))
        target.update(s3.environment(target_bucket))
    assert _relais(source, "migrate", "-v0").returncode == 0
    seeded = _relais(source, "shell", "--no-imports", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    before = _state(source)

    made = _relais(source, "backup", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.splitlines()[0])
    assert archive.is_file() and archive.suffix == ".tar"
    newest = before["tickets"][-1]  # type: ignore[index]
    assert f"newest ticket: {newest}" in made.stdout

    restored = _relais(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "Every row count and checksum matches" in restored.stdout
    after = _state(target)
    # The same tickets, attachments (same bytes), raw e-mails, and sealed secrets still readable
    # (the embedded instance's generated key travels with the backup).
    assert after == before
    assert after["imap_password"] == "mot-de-passe-imap"
    if storage == "s3":
        assert set(after["attachments"]) <= set(s3.keys(target_bucket))  # type: ignore[call-overload]
        assert s3.keys(target_bucket) == s3.keys(source_bucket)
    assert newest in after["tickets"]  # type: ignore[operator]

    # The restored instance works: it can be backed up again, and a second restore over it
    # is refused unless asked for.
    again = _relais(target, "restore", str(archive))
    assert again.returncode != 0
    assert "already holds people or tickets" in again.stderr
    assert _relais(target, "restore", str(archive), "--replace").returncode == 0


def test_a_damaged_archive_is_refused_before_anything_changes(instances, tmp_path):  # type: ignore[no-untyped-def]
    source, target = instances
    assert _relais(source, "migrate", "-v0").returncode == 0
    assert _relais(source, "shell", "--no-imports", "-c", SEED).returncode == 0
    made = _relais(source, "backup", str(tmp_path / "b.tar"))
    assert made.returncode == 0, made.stderr
    archive = tmp_path / "b.tar"

    # One attachment's bytes altered inside the archive, its manifest entry left as it was.
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w") as copy:
        altered = False
        for member in original.getmembers():
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("media/attachments/") and not altered:
                data = data[:-1] + bytes([data[-1] ^ 1])
                altered = True
            copy.addfile(member, io.BytesIO(data))
    assert altered
    refused = _relais(target, "restore", str(damaged))
    assert refused.returncode != 0
    assert "does not match its checksum" in refused.stderr
    # Nothing was loaded: the target still has no tables.
    assert "no such table" in _relais(target, "shell", "--no-imports", "-c", STATE).stderr or (
        "does not exist" in _relais(target, "shell", "--no-imports", "-c", STATE).stderr
    )

    not_a_backup = tmp_path / "notes.tar"
    with tarfile.open(not_a_backup, "w") as archive_file:
        archive_file.add(Path(__file__), arcname="notes.py")
    refused = _relais(target, "restore", str(not_a_backup))
    assert refused.returncode != 0 and "not a Relais backup" in refused.stderr
