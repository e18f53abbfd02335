"""`relais mail-replay`: process stored messages again from their raw bytes (after a fix):
given ids, or every failed one with --failed."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from relais.mail.choices import InboundStatus
from relais.mail.models import InboundMessage
from relais.mail.services import Result, message_replay


class Command(BaseCommand):
    help = "Replay stored inbound messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--failed", action="store_true", help="Every failed message")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["ids"] and not options["failed"]:
            self.stderr.write("Give message ids, or --failed.")
            sys.exit(2)
        messages = list(InboundMessage.objects.filter(pk__in=options["ids"]))
        if options["failed"]:
            messages += list(InboundMessage.objects.filter(status=InboundStatus.FAILED))
        missing = set(options["ids"]) - {m.pk for m in messages}
        if missing:
            self.stderr.write(f"No stored message with id {', '.join(map(str, sorted(missing)))}.")
            sys.exit(1)
        code = 0
        for inbound in messages:
            try:
                done = message_replay(inbound=inbound, actor=None)
            except ValidationError as exc:
                self.stderr.write(f"{inbound.pk}: {' '.join(exc.messages)}")
                code = 1
                continue
            self.stdout.write(f"{inbound.pk}: {Result(done, True).summary}")
        sys.exit(code)
