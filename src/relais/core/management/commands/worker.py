"""`relais worker`: the background worker (Huey consumer): outbox delivery and periodic jobs."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker (outbox delivery, periodic jobs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            "-w",
            type=int,
            default=None,
            help="Worker threads (default: RELAIS_WORKER_THREADS or 4)",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Do not schedule periodic jobs (when another worker already does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra = ["--workers", str(options["workers"])] if options["workers"] else []
        if options["no_periodic"]:
            extra.append("--no-periodic")
        else:
            # Catch up at once on what waited while no worker ran or the queue was down
            # (outbox rows whose delivery task was never enqueued or was lost with Redis),
            # instead of at the next minute's sweep.
            from relais.core.tasks import deliver_due_outbox_messages

            try:
                deliver_due_outbox_messages()
            except Exception as exc:  # the queue is down: the consumer will report it
                self.stderr.write(f"could not enqueue the outbox catch-up: {exc}")
        call_command("run_huey", *extra)
