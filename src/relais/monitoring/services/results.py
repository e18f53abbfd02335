"""Recording probe results: the per-check state machine (failures before DOWN, successes
before UP, locations that must agree, flapping), then the service's state, its automatic
incident and its alerts. Every prober, local or remote, goes through `results_record`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter  # type: ignore[import-untyped,unused-ignore]
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from relais.monitoring.choices import (
    STATE_SEVERITY,
    CheckKind,
    CheckState,
    ErrorCode,
    ServiceState,
)
from relais.monitoring.executors import Outcome
from relais.monitoring.models import Check, Maintenance, Service
from relais.monitoring.public_cache import public_outputs_changed

# Five state changes within an hour make a check "flapping": its alerts pause until it
# settles (fewer than two changes in the last hour).
FLAP_WINDOW = timedelta(hours=1)
FLAP_THRESHOLD = 5
FLAP_CLEAR = 2


@dataclass(frozen=True)
class ProbeResult:
    check_id: int
    at: datetime
    outcome: Outcome
    location: str = ""


def _step(location_state: dict[str, Any], outcome: str, check: Check) -> dict[str, Any]:
    """One result through one location's counters; returns the new counters."""
    state = location_state.get("state", CheckState.UNKNOWN)
    failures = int(location_state.get("failures", 0))
    successes = int(location_state.get("successes", 0))
    if outcome == CheckState.DOWN:
        failures, successes = failures + 1, 0
        if failures >= check.failures_before_down:
            state = CheckState.DOWN
    else:
        if state == CheckState.UP and outcome == CheckState.UP and failures == 0:
            return location_state  # steady: nothing to write
        failures, successes = 0, successes + 1
        if state == CheckState.DOWN:
            if successes >= check.successes_before_up:
                state = outcome
        else:
            state = outcome
    return {"state": state, "failures": failures, "successes": successes}


def _overall(check: Check, locations_required: int) -> str:
    states = [entry.get("state", CheckState.UNKNOWN) for entry in check.location_states.values()]
    if not states:
        return CheckState.UNKNOWN
    down = sum(1 for s in states if s == CheckState.DOWN)
    # With N locations required, N probing locations must see the check down; fewer make it
    # degraded (one zone's network problem is not an outage).
    if down and down >= locations_required:
        return CheckState.DOWN
    if down or CheckState.DEGRADED in states:
        return CheckState.DEGRADED
    if all(s == CheckState.UNKNOWN for s in states):
        return CheckState.UNKNOWN
    return CheckState.UP


CHECK_FIELDS = (
    "id",
    "kind",
    "state",
    "state_since",
    "location_states",
    "recent_changes",
    "is_flapping",
    "failures_before_down",
    "successes_before_up",
    "service__id",
    "service__locations_required",
)


def _insert_results(batch: list[ProbeResult], known: set[int], default_location: str) -> None:
    """The prober's hot path (hundreds of rows a second): one parameterised INSERT run with
    executemany, without building a model instance per row (bulk_create spent ~0.2 ms a row
    preparing values here). The SQL is a constant; values are adapted by the backend."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (
            r.check_id,
            # Whole seconds and milliseconds, and no location for our own probers: smaller
            # rows (see the model).
            adapt(r.at.replace(microsecond=0)),
            r.outcome.state,
            round(r.outcome.latency_ms) if r.outcome.latency_ms is not None else None,
            r.outcome.http_status,
            r.outcome.error_code,
            r.outcome.detail[:200],
            "" if (r.location or default_location) == default_location else r.location[:50],
        )
        for r in batch
        if r.check_id in known
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(INSERT_RESULT_SQL, rows)


# A result already stored (a remote prober sending its batch again) is kept once: the key is
# (time, check, location). Both SQLite and PostgreSQL accept this clause.
INSERT_RESULT_SQL = (
    "INSERT INTO monitoring_checkresult "
    "(check_id, at, state, latency_ms, http_status, error_code, detail, location) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


def results_record(*, results: Iterable[ProbeResult]) -> int:
    """Store a batch of results and apply them. Returns the number of state changes.

    Most results change nothing (an UP check answering UP again): those only add their row
    and refresh `last_result_at`. The others lock their check and go through the counters."""
    batch = sorted(results, key=lambda r: r.at)
    if not batch:
        return 0
    default_location = settings.MONITORING_LOCATION
    changes = 0
    with transaction.atomic():
        ids = {r.check_id for r in batch}
        snapshot = {
            pk: (state, location_states or {})
            for pk, state, location_states in Check.objects.filter(pk__in=ids).values_list(
                "id", "state", "location_states"
            )
        }
        _insert_results(batch, set(snapshot), default_location)
        busy = {
            r.check_id
            for r in batch
            if r.check_id in snapshot
            and not _steady(snapshot[r.check_id], r.location or default_location, r.outcome.state)
        }
        checks: dict[int, Check] = {}
        if busy:
            checks = {
                c.pk: c
                for c in Check.objects.select_for_update()
                .filter(pk__in=busy)
                .select_related("service")
                .only(*CHECK_FIELDS)
            }
        last_at: dict[int, datetime] = {}
        dirty: dict[int, Check] = {}
        for result in batch:
            if result.check_id not in snapshot:
                continue
            last_at[result.check_id] = result.at
            check = checks.get(result.check_id)
            if check is None:
                continue
            location = result.location or default_location
            current = check.location_states.get(location, {})
            new = _step(current, result.outcome.state, check)
            if new is current:
                continue
            check.location_states = {**check.location_states, location: new}
            dirty[check.pk] = check
            overall = _overall(check, check.service.locations_required)
            if overall != check.state:
                _check_transition(check, overall, result.at)
                changes += 1
        # One statement per distinct second for the healthy majority (self-watch of staleness).
        by_time: dict[datetime, list[int]] = {}
        for check_id, at in last_at.items():
            by_time.setdefault(at.replace(microsecond=0), []).append(check_id)
        for at, check_ids in by_time.items():
            Check.objects.filter(pk__in=check_ids).update(last_result_at=at)
        for check in dirty.values():
            Check.objects.filter(pk=check.pk).update(
                state=check.state,
                state_since=check.state_since,
                location_states=check.location_states,
                recent_changes=check.recent_changes,
                is_flapping=check.is_flapping,
            )
        services = {c.service_id for c in dirty.values() if c.pk in _changed_ids(dirty)}
        for service_id in services:
            service_state_refresh(service_id=service_id, at=batch[-1].at)
    return changes


def _steady(snapshot: tuple[str, dict[str, Any]], location: str, outcome: str) -> bool:
    """An UP check whose location is UP with no failure, answering UP: nothing to update."""
    state, locations = snapshot
    entry = locations.get(location) or {}
    return (
        outcome == CheckState.UP
        and state == CheckState.UP
        and entry.get("state") == CheckState.UP
        and not entry.get("failures")
    )


def _changed_ids(dirty: dict[int, Check]) -> set[int]:
    return {pk for pk, c in dirty.items() if getattr(c, "_transitioned", False)}


def _check_transition(check: Check, new_state: str, at: datetime) -> None:
    recent = [t for t in check.recent_changes if datetime.fromisoformat(t) > at - FLAP_WINDOW]
    recent.append(at.isoformat())
    check.recent_changes = recent[-20:]
    if len(recent) >= FLAP_THRESHOLD:
        check.is_flapping = True
    elif len(recent) < FLAP_CLEAR:
        check.is_flapping = False
    check.state = new_state
    check.state_since = at
    check._transitioned = True  # type: ignore[attr-defined]


def active_maintenance_service_ids(at: datetime) -> set[int]:
    return set(
        Maintenance.services.through.objects.filter(
            maintenance__starts_at__lte=at, maintenance__ends_at__gt=at
        ).values_list("service_id", flat=True)
    )


SERVICE_STATE_OF: dict[str, str] = {
    CheckState.DOWN: ServiceState.DOWN,
    CheckState.DEGRADED: ServiceState.DEGRADED,
    CheckState.UNKNOWN: ServiceState.UNKNOWN,
    CheckState.UP: ServiceState.OPERATIONAL,
}


def service_state_refresh(*, service_id: int, at: datetime | None = None) -> str:
    """Recompute a service's state from its checks and maintenance windows; open, update or
    resolve its automatic incident and send the alerts that go with the change."""
    from relais.monitoring.services import alerts, incidents

    at = at or timezone.now()
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service_id)
        rows = list(
            Check.objects.filter(service_id=service_id, is_enabled=True).values_list(
                "state", "is_flapping"
            )
        )
        worst = max((s for s, _f in rows), key=lambda s: STATE_SEVERITY[s], default=None)
        flapping = any(f for _s, f in rows)
        in_maintenance = service_id in active_maintenance_service_ids(at)
        new_state: str
        if in_maintenance:
            new_state = ServiceState.MAINTENANCE
        elif worst is None:
            new_state = ServiceState.UNKNOWN
        else:
            new_state = SERVICE_STATE_OF[worst]
        old_state = service.state
        if new_state == old_state:
            return old_state
        service.state = new_state
        service.state_since = at
        service.save(update_fields=["state", "state_since"])
        public_outputs_changed()
        if new_state in (ServiceState.DOWN, ServiceState.DEGRADED):
            incident, opened, worsened = incidents.incident_open_auto(
                service=service, impact=new_state, at=at
            )
            if (opened or worsened) and not flapping:
                alerts.alerts_send(incident=incident, kind=new_state, at=at)
        elif new_state == ServiceState.OPERATIONAL:
            resolved = incidents.incident_resolve_auto(service=service, at=at)
            if resolved is not None and not flapping and resolved.alerts.exists():
                alerts.alerts_send(incident=resolved, kind="recovered", at=at)
    return new_state


def heartbeat_ping(*, token: str, at: datetime | None = None) -> Check | None:
    """A scheduled job says it ran. Unknown or disabled token → None (the view answers 404)."""
    at = at or timezone.now()
    check = Check.objects.filter(
        heartbeat_token=token, kind=CheckKind.HEARTBEAT, is_enabled=True
    ).first()
    if check is None:
        return None
    Check.objects.filter(pk=check.pk).update(last_ping_at=at)
    results_record(
        results=[ProbeResult(check.pk, at, Outcome(CheckState.UP), settings.MONITORING_LOCATION)]
    )
    return check


def heartbeat_deadline(check: Check) -> datetime:
    """When the next ping is due at the latest (period or cron, plus grace)."""
    base = check.last_ping_at or check.created_at
    if check.heartbeat_cron:
        expected = croniter(check.heartbeat_cron, base).get_next(datetime)
    else:
        expected = base + timedelta(seconds=check.interval_seconds)
    return expected + timedelta(seconds=check.grace_seconds)


def heartbeats_evaluate(
    *, now: datetime | None = None, shard: tuple[int, int] | None = None
) -> int:
    """Heartbeats whose ping is late become DOWN. Returns how many were late."""
    now = now or timezone.now()
    late = []
    for check in Check.objects.filter(kind=CheckKind.HEARTBEAT, is_enabled=True).exclude(
        state=CheckState.DOWN
    ):
        if shard is not None and not owns(shard, check.pk):
            continue
        if now > heartbeat_deadline(check):
            late.append(
                ProbeResult(
                    check.pk,
                    now,
                    Outcome(CheckState.DOWN, error_code=ErrorCode.HEARTBEAT_LATE),
                    settings.MONITORING_LOCATION,
                )
            )
    if late:
        results_record(results=late)
    return len(late)


def owns(shard: tuple[int, int], check_id: int) -> bool:
    """Shard k of n owns the checks whose id hashes to k (exactly one shard per check)."""
    k, n = shard
    return shard_of(check_id, n) == k


def shard_of(check_id: int, shards: int) -> int:
    # A multiplicative hash spreads consecutive ids evenly; 1-based like `--shard 1/3`.
    return ((check_id * 2654435761) % 2**32) % shards + 1
