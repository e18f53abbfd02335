"""relais import-kb FILE.jsonl — import articles and community questions (JSON Lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relais.search.corpus import CorpusError, import_corpus, read_jsonl


class Command(BaseCommand):
    help = "Import a knowledge corpus (articles and answered questions) from a JSON Lines file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            help="E-mail of the supervisor or administrator who publishes (default: the first "
            "active administrator).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from relais.accounts.choices import Role
        from relais.accounts.models import User

        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        users = User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.SUPERVISOR])
        actor = (
            users.filter(email__iexact=options["actor"]).first()
            if options["actor"]
            else users.filter(role=Role.ADMIN).order_by("pk").first()
        )
        if actor is None:
            raise CommandError(
                "Importing needs an active supervisor or administrator "
                "(create one with `relais user add`, or name one with --as)."
            )
        try:
            report = import_corpus(read_jsonl(path), actor=actor)
        except CorpusError as exc:
            raise CommandError(f"Nothing was imported: {exc}") from exc
        self.stdout.write(f"{report.created} created, {report.updated} updated.")
