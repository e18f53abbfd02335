"""Baseline latency of the foundation's pages and API under concurrent load.

Starts Relais (gunicorn, embedded SQLite or DATABASE_URL) on a free loopback port with demo
data, then drives it from this process with N concurrent clients over keep-alive HTTP/1.1
connections, and reports throughput and p50/p95/p99 per endpoint.

    python -m bench http-baseline [--clients 16] [--requests 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def relais(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("Relais did not start")


def load(
    port: int, path: str, headers: dict[str, str], clients: int, requests: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = requests // clients

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        local_errors = 0
        for _ in range(per_client):
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    local_errors += 1
            except OSError:
                local_errors += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local)
            errors += local_errors

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench http-baseline")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    env = {
        **os.environ,
        "RELAIS_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "relais.settings",
    }
    env.pop("RELAIS_TESTING", None)
    relais(env, "migrate", "-v0")
    relais(env, "demo")
    token = relais(env, "token", "add", "agent@relais.test").strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "relais.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        wait_ready(port)
        auth = {"Authorization": f"Bearer {token}"}
        cases = {
            "GET /connexion/ (login page)": ("/connexion/", {}),
            "GET /api/v1/me": ("/api/v1/me", auth),
            "GET /api/v1/users?page_size=50": ("/api/v1/users?page_size=50", auth),
            "GET /healthz": ("/healthz", {}),
        }
        results = {}
        for name, (path, headers) in cases.items():
            load(port, path, headers, args.clients, min(200, args.requests))  # warm-up
            results[name] = load(port, path, headers, args.clients, args.requests)
            row = results[name]
            print(
                f"{name:36} {row['throughput_rps']:>8} req/s  p50 {row['p50_ms']:>6} ms  "
                f"p95 {row['p95_ms']:>6} ms  p99 {row['p99_ms']:>6} ms  errors {row['errors']}"
            )
    finally:
        server.terminate()
        server.wait(timeout=15)
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    database = "postgresql" if "postgres" in env.get("DATABASE_URL", "") else "sqlite"
    (out_dir / "http-baseline.json").write_text(
        json.dumps(
            {
                "clients": args.clients,
                "workers": args.workers,
                "database": database,
                "results": results,
            },
            indent=2,
        )
    )
    return 0


def measure(label: str, call: Callable[[Any], Any], samples: Iterable[Any]) -> dict[str, float]:
    """Time `call(item)` for each sample after a warm-up on the first fifth (caches, query
    plans); prints and returns n, p50, p95 and max in milliseconds."""
    samples = list(samples)
    for item in samples[: max(5, len(samples) // 5)]:  # warm-up: caches, plans
        call(item)
    timings = []
    for item in samples:
        started = time.perf_counter()
        call(item)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    result = {
        "n": len(timings),
        "p50": round(percentile(timings, 50), 1),
        "p95": round(percentile(timings, 95), 1),
        "max": round(timings[-1], 1),
    }
    print(
        f"{label:<44} n={result['n']:<4} p50 {result['p50']:6.1f} ms  "
        f"p95 {result['p95']:6.1f} ms  max {result['max']:6.1f} ms",
        flush=True,
    )
    return result
