"""`relais token add EMAIL [--write] [--days N] [--name NAME]`"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from relais.accounts import services
from relais.accounts.choices import TokenScope
from relais.accounts.management.commands.user import validation_sentence
from relais.accounts.models import User


class Command(BaseCommand):
    help = "Manage personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a token and print it (it is shown only once).")
        add.add_argument("email")
        add.add_argument("--write", action="store_true", help="Allow writes (default: read only)")
        add.add_argument("--days", type=int, default=None, help="Validity in days (1–366)")
        add.add_argument("--name", default="CLI", help="What the token is for")

    @translation.override("en")  # the CLI speaks English, whatever the site default
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            user = User.objects.with_email(options["email"].strip()).first()
            if user is None:
                raise CommandError(f"No user has the e-mail address {options['email']!r}.")
            try:
                issued = services.token_create(
                    user=user,
                    name=options["name"],
                    scope=TokenScope.WRITE if options["write"] else TokenScope.READ,
                    days=options["days"],
                )
            except ValidationError as exc:
                raise CommandError(validation_sentence(exc)) from exc
            token = issued.token
            self.stdout.write(
                f"Created {token.get_scope_display().lower()} token #{token.pk} for {user.email}, "
                f"valid until {token.expires_at:%Y-%m-%d}. Copy it now, it will not be shown again:"
            )
            self.stdout.write(issued.secret)
