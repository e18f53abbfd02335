"""Backup and restore of a whole instance: the database and every stored file, in one archive.

An archive is a tar file holding
- `manifest.json`: when, which engine, the row count of every table, the newest ticket, and
  the size and SHA-256 of every file in the archive;
- `database.sqlite3` (SQLite's online backup: a consistent copy while Relais runs) or
  `database.dump` (pg_dump's custom format: one consistent snapshot);
- `media/<name>`: every file of the default storage (attachments, article images, raw e-mails,
  import files), read through the storage API, so the same code serves a local volume or an
  S3-compatible bucket;
- `secret_key`: an embedded instance's generated key, without which sessions, reset links and
  sealed secrets (mailbox and monitor passwords) would not survive the move. The archive is as
  sensitive as the database: keep it encrypted at rest. A production key comes from the
  environment and is restored by whoever keeps it.

The database is copied first, then the files: a file written after the snapshot is an orphan
in the archive (the daily sweep removes it after a restore); a row in the snapshot always had
its file written before the row committed.

`restore` checks every checksum before it changes anything, refuses an instance that already
holds people or tickets (unless told to replace it), then loads the database and the files and
verifies the result: row counts equal to the manifest's, and every file that a row refers to
present with the SHA-256 the row recorded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

from relais.core.files import storage_walk

FORMAT = 1
CHUNK = 1024 * 1024

# Rows that name a stored file, and the field holding its SHA-256 when there is one.
FILE_REFERENCES: list[tuple[str, str, str | None]] = [
    ("tickets.Attachment", "storage_name", "sha256"),
    ("kb.ArticleImage", "storage_name", "sha256"),
    ("assets.AssetAttachment", "storage_name", "sha256"),
    ("assets.ImportJob", "storage_name", None),
    ("mail.InboundMessage", "raw_name", "sha256"),
]
# Rows whose file was deleted on purpose (retention): not expected in the storage.
FILE_GONE_ON_PURPOSE = {"mail.InboundMessage": {"raw_purged_at__isnull": False}}


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why, in one sentence."""


@dataclass
class Report:
    archive: Path
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    newest_ticket: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- backup -----------------------------------------------------------------------------------


def backup(destination: Path) -> Report:
    """Write an archive into `destination` (a directory, created if needed, or a .tar path)."""
    if destination.suffix != ".tar":
        destination.mkdir(parents=True, exist_ok=True)
        destination = destination / f"relais-{timezone.now():%Y%m%d-%H%M%S}.tar"
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="relais-backup-") as work:
        dump = _dump_database(Path(work))
        counts = row_counts()
        newest = _newest_ticket()
        files: dict[str, dict[str, Any]] = {}
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname=dump.name)
            files[dump.name] = _describe(dump)
            key = _embedded_key_file()
            if key is not None:  # sealed secrets and sessions need the same key after a restore
                archive.add(key, arcname=SECRET_KEY_NAME)
                files[SECRET_KEY_NAME] = _describe(key)
            for name in storage_walk():
                with default_storage.open(name, "rb") as handle:
                    digest, size = _add_stream(archive, f"media/{name}", handle)
                files[f"media/{name}"] = {"sha256": digest, "size": size}
            manifest = {
                "format": FORMAT,
                "created_at": timezone.now().isoformat(),
                "engine": connection.vendor,
                "database": dump.name,
                "tables": counts,
                "newest_ticket": newest,
                "files": files,
            }
            raw = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(raw)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(raw))
    os.replace(partial, destination)  # a finished archive or none: never half of one
    return Report(
        archive=destination,
        tables=len(counts),
        rows=sum(counts.values()),
        files=sum(1 for name in files if name.startswith("media/")),
        bytes=destination.stat().st_size,
        newest_ticket=newest,
    )


SECRET_KEY_NAME = "secret_key"  # noqa: S105 (a file name)


def _embedded_key_file() -> Path | None:
    """The generated key of an embedded instance (none when SECRET_KEY comes from the
    environment: its keeper restores it)."""
    path = Path(settings.DATA_DIR) / SECRET_KEY_NAME
    if path.is_file() and path.read_text().strip() == settings.SECRET_KEY:
        return path
    return None


def _dump_database(work: Path) -> Path:
    if connection.vendor == "sqlite":
        target = work / "database.sqlite3"
        source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # SQLite's online backup API: consistent while others write
        finally:
            copy.close()
            source.close()
        return target
    if connection.vendor == "postgresql":
        target = work / "database.dump"
        _pg_run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
        )
        return target
    raise BackupError(f"Backups of a {connection.vendor} database are not supported.")


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (no password on a command line)."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _pg_run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)."
        )
    result = subprocess.run(  # noqa: S603 (fixed program, arguments from our settings)
        command, env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{command[0]} failed: {detail[-1] if detail else result.returncode}")


def row_counts() -> dict[str, int]:
    """Rows of every table Relais owns (and Django's), by table name."""
    counts: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[model._meta.db_table] = model._base_manager.count()
    return dict(sorted(counts.items()))


def _newest_ticket() -> str | None:
    from relais.tickets.models import Ticket

    return Ticket.objects.order_by("-pk").values_list("reference", flat=True).first()


class _HashingReader(io.RawIOBase):
    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_stream(archive: tarfile.TarFile, name: str, handle: Any) -> tuple[str, int]:
    """Add a file of unknown size (read once, streamed through a hash into a spool)."""
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spool:
        reader = _HashingReader(handle)
        shutil.copyfileobj(reader, spool, CHUNK)
        info = tarfile.TarInfo(name)
        info.size = reader.size
        info.mtime = int(timezone.now().timestamp())
        spool.seek(0)
        archive.addfile(info, spool)
        return reader.digest.hexdigest(), reader.size


def _describe(path: Path) -> dict[str, Any]:
    return {"sha256": _sha256_file(path), "size": path.stat().st_size}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restore ----------------------------------------------------------------------------------


def restore(archive_path: Path, *, replace: bool = False) -> Report:
    """Load an archive into this instance (see the module's docstring)."""
    if not archive_path.is_file():
        raise BackupError(f"{archive_path} is not a file.")
    with tempfile.TemporaryDirectory(prefix="relais-restore-") as work:
        manifest = _verified_extract(archive_path, Path(work))
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                f"This archive holds a {manifest['engine']} database; this instance uses "
                f"{connection.vendor}."
            )
        if not replace and _holds_data():
            raise BackupError(
                "This instance already holds people or tickets: restore into an empty one, "
                "or pass --replace to overwrite it."
            )
        _load_database(Path(work) / manifest["database"])
        notes = _restore_key(Path(work), manifest)
        files = 0
        for name in manifest["files"]:
            if name.startswith("media/"):
                _put_file(Path(work) / name, name.removeprefix("media/"))
                files += 1
    report = Report(
        archive=archive_path,
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=files,
        bytes=archive_path.stat().st_size,
        newest_ticket=manifest.get("newest_ticket"),
    )
    report.problems = verify(manifest)
    report.notes = notes
    return report


def _restore_key(work: Path, manifest: dict[str, Any]) -> list[str]:
    if SECRET_KEY_NAME not in manifest["files"]:
        return []
    archived = (work / SECRET_KEY_NAME).read_text().strip()
    if archived == settings.SECRET_KEY:
        return []
    target = Path(settings.DATA_DIR) / SECRET_KEY_NAME
    if _embedded_key_file() is not None or not target.exists():
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(archived)
        return ["The instance's secret key was restored too: restart Relais to use it."]
    return [
        "This instance's SECRET_KEY is not the one of the backup: set it (or "
        "RELAIS_SECRETS_KEY) to the old value, or stored passwords cannot be read."
    ]


def _verified_extract(archive_path: Path, work: Path) -> dict[str, Any]:
    """Extract into `work`, refusing anything whose checksum or path is not as announced."""
    try:
        with tarfile.open(archive_path, "r") as archive:
            try:
                manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
            except KeyError:
                raise BackupError("This file is not a Relais backup (no manifest).") from None
            if manifest.get("format") != FORMAT:
                raise BackupError("This backup was written in a format this version cannot read.")
            expected = manifest["files"]
            members = [m for m in archive.getmembers() if m.name != "manifest.json"]
            names = {m.name for m in members}
            if names != set(expected):
                missing = sorted(set(expected) - names)[:3]
                raise BackupError(f"The archive is incomplete or altered (e.g. {missing}).")
            archive.extractall(work, members=members, filter="data")
    except tarfile.TarError as exc:
        raise BackupError(f"The archive cannot be read: {exc}.") from None
    for name, described in expected.items():
        path = work / name
        if path.stat().st_size != described["size"] or _sha256_file(path) != described["sha256"]:
            raise BackupError(f"{name} does not match its checksum: the archive is damaged.")
    return dict(manifest)


def _holds_data() -> bool:
    from django.db.utils import DatabaseError

    from relais.accounts.models import User
    from relais.tickets.models import Ticket

    try:
        return User.objects.exists() or Ticket.objects.exists()
    except DatabaseError:  # no tables yet: an empty instance
        connection.close()
        return False


def _load_database(dump: Path) -> None:
    connections.close_all()
    if connection.vendor == "sqlite":
        target = str(settings.DATABASES["default"]["NAME"])
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(str(dump))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # page by page into the live file (WAL readers stay consistent)
        finally:
            copy.close()
            source.close()
        return
    _pg_run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(settings.DATABASES["default"]["NAME"]),
            str(dump),
        ]
    )


def _put_file(source: Path, name: str) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)
    with source.open("rb") as handle:
        saved = default_storage.save(name, File(handle, name=name))
    if saved != name:
        raise BackupError(f"The storage renamed {name} to {saved}: restore into an empty one.")


def verify(manifest: dict[str, Any]) -> list[str]:
    """What differs between the restored instance and the manifest (empty: nothing)."""
    problems: list[str] = []
    counts = row_counts()
    for table, expected in manifest["tables"].items():
        found = counts.get(table)
        if found != expected:
            problems.append(f"table {table}: {found} rows, {expected} in the backup")
    for label, name_field, sha_field in FILE_REFERENCES:
        model = apps.get_model(label)
        fields = [name_field] + ([sha_field] if sha_field else [])
        rows = model._base_manager.all()
        if label in FILE_GONE_ON_PURPOSE:
            rows = rows.exclude(**FILE_GONE_ON_PURPOSE[label])
        for row in rows.values_list(*fields).iterator():
            name = row[0]
            if not default_storage.exists(name):
                problems.append(f"{label}: file {name} is missing")
                continue
            if sha_field:
                with default_storage.open(name, "rb") as handle:
                    digest = hashlib.sha256()
                    while block := handle.read(CHUNK):
                        digest.update(block)
                if digest.hexdigest() != row[1]:
                    problems.append(f"{label}: file {name} does not match its SHA-256")
    return problems
