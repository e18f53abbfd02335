"""`relais backup [DESTINATION]`: the database and every stored file in one verified archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relais.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup archive (database + stored files, with checksums) into DESTINATION, "
        "a directory (default: <data dir>/backups) or a path ending in .tar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", nargs="?", help="directory or .tar path")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        destination = Path(options["destination"] or Path(settings.DATA_DIR) / "backups")
        try:
            report = backup(destination)
        except (BackupError, OSError) as exc:
            raise CommandError(f"Backup failed: {exc}") from None
        self.stdout.write(
            f"{report.archive}\n"
            f"{report.tables} tables, {report.rows} rows, {report.files} files, "
            f"{report.bytes / 1e6:.1f} MB; newest ticket: {report.newest_ticket or '—'}"
        )
