"""`relais run` (what `make run` starts): serves Relais with its worker, and Ctrl-C stops
every process it started."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.smtp import free_port


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found.add(int(entry))
            found |= _children(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find child processes")
def test_run_serves_the_login_page_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "RELAIS_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env["RELAIS_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "relais",
            "run",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-demo",
            "--web-workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/connexion/")
                response = conn.getresponse()
                status, body = response.status, response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200
        assert '<html lang="fr">' in body
        children = _children(process.pid)
        assert len(children) >= 2  # gunicorn (master + worker) and the worker process
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Relais is running on http://127.0.0.1:" in output
    assert "Stopped." in output
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return "zombie" not in handle.read().lower()
    except OSError:
        return False
