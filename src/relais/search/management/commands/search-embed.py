"""relais search-embed [--all] — compute the vectors of the optional semantic search component
for the knowledge entries that lack one (or whose text changed), synchronously."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Embed knowledge entries for semantic search (those missing or changed; --all: every one)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="re-embed every entry, even an up-to-date one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from relais.search import semantic

        if not semantic.available():
            raise CommandError(
                "The semantic search component is not installed: "
                "install Relais with its extra, pip install 'relais[semantic]'."
            )
        if not semantic.enabled():
            self.stderr.write(
                "Note: RELAIS_SEARCH_SEMANTIC turns the component off; searches will not use "
                "these vectors until it is on."
            )
        started = time.monotonic()
        tty = sys.stdout.isatty()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done not in (0, total) and now - last[0] < (0.5 if tty else 10):
                return
            last[0] = now
            rate = done / max(now - started, 1e-6)
            line = f"embedded {done}/{total} ({rate:.1f}/s)"
            self.stdout.write(line, ending="\r" if tty and done < total else "\n")

        written = semantic.backfill(force=options["all"], progress=progress)
        self.stdout.write(
            f"{written} vector(s) written in {time.monotonic() - started:.1f} s "
            f"({semantic.model_id()})."
        )
