"""`relais privacy export EMAIL --output FILE.zip` and `relais privacy erase EMAIL --yes`:
a person's data (RGPD access and erasure) from the command line. Both are audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relais.core import privacy


class Command(BaseCommand):
    help = "Export everything about a person (ZIP), or erase it by pseudonymisation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the person's data to a ZIP file")
        export.add_argument("email")
        export.add_argument("--output", required=True, help="path of the ZIP to write")
        erase = sub.add_parser("erase", help="pseudonymise the person (cannot be undone)")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true", help="confirm the erasure")

    def handle(self, *args: Any, **options: Any) -> None:
        from relais.accounts.models import User

        person = User.objects.with_email(options["email"]).first()
        if person is None:
            raise CommandError(f"Nobody has the address {options['email']}.")
        if options["action"] == "export":
            output = Path(options["output"])
            if output.exists():
                raise CommandError(f"{output} exists already: choose another path.")
            privacy.personal_data_export_to(output, person=person)
            self.stdout.write(f"{output}")
            return
        if not options["yes"]:
            raise CommandError(
                "Erasure cannot be undone: run again with --yes to pseudonymise this person."
            )
        counts = privacy.personal_data_erase(person=person, actor=None)
        changed = ", ".join(f"{label} {n}" for label, n in counts.items() if n)
        self.stdout.write(f"Erased: now {person.display_name} <{person.email}>. {changed}")
