"""relais reports-rebuild: recompute the reports' ticket facts from the tickets themselves
(after a bulk load, a restore, or the upgrade that introduced them)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from relais.tickets.services import ticket_facts_rebuild


class Command(BaseCommand):
    help = "Recompute the reports' per-ticket facts from the tickets."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = ticket_facts_rebuild()
        self.stdout.write(
            f"{written} ticket facts rebuilt in {time.perf_counter() - started:.1f} s."
        )
