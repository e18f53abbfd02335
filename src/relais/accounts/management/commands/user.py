"""`relais user add EMAIL --role ROLE [--name NAME] [--password PASSWORD]` and
`relais user reset-otp EMAIL` (a lost phone, e.g. the only administrator's)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from relais.accounts import services
from relais.accounts.choices import Role
from relais.accounts.models import User


def validation_sentence(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
    return " ".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    help = "Manage user accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a user and print what was created.")
        add.add_argument("email")
        add.add_argument("--role", choices=Role.values, default=Role.COLLABORATOR)
        add.add_argument("--name", default="", help="Display name")
        add.add_argument(
            "--password",
            default=None,
            help="Initial password (omit it for an account that logs in through a reset link).",
        )
        add.formatter_class = argparse.ArgumentDefaultsHelpFormatter
        reset = sub.add_parser(
            "reset-otp",
            help="Remove someone's second factor (lost phone): they enrol again at next login.",
        )
        reset.add_argument("email")

    @translation.override("en")  # the CLI speaks English, whatever the site default
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "reset-otp":
            target = User.objects.with_email(options["email"].strip()).first()
            if target is None:
                raise CommandError(f"No user has the e-mail address {options['email']!r}.")
            services.otp_reset(user=target, actor=None)
            self.stdout.write(
                f"Second factor of {target.email} reset: they enrol again at their next login."
            )
            return
        if options["action"] == "add":
            try:
                user = services.user_create(
                    email=options["email"],
                    display_name=options["name"],
                    role=Role(options["role"]),
                    password=options["password"],
                )
            except ValidationError as exc:
                raise CommandError(validation_sentence(exc)) from exc
            self.stdout.write(
                f"Created user #{user.pk} {user.email} ({user.get_role_display()})"
                f"{' with a password' if options['password'] else ' without a password'}."
            )
