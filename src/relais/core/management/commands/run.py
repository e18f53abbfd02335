"""`relais run`: the embedded mode. Prepares the database and serves Relais with its
background worker and prober; Ctrl-C stops every process it started."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from relais.core import demo


class Command(BaseCommand):
    help = "Migrate, seed demo data on first start, then run web + worker + prober until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-demo", action="store_true", help="Never seed demo data")
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument("--no-prober", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Preparing the database…")
        call_command("compiletranslations", verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        first_start = not demo.has_data()
        if first_start and not options["no_demo"]:
            self.stdout.write("First start: seeding demo data (takes a few seconds)…")
            for line in demo.seed():
                self.stdout.write(f"  {line}")
        # Tickets from before an upgrade that added the reports get their facts now.
        call_command("reports-rebuild", "--missing", verbosity=0, stdout=io.StringIO())

        env = os.environ.copy()
        env.setdefault("DJANGO_SETTINGS_MODULE", "relais.settings")
        env["RELAIS_DATA_DIR"] = str(settings.DATA_DIR)
        metrics_dir = Path(settings.DATA_DIR) / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(mode=0o750)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "relais.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--graceful-timeout",
                "10",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [python, "-m", "relais", "worker"]
        if not options["no_prober"]:
            # The embedded prober also serves the demo's local targets (not in production).
            commands["prober"] = [python, "-m", "relais", "prober", "--demo-targets"]

        processes: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, env=env)  # noqa: S603

        host, _, port = options["bind"].rpartition(":")
        self.stdout.write("")
        self.stdout.write(f"Relais is running on http://{host}:{port}/  (Ctrl-C to stop)")
        self.stdout.write(demo.logins_text())
        self.stdout.flush()

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with code {process.returncode}; stopping."
                        )
                        exit_code = 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self.stdout.write("Stopping…")
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for name, process in processes.items():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"{name} did not stop in time; killing it.")
                    process.kill()
                    process.wait()
            self.stdout.write("Stopped.")
        if exit_code:
            raise SystemExit(exit_code)
