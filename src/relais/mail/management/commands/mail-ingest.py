"""`relais mail-ingest`: one raw RFC 5322 message on standard input, for an MTA pipe
(Postfix `pipe`, Exim `pipe` transport…). Prints the reference of the ticket created or
updated, or why the message was set aside. Exit codes follow sysexits.h, so the MTA retries
on a temporary failure and bounces only what can never be read."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from relais.mail.models import Mailbox
from relais.mail.services import ingest

EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_SOFTWARE = 70
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Ingest one raw e-mail message read from standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox", help="Name of the mailbox the message was addressed to (its settings)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = None
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                self.stderr.write(f"No mailbox is named {options['mailbox']!r}.")
                sys.exit(EX_USAGE)
        raw = sys.stdin.buffer.read(settings.MAIL_MAX_MESSAGE_BYTES + 1)
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(EX_NOINPUT)
        if len(raw) > settings.MAIL_MAX_MESSAGE_BYTES:
            self.stderr.write("The message is larger than RELAIS_MAIL_MAX_MESSAGE_MB.")
            sys.exit(EX_DATAERR)
        if b":" not in raw.split(b"\n", 1)[0]:
            self.stderr.write("This is not an e-mail message (no header line).")
            sys.exit(EX_DATAERR)
        try:
            result = ingest(raw, mailbox=mailbox)
        except (DatabaseError, OSError) as exc:
            self.stderr.write(f"Temporary failure, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        except Exception as exc:
            self.stderr.write(f"Internal error: {type(exc).__name__}: {exc}")
            sys.exit(EX_SOFTWARE)
        self.stdout.write(result.summary)
        sys.exit(EX_OK)
