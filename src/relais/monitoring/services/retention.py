"""Storage that stays small: raw results are rolled up per hour (into their day's row) and
per day, then purged after MONITORING_RAW_RETENTION_DAYS; rollups are kept
MONITORING_ROLLUP_RETENTION_DAYS (2 years)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from relais.monitoring.choices import CheckState
from relais.monitoring.models import (
    CheckResult,
    DailyRollup,
    HourSlot,
    day_start,
    hours_unpack,
)
from relais.monitoring.public_cache import public_outputs_changed


def _percentile(sorted_values: list[int], fraction: float) -> int | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return round(sorted_values[index])


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hour_position(hour: datetime) -> tuple[date, int]:
    """The local day an hour belongs to and its slot in that day's row (hours since local
    midnight, counted in real time: 23 or 25 slots on the days the clocks change)."""
    day = timezone.localtime(hour).date()
    elapsed = hour.astimezone(UTC) - day_start(day).astimezone(UTC)
    return day, int(elapsed.total_seconds() // 3600)


def hourly_rollup(hour: datetime) -> int:
    """(Re)compute every check's rollup of one hour from the raw results, in the hour's slot
    of the day rows, and the day's figures with it. Idempotent."""
    end = hour + timedelta(hours=1)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    latencies: dict[int, list[int]] = defaultdict(list)
    rows = CheckResult.objects.filter(at__gte=hour, at__lt=end).values_list(
        "check_ref_id", "state", "latency_ms"
    )
    for check_id, state, latency in rows.iterator(chunk_size=5000):
        entry = totals[check_id]
        entry[0] += 1
        if state == CheckState.DOWN:
            entry[1] += 1
        if latency is not None:
            latencies[check_id].append(latency)
    day, slot = hour_position(hour)
    with transaction.atomic():
        existing = {
            row.check_ref_id: row for row in DailyRollup.objects.select_for_update().filter(day=day)
        }
        changed = []
        for check_id in set(existing) | set(totals):
            row = existing.get(check_id) or DailyRollup(check_ref_id=check_id, day=day)
            slots = row.hour_slots()
            slots += [None] * (slot + 1 - len(slots))
            if check_id in totals:
                total, failures = totals[check_id]
                values = sorted(latencies[check_id])
                slots[slot] = HourSlot(
                    total, failures, _percentile(values, 0.5), _percentile(values, 0.95)
                )
            elif slots[slot] is None:
                continue
            else:
                slots[slot] = None  # its results are gone (a recomputation after a purge)
            row.hours_set(slots)
            changed.append(row)
        DailyRollup.objects.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["day", "check_ref"],
            update_fields=["total", "failures", "latency_p50_ms", "latency_p95_ms", "hours"],
        )
    return len(totals)


def rolled_hours(start: datetime, end: datetime) -> set[datetime]:
    """The hours in [start, end) that some check's day row has a slot for."""
    found: set[datetime] = set()
    rows = DailyRollup.objects.filter(
        day__gte=timezone.localtime(start).date(), day__lte=timezone.localtime(end).date()
    ).exclude(hours=b"")
    for day, data in rows.values_list("day", "hours").iterator(chunk_size=2000):
        midnight = day_start(day).astimezone(UTC)
        for n, slot in enumerate(hours_unpack(data)):
            hour = midnight + timedelta(hours=n)
            if slot is not None and start <= hour < end:
                found.add(hour)
    return found


def rollups_compute(*, now: datetime | None = None, hours_back: int = 3) -> int:
    """Roll up the last complete hours (run hourly)."""
    now = now or timezone.now()
    current = _hour_floor(now)
    written = sum(hourly_rollup(current - timedelta(hours=n)) for n in range(1, hours_back + 1))
    if written:
        public_outputs_changed()  # the uptime figures and bars move on
    return written


def results_purge(*, now: datetime | None = None, chunk: int = 20_000) -> int:
    """Delete raw results past retention, after making sure their hours are rolled up; drop
    rollups past two years. Idempotent and resumable."""
    now = now or timezone.now()
    cutoff = _hour_floor(now - timedelta(days=settings.MONITORING_RAW_RETENTION_DAYS))
    oldest = CheckResult.objects.filter(at__lt=cutoff).aggregate(first=Min("at"))["first"]
    if oldest is not None:
        hour = _hour_floor(oldest).astimezone(UTC)
        rolled = rolled_hours(hour, cutoff)
        while hour < cutoff:
            if (
                hour not in rolled
                and CheckResult.objects.filter(
                    at__gte=hour, at__lt=hour + timedelta(hours=1)
                ).exists()
            ):
                hourly_rollup(hour)
            hour += timedelta(hours=1)
    deleted = 0
    while True:
        # Oldest first, a time slice of about `chunk` rows at a time (the key leads with the
        # time, so each slice is an index range).
        bound = next(
            iter(
                CheckResult.objects.filter(at__lt=cutoff)
                .order_by("at")
                .values_list("at", flat=True)[chunk : chunk + 1]
            ),
            None,
        )
        if bound is None:
            deleted += CheckResult.objects.filter(at__lt=cutoff).delete()[0]
            break
        deleted += CheckResult.objects.filter(at__lte=bound).delete()[0]
    keep_after = now - timedelta(days=settings.MONITORING_ROLLUP_RETENTION_DAYS)
    DailyRollup.objects.filter(day__lt=timezone.localtime(keep_after).date()).delete()
    return deleted
