"""`relais demo`: seed realistic French demo data and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from relais.core import demo


class Command(BaseCommand):
    help = "Seed demo data (directions, sites, teams, ~200 people) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and demo.has_data():
            self.stdout.write("Demo data already present: nothing to do.")
            return
        if demo.has_data():
            self.stderr.write("The database already has users; run `relais demo` on an empty one.")
            raise SystemExit(1)
        summary = demo.seed(seed=options["seed"])
        for line in summary:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(demo.logins_text())
