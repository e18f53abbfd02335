"""Storage that stays small: raw results are rolled up per hour and per day, then purged after
MONITORING_RAW_RETENTION_DAYS; rollups are kept MONITORING_ROLLUP_RETENTION_DAYS (2 years)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from relais.monitoring.choices import CheckState
from relais.monitoring.models import CheckResult, DailyRollup, HourlyRollup


def _percentile(sorted_values: list[float], fraction: float) -> int | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return round(sorted_values[index])


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hourly_rollup(hour: datetime) -> int:
    """(Re)compute every check's rollup of one hour from the raw results. Idempotent."""
    end = hour + timedelta(hours=1)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    latencies: dict[int, list[float]] = defaultdict(list)
    rows = CheckResult.objects.filter(at__gte=hour, at__lt=end).values_list(
        "check_ref_id", "state", "latency_ms"
    )
    for check_id, state, latency in rows.iterator(chunk_size=5000):
        entry = totals[check_id]
        entry[0] += 1
        if state == CheckState.DOWN:
            entry[1] += 1
        elif state == CheckState.DEGRADED:
            entry[2] += 1
        if latency is not None:
            latencies[check_id].append(latency)
    with transaction.atomic():
        HourlyRollup.objects.filter(hour=hour).exclude(check_ref_id__in=list(totals)).delete()
        for check_id, (total, failures, degraded) in totals.items():
            values = sorted(latencies[check_id])
            HourlyRollup.objects.update_or_create(
                check_ref_id=check_id,
                hour=hour,
                defaults={
                    "total": total,
                    "failures": failures,
                    "degraded": degraded,
                    "latency_p50_ms": _percentile(values, 0.5),
                    "latency_p95_ms": _percentile(values, 0.95),
                },
            )
    return len(totals)


def daily_rollup(day: date) -> int:
    """A day from its hours. p50 is the median of the hourly medians and p95 the highest
    hourly p95 (an upper bound): exact enough for the status page, and cheap."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    hours = HourlyRollup.objects.filter(hour__gte=start, hour__lt=end).values_list(
        "check_ref_id", "total", "failures", "degraded", "latency_p50_ms", "latency_p95_ms"
    )
    grouped: dict[int, list[tuple[int, int, int, float | None, float | None]]] = defaultdict(list)
    for check_id, *rest in hours:
        grouped[check_id].append(tuple(rest))  # type: ignore[arg-type]
    with transaction.atomic():
        for check_id, items in grouped.items():
            p50s = sorted(i[3] for i in items if i[3] is not None)
            p95s = [i[4] for i in items if i[4] is not None]
            DailyRollup.objects.update_or_create(
                check_ref_id=check_id,
                day=day,
                defaults={
                    "total": sum(i[0] for i in items),
                    "failures": sum(i[1] for i in items),
                    "degraded": sum(i[2] for i in items),
                    "latency_p50_ms": _percentile(p50s, 0.5),
                    "latency_p95_ms": round(max(p95s)) if p95s else None,
                },
            )
    return len(grouped)


def rollups_compute(*, now: datetime | None = None, hours_back: int = 3) -> int:
    """Roll up the last complete hours and the days they belong to (run hourly)."""
    now = now or timezone.now()
    current = _hour_floor(now)
    days: set[date] = set()
    count = 0
    for n in range(1, hours_back + 1):
        hour = current - timedelta(hours=n)
        count += hourly_rollup(hour)
        days.add(timezone.localtime(hour).date())
    for day in sorted(days):
        daily_rollup(day)
    return count


def results_purge(*, now: datetime | None = None, chunk: int = 20_000) -> int:
    """Delete raw results past retention, after making sure their hours are rolled up; drop
    rollups past two years. Idempotent and resumable."""
    now = now or timezone.now()
    cutoff = _hour_floor(now - timedelta(days=settings.MONITORING_RAW_RETENTION_DAYS))
    oldest = CheckResult.objects.filter(at__lt=cutoff).aggregate(first=Min("at"))["first"]
    if oldest is not None:
        hour = _hour_floor(oldest)
        rolled = set(
            HourlyRollup.objects.filter(hour__gte=hour, hour__lt=cutoff)
            .values_list("hour", flat=True)
            .distinct()
        )
        days: set[date] = set()
        while hour < cutoff:
            if (
                hour not in rolled
                and CheckResult.objects.filter(
                    at__gte=hour, at__lt=hour + timedelta(hours=1)
                ).exists()
            ):
                hourly_rollup(hour)
                days.add(timezone.localtime(hour).date())
            hour += timedelta(hours=1)
        for day in sorted(days):
            daily_rollup(day)
    deleted = 0
    while True:
        ids = list(CheckResult.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        deleted += CheckResult.objects.filter(pk__in=ids).delete()[0]
    keep_after = now - timedelta(days=settings.MONITORING_ROLLUP_RETENTION_DAYS)
    HourlyRollup.objects.filter(hour__lt=keep_after).delete()
    DailyRollup.objects.filter(day__lt=timezone.localtime(keep_after).date()).delete()
    return deleted
