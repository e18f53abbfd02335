"""`relais restore ARCHIVE [--replace]`: load a backup into this instance, then verify it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relais.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup archive written by `relais backup` into this (stopped, empty) "
        "instance; every checksum is checked before anything changes, and the result after."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite an instance that already holds people or tickets",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore(Path(options["archive"]), replace=options["replace"])
        except (BackupError, OSError) as exc:
            raise CommandError(f"Restore refused: {exc}") from None
        if report.problems:
            for problem in report.problems[:20]:
                self.stderr.write(problem)
            raise CommandError(
                f"Restored, but {len(report.problems)} check(s) failed (listed above)."
            )
        for note in report.notes:
            self.stdout.write(note)
        self.stdout.write(
            f"Restored {report.tables} tables, {report.rows} rows and {report.files} files; "
            f"newest ticket: {report.newest_ticket or '—'}. Every row count and checksum matches."
        )
