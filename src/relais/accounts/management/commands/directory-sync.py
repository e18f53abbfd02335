"""`relais directory-sync [--dry-run] [--force]`: bring directory accounts in line with the
LDAP / Active Directory now (the worker does it on RELAIS_DIRECTORY_SYNC_CRON).

Exit code 1 when the directory cannot be read, or when the leavers were too many to be
deactivated without --force (everything else was applied)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

SHOWN = 20  # names listed per section; the counts are always complete


class Command(BaseCommand):
    help = "Synchronise accounts with the LDAP / Active Directory directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Deactivate leavers even when they exceed "
            "RELAIS_DIRECTORY_SYNC_MAX_DEACTIVATE_PERCENT.",
        )

    @translation.override("en")
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LDAP_ENABLED:
            self.stderr.write("The directory is not configured: set RELAIS_LDAP_URI.")
            sys.exit(2)
        from relais.accounts.directory import DirectoryError, sync

        try:
            report = sync(dry_run=options["dry_run"], force=options["force"])
        except DirectoryError as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        prefix = "Dry run — nothing was changed. Would have: " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{report.seen} people read from the directory: "
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.reactivated)} reactivated, {len(report.deactivated)} deactivated, "
            f"{len(report.skipped)} skipped."
        )
        for title, items in (
            ("Created", report.created),
            ("Updated", report.updated),
            ("Reactivated", report.reactivated),
            ("Deactivated", report.deactivated),
        ):
            if items:
                more = f" (and {len(items) - SHOWN} more)" if len(items) > SHOWN else ""
                self.stdout.write(f"{title}: {', '.join(items[:SHOWN])}{more}")
        for login, reason in report.skipped[:SHOWN]:
            self.stdout.write(f"Skipped {login}: {reason}")
        if report.refused_deactivations:
            self.stderr.write(
                f"{report.refused_deactivations} accounts are no longer in the directory, more "
                f"than {settings.DIRECTORY_SYNC_MAX_DEACTIVATE_PERCENT} % of the directory's "
                "accounts: none was deactivated. Check RELAIS_LDAP_USER_BASE and "
                "RELAIS_LDAP_SYNC_FILTER, then run with --force if this is right."
            )
            sys.exit(1)
