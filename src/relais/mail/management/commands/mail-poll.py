"""`relais mail-poll`: fetch new mail from the active mailboxes now (the worker does it every
minute). Exit code 1 when a mailbox could not be polled."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from relais.mail.imap import poll, poll_all
from relais.mail.models import Mailbox


class Command(BaseCommand):
    help = "Poll the IMAP mailboxes once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="Only this mailbox (by name)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                self.stderr.write(f"No mailbox is named {options['mailbox']!r}.")
                sys.exit(2)
            try:
                reports = [poll(mailbox)]
            except Exception as exc:
                self.stderr.write(f"{mailbox.name}: {type(exc).__name__}: {exc}")
                sys.exit(1)
        else:
            reports = poll_all()
        failed = False
        for report in reports:
            line = (
                f"{report.mailbox}: {report.fetched} fetched, {report.processed} new, "
                f"{report.already_known} already known"
            )
            if report.errors:
                failed = True
                line += " — " + "; ".join(report.errors)
            self.stdout.write(line)
        if failed:
            sys.exit(1)
