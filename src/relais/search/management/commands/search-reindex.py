"""relais search-reindex [KIND …] — rebuild the search index from the objects."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Rebuild the search index (every kind, or the kinds named)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        from relais.search import registry, services

        known = {s.kind: s for s in registry.sources()}
        unknown = sorted(set(options["kinds"]) - set(known))
        if unknown:
            raise CommandError(
                f"Unknown kind(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})."
            )
        chosen = [known[k] for k in options["kinds"]] or list(known.values())
        for kind, count in services.reindex(chosen).items():
            self.stdout.write(f"{kind}: {count} indexed")
