"""The prober: one asyncio loop running every due check of its shard (ADR 0009).

- Drift-free schedule: check c runs at t0 + phase(c) + k·interval, whatever each run took;
  phase(c) spreads checks over their interval (deterministic jitter), so 15,000 checks at
  30 s start ~500 per second instead of all at once. A run that falls behind skips the
  missed slots instead of bursting.
- Bounded concurrency (a semaphore), per-check timeouts: a black-holed target only holds its
  own coroutine. At most twice the concurrency of probes wait or run: a starved prober skips
  slots rather than queueing them without bound.
- Results are written in batches (every second or 500 results) in a worker thread through
  `services.results_record`; the event loop never touches the ORM.
- Checks are reloaded every RELOAD_SECONDS; heartbeats are evaluated every 10 s.
- The state machine's counters live in the database, so a restart resumes without
  duplicate incidents or a burst of alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import http.client
import json
import logging
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Count, Max

from relais.monitoring import executors, secrets, services
from relais.monitoring.choices import CheckKind
from relais.monitoring.executors import CheckSpec, Outcome
from relais.monitoring.models import Check
from relais.monitoring.services.config import allow_list

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 30
FLUSH_SECONDS = 1.0
FLUSH_SIZE = 500


def checks_fingerprint() -> tuple[int, object, int]:
    """Changes whenever a check is added, edited (services save it, updating updated_at),
    enabled, disabled or deleted; state updates do not touch it. One cheap query instead of
    reloading every check every RELOAD_SECONDS."""
    close_old_connections()
    row = Check.objects.filter(is_enabled=True).aggregate(
        count=Count("id"), latest=Max("updated_at"), top=Max("id")
    )
    return row["count"], row["latest"], row["top"] or 0


def allow_list_load() -> list[tuple[str, str]]:
    close_old_connections()
    return allow_list()


def load_specs(shard: tuple[int, int] | None) -> dict[int, CheckSpec]:
    """The enabled probing checks this shard owns (runs in a thread)."""
    close_old_connections()
    specs = {}
    rows = (
        Check.objects.filter(is_enabled=True)
        .exclude(kind=CheckKind.HEARTBEAT)
        .values_list(
            "id",
            "kind",
            "target",
            "interval_seconds",
            "timeout_seconds",
            "config",
            "auth_kind",
            "secret_encrypted",
        )
    )
    for pk, kind, target, interval, timeout, config, auth_kind, secret in rows.iterator(
        chunk_size=2000
    ):
        if shard is not None and not services.owns(shard, pk):
            continue
        specs[pk] = CheckSpec(
            id=pk,
            kind=kind,
            target=target,
            interval=interval,
            timeout=timeout,
            config=config or {},
            auth_kind=auth_kind,
            secret=secrets.decrypt_json(secret) if secret else {},
        )
    return specs


class RemoteLink:
    """A prober in another network zone: it reads its checks from, and reports its results
    to, the central Relais over the API with its own token (no database access)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "--remote takes the Relais address, e.g. https://relais.example.fr "
                f"(got {base_url!r})"
            )
        self.parts = parts
        self.token = token
        self.timeout = timeout
        self.allow_list: list[tuple[str, str]] = []

    def _request(self, method: str, path: str, body: bytes | None = None) -> Any:
        cls = (
            http.client.HTTPSConnection
            if self.parts.scheme == "https"
            else http.client.HTTPConnection
        )
        connection = cls(self.parts.netloc, timeout=self.timeout)
        try:
            connection.request(
                method,
                self.parts.path + path,
                body=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"Relais answered HTTP {response.status} to {method} {path}")
        return json.loads(data)

    def load(self, shard: tuple[int, int] | None) -> dict[int, CheckSpec]:
        specs = {}
        data = self._request("GET", "/api/v1/monitoring/probers/checks")
        self.allow_list = [(kind, value) for kind, value in data.get("allow_list", [])]
        for item in data["checks"]:
            if shard is not None and not services.owns(shard, item["id"]):
                continue
            specs[item["id"]] = CheckSpec(**item)
        return specs

    def write(self, batch: list[services.ProbeResult]) -> None:
        for start in range(0, len(batch), 1000):
            rows = [
                {
                    "check_id": r.check_id,
                    "at": r.at.isoformat(),
                    "state": r.outcome.state,
                    "latency_ms": r.outcome.latency_ms,
                    "http_status": r.outcome.http_status,
                    "error_code": r.outcome.error_code,
                }
                for r in batch[start : start + 1000]
            ]
            self._request(
                "POST", "/api/v1/monitoring/probers/results", json.dumps({"results": rows}).encode()
            )


def phase(check_id: int, interval: int) -> float:
    """Where in its interval a check runs: stable across restarts, spread evenly."""
    return (zlib.crc32(str(check_id).encode()) % (interval * 1000)) / 1000


@dataclass
class Stats:
    runs: int = 0
    skipped: int = 0
    lateness: list[float] = field(default_factory=list)
    keep_lateness: bool = False

    def record(self, late: float) -> None:
        self.runs += 1
        if self.keep_lateness:
            self.lateness.append(late)


class Prober:
    def __init__(
        self,
        *,
        shard: tuple[int, int] | None = None,
        concurrency: int | None = None,
        location: str | None = None,
        writer: Callable[[list[services.ProbeResult]], object] | None = None,
        reload_seconds: float = RELOAD_SECONDS,
        remote: RemoteLink | None = None,
    ) -> None:
        self.remote = remote
        self.shard = shard
        self.location = location or settings.MONITORING_LOCATION
        limit = concurrency or settings.MONITORING_PROBER_CONCURRENCY
        self.semaphore = asyncio.Semaphore(limit)
        # Probes started but not finished, running or waiting for the semaphore: at most twice
        # the concurrency (bounded memory, and a prompt stop).
        self.backlog_limit = 2 * limit
        self.specs: dict[int, CheckSpec] = {}
        self.heap: list[tuple[float, int]] = []
        self.pending: list[services.ProbeResult] = []
        self.writer = writer or (lambda batch: services.results_record(results=batch))
        self.reload_seconds = reload_seconds
        self.stats = Stats()
        self.stopping = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.session: aiohttp.ClientSession | None = None
        self.fingerprint: tuple[int, object, int] | None = None
        # Where HTTP checks may be redirected to (re-read at every reload).
        self.allow_list: list[tuple[str, str]] = []
        # Every database (or central API) call runs in this one thread: writes are serialised
        # (SQLite has one writer anyway) and its connection is closed when the prober stops.
        self.db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prober-db")

    # --- schedule -------------------------------------------------------------------------

    def _next_slot(self, spec: CheckSpec, after: float) -> float:
        """The first slot t0 + phase + k·interval strictly after `after` (epoch based, so
        every shard and restart agrees on it)."""
        base = phase(spec.id, spec.interval)
        k = int((after - base) // spec.interval) + 1
        return base + k * spec.interval

    def apply_specs(self, specs: dict[int, CheckSpec]) -> None:
        now = time.time()
        known = set(self.specs)
        self.specs = specs
        for check_id in specs.keys() - known:
            heapq.heappush(self.heap, (self._next_slot(specs[check_id], now), check_id))
        # Removed checks leave the heap lazily (skipped when popped).

    async def reload(self) -> None:
        if self.remote is not None:
            specs = await self._in_db_thread(self.remote.load, self.shard)
            self.allow_list = self.remote.allow_list
        else:
            self.allow_list = await self._in_db_thread(allow_list_load)
            fingerprint = await self._in_db_thread(checks_fingerprint)
            if self.specs and fingerprint == self.fingerprint:
                return
            self.fingerprint = fingerprint
            specs = await self._in_db_thread(load_specs, self.shard)
        changed = {pk for pk, spec in specs.items() if pk in self.specs and self.specs[pk] != spec}
        self.apply_specs(specs)
        if changed:
            self.heap = [(due, pk) for due, pk in self.heap if pk not in changed]
            heapq.heapify(self.heap)
            now = time.time()
            for pk in changed:
                heapq.heappush(self.heap, (self._next_slot(specs[pk], now), pk))

    async def _in_db_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.db_thread, func, *args)

    # --- running --------------------------------------------------------------------------

    async def _run_one(self, spec: CheckSpec, due: float) -> None:
        async with self.semaphore:
            started = time.time()
            self.stats.record(started - due)
            assert self.session is not None
            # The executors time out by themselves; this is the backstop.
            outcome = await asyncio.wait_for(
                executors.probe(spec, self.session, self.allow_list), timeout=spec.timeout + 1
            )
        self.pending.append(
            services.ProbeResult(
                spec.id, datetime.fromtimestamp(started, UTC), outcome, self.location
            )
        )

    async def _guarded(self, spec: CheckSpec, due: float) -> None:
        try:
            await self._run_one(spec, due)
        except TimeoutError:
            self.pending.append(
                services.ProbeResult(
                    spec.id,
                    datetime.fromtimestamp(due, UTC),
                    Outcome("down", error_code="timeout"),
                    self.location,
                )
            )
        except Exception:
            logger.exception("probe failed", extra={"check_id": spec.id})

    async def _scheduler(self) -> None:
        while not self.stopping.is_set():
            now = time.time()
            while self.heap and self.heap[0][0] <= now:
                due, check_id = heapq.heappop(self.heap)
                spec = self.specs.get(check_id)
                if spec is None:
                    continue
                if len(self.tasks) >= self.backlog_limit:
                    # Starved (the machine or the loop cannot keep up): skip this slot, as a
                    # late loop skips missed ones, instead of queueing without bound.
                    self.stats.skipped += 1
                else:
                    task = asyncio.create_task(self._guarded(spec, due))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                heapq.heappush(self.heap, (self._next_slot(spec, max(due, now - 0.5)), check_id))
            delay = (self.heap[0][0] - time.time()) if self.heap else 0.5
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=min(max(delay, 0.001), 0.5))

    async def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            await self._in_db_thread(self._write, batch)
        except Exception:
            logger.exception("could not record results; keeping them for the next flush")
            self.pending = batch + self.pending

    def _write(self, batch: list[services.ProbeResult]) -> None:
        if self.remote is not None:
            self.remote.write(batch)
            return
        close_old_connections()
        self.writer(batch)

    async def _flusher(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=FLUSH_SECONDS)
            await self.flush()

    async def _reloader(self) -> None:
        ticks = 0
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=10)
            ticks += 10
            try:
                if ticks >= self.reload_seconds:
                    ticks = 0
                    await self.reload()
                if self.remote is None:  # heartbeats are judged by the central probers
                    await self._in_db_thread(self._heartbeats)
            except Exception:
                logger.exception("prober housekeeping failed")

    def _heartbeats(self) -> None:
        close_old_connections()
        services.heartbeats_evaluate(shard=self.shard)

    async def run(self, *, duration: float | None = None) -> None:
        self.session = executors.new_session()
        try:
            if not self.specs:
                await self.reload()
            # The loaded checks and Django live as long as the process: keep them out of the
            # cyclic garbage collector's full passes (fewer pauses of the event loop).
            gc.freeze()
            loops = [
                asyncio.create_task(self._scheduler()),
                asyncio.create_task(self._flusher()),
                asyncio.create_task(self._reloader()),
            ]
            if duration is not None:
                await asyncio.sleep(duration)
                self.stopping.set()
            await asyncio.gather(*loops)
            if self.tasks:
                await asyncio.wait(self.tasks, timeout=5)
            await self.flush()
        finally:
            await self.session.close()
            await self._in_db_thread(connections.close_all)
            self.db_thread.shutdown(wait=True)

    def stop(self) -> None:
        self.stopping.set()

    def report(self) -> dict[str, Any]:
        """Lateness percentiles (s), CPU seconds and peak memory of this process."""
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        lateness = sorted(self.stats.lateness)

        def pct(p: float) -> float:
            if not lateness:
                return 0.0
            return round(lateness[min(len(lateness) - 1, int(p * len(lateness)))], 4)

        return {
            "checks": len(self.specs),
            "check_ids": sorted(self.specs),
            "runs": self.stats.runs,
            "skipped": self.stats.skipped,
            "lateness_p50_s": pct(0.50),
            "lateness_p99_s": pct(0.99),
            "lateness_max_s": round(lateness[-1], 4) if lateness else 0.0,
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }


def parse_shard(text: str) -> tuple[int, int]:
    """`2/3` → (2, 3); ValueError with a sentence otherwise."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError as exc:
        raise ValueError(f"--shard takes k/n, e.g. 1/3 (got {text!r})") from exc
    if not 1 <= k <= n:
        raise ValueError(f"--shard k/n needs 1 ≤ k ≤ n (got {text!r})")
    return k, n
