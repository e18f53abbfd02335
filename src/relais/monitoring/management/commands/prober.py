"""`relais prober [--shard k/n]`: run the checks until stopped (SIGINT/SIGTERM)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from relais.monitoring.prober import Prober, RemoteLink, parse_shard


class Command(BaseCommand):
    help = "Run the service-watch prober (all checks, or one shard of them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shard", default="", help="k/n: run only shard k of n")
        parser.add_argument("--duration", type=float, default=None, help="stop after N seconds")
        parser.add_argument(
            "--remote",
            default="",
            help="run in another network zone: the central Relais address (its checks are "
            "read and its results reported over the API with RELAIS_PROBER_TOKEN)",
        )
        parser.add_argument(
            "--report", default="", help="write lateness, CPU and memory figures (JSON) at exit"
        )
        parser.add_argument(
            "--demo-targets",
            action="store_true",
            help="also serve the demo's local targets (embedded mode)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            shard = parse_shard(options["shard"]) if options["shard"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        remote = None
        if options["remote"]:
            token = os.environ.get("RELAIS_PROBER_TOKEN", "")
            if not token:
                raise CommandError("--remote needs the prober's token in RELAIS_PROBER_TOKEN")
            try:
                remote = RemoteLink(options["remote"], token)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        asyncio.run(self._main(shard, options, remote))

    async def _main(
        self, shard: tuple[int, int] | None, options: dict[str, Any], remote: RemoteLink | None
    ) -> None:
        prober = Prober(shard=shard, remote=remote)
        prober.stats.keep_lateness = bool(options["report"])
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, prober.stop)
        servers = None
        port = settings.MONITORING_DEMO_TARGETS_PORT
        if options["demo_targets"] and port:
            from relais.monitoring import demo_targets

            servers = await demo_targets.serve(port)
            self.stdout.write(f"Demo targets on http://127.0.0.1:{port}/ and tcp {port + 1}")
        label = f"shard {shard[0]}/{shard[1]}" if shard else "all checks"
        self.stdout.write(f"Prober running ({label}, location {prober.location}).")
        self.stdout.flush()
        try:
            await prober.run(duration=options["duration"])
        finally:
            if servers is not None:
                runner, tcp = servers
                tcp.close()
                await runner.cleanup()
        if options["report"]:
            report = prober.report()
            Path(options["report"]).write_text(json.dumps(report, indent=2))
            self.stdout.write(json.dumps(report))
        self.stdout.write("Prober stopped.")
