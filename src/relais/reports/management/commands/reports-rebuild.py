"""relais reports-rebuild: recompute the reports' ticket facts from the tickets themselves
(after a bulk load, a restore, or the upgrade that introduced them)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from relais.tickets.services import ticket_facts_fill_missing, ticket_facts_rebuild


class Command(BaseCommand):
    help = "Recompute the reports' per-ticket facts from the tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing", action="store_true", help="only the tickets that have no facts yet"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = ticket_facts_fill_missing() if options["missing"] else ticket_facts_rebuild()
        self.stdout.write(
            f"{written} ticket facts rebuilt in {time.perf_counter() - started:.1f} s."
        )
