"""`relais check-deploy`: is this installation ready to serve? Django's deployment checks plus
what they cannot see: the database reachable and migrated, the cache and queue reachable,
the storage writable, the static files collected, the mail server answering, the backup
tools present. One line per check; exit code 1 when one fails."""

from __future__ import annotations

import shutil
import smtplib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser, SystemCheckError

OK, WARN, FAIL = "ok", "warn", "fail"
Result = tuple[str, str]


def _mode() -> Result:
    if not settings.PRODUCTION:
        return FAIL, "RELAIS_PRODUCTION is not set: this is the embedded (single-machine) mode"
    return OK, "production mode"


def _django() -> Result:
    try:
        call_command("check", deploy=True, fail_level="WARNING", verbosity=0)
    except SystemCheckError as exc:
        return FAIL, f"Django deployment checks: {str(exc).strip().splitlines()[-1]}"
    return OK, "Django deployment checks (check --deploy) pass"


def _database() -> Result:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return FAIL, f"database: cannot connect ({type(exc).__name__}: {exc})"
    if plan:
        return FAIL, f"database: {len(plan)} migration(s) not applied (run `relais migrate`)"
    if connection.vendor != "postgresql":
        return WARN, f"database: {connection.vendor} (PostgreSQL is the production engine)"
    version = getattr(connection, "pg_version", 0) // 10000
    return OK, f"database: PostgreSQL {version}, migrated"


def _cache_and_queue() -> Result:
    if not settings.REDIS_URL:
        return WARN, (
            "REDIS_URL is not set: cache, rate limits and the task queue stay on this machine "
            "(one web host only)"
        )
    from django.core.cache import cache
    from huey.contrib.djhuey import HUEY

    try:
        # The cache answers a down Redis with a miss; ask Redis itself.
        ping = getattr(cache, "ping", None)
        if ping is None:
            return FAIL, "Redis: REDIS_URL is set but the cache is not on Redis"
        ping()
        HUEY.pending_count()
    except Exception as exc:
        return FAIL, f"Redis: unreachable ({type(exc).__name__}: {exc})"
    return OK, "Redis: cache and queue reachable"


def _storage() -> Result:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    storage = settings.STORAGES["default"]
    if str(storage["BACKEND"]).startswith("storages.backends.s3"):
        options: dict[str, Any] = storage["OPTIONS"]
        where = f"S3 bucket {options['bucket_name']}"
        if options.get("endpoint_url"):
            where += f" at {options['endpoint_url']}"
    else:
        where = str(settings.MEDIA_ROOT)
    name = f"checks/{uuid.uuid4().hex}"
    try:
        saved = default_storage.save(name, ContentFile(b"relais"))
        with default_storage.open(saved, "rb") as handle:
            read_back = handle.read()
        default_storage.delete(saved)
    except Exception as exc:
        # The exception's text names the bucket or the path, never the credentials.
        return FAIL, f"file storage: {where} not writable ({type(exc).__name__}: {exc})"
    if read_back != b"relais":
        return FAIL, f"file storage: {where} does not give back what was written"
    return OK, f"file storage: {where} writable"


def _static() -> Result:
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if settings.PRODUCTION and not manifest.exists():
        return FAIL, f"static files: not collected in {settings.STATIC_ROOT} (relais collectstatic)"
    return OK, "static files collected"


def _mail() -> Result:
    if "smtp" not in settings.EMAIL_BACKEND:
        return WARN, f"e-mail: not sent over SMTP ({settings.EMAIL_BACKEND})"
    try:
        with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=5) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return FAIL, (
            f"e-mail: {settings.EMAIL_HOST}:{settings.EMAIL_PORT} does not answer "
            f"({type(exc).__name__}: {exc})"
        )
    return OK, f"e-mail: SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} answers"


def _backup_tools() -> Result:
    from django.db import connection

    if connection.vendor == "postgresql" and not (
        shutil.which("pg_dump") and shutil.which("pg_restore")
    ):
        return WARN, "backups: pg_dump/pg_restore not installed (apt-get install postgresql-client)"
    return OK, "backups: `relais backup` has what it needs"


def _secrets_key() -> Result:
    if not getattr(settings, "RELAIS_SECRETS_KEY", ""):
        return WARN, (
            "RELAIS_SECRETS_KEY is not set: stored passwords are sealed with SECRET_KEY, and "
            "changing SECRET_KEY would make them unreadable"
        )
    return OK, "stored passwords sealed with RELAIS_SECRETS_KEY"


def _report_facts() -> Result:
    from django.apps import apps

    ticket = apps.get_model("tickets", "Ticket")
    try:
        missing = ticket.objects.filter(fact__isnull=True).count()
    except Exception:  # the database check above says why
        return WARN, "reports: not checked (no database)"
    if missing:
        return WARN, (
            f"reports: {missing} ticket(s) without facts (the nightly job fills them; or run "
            "`relais reports-rebuild --missing` now)"
        )
    return OK, "reports: every ticket has its facts"


CHECKS: list[Callable[[], Result]] = [
    _mode,
    _django,
    _database,
    _cache_and_queue,
    _storage,
    _static,
    _mail,
    _backup_tools,
    _secrets_key,
    _report_facts,
]


class Command(BaseCommand):
    help = "Check that this installation is ready for production; exit code 1 if not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strict", action="store_true", help="warnings fail too")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for check in CHECKS:
            level, text = check()
            self.stdout.write(f"{level.upper():4}  {text}")
            if level == FAIL or (options["strict"] and level == WARN):
                failed += 1
        if failed:
            raise CommandError(f"{failed} check(s) failed: this installation is not ready.")
        self.stdout.write("Ready.")
