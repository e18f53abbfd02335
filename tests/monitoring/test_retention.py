"""Raw results are rolled up per hour and per day, then purged; rollups stay two years."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from relais.monitoring import services
from relais.monitoring.executors import Outcome
from relais.monitoring.models import Check, CheckResult, DailyRollup, HourlyRollup

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=timezone.get_fixed_timezone(0))


def test_purge_rolls_up_first_and_is_idempotent(vpn_check: Check) -> None:
    old = NOW - timedelta(days=20)
    hour = old.replace(minute=0, second=0, microsecond=0)
    results = [
        services.ProbeResult(
            vpn_check.pk,
            hour + timedelta(minutes=n),
            Outcome("down" if n < 6 else "up", float(n + 1), 200),
        )
        for n in range(60)
    ]
    CheckResult.objects.bulk_create(
        CheckResult(
            check_ref_id=r.check_id, at=r.at, state=r.outcome.state, latency_ms=r.outcome.latency_ms
        )
        for r in results
    )
    recent = CheckResult.objects.create(check_ref=vpn_check, at=NOW - timedelta(days=1), state="up")
    assert services.results_purge(now=NOW) == 60
    assert services.results_purge(now=NOW) == 0
    assert list(CheckResult.objects.values_list("pk", flat=True)) == [recent.pk]
    rollup = HourlyRollup.objects.get(check_ref=vpn_check, hour=hour)
    assert (rollup.total, rollup.failures) == (60, 6)
    assert rollup.uptime == 90.0
    assert rollup.latency_p50_ms == 31.0
    daily = DailyRollup.objects.get(check_ref=vpn_check)
    assert (daily.total, daily.failures) == (60, 6)


def test_rollups_older_than_two_years_are_dropped(vpn_check: Check) -> None:
    HourlyRollup.objects.create(check_ref=vpn_check, hour=NOW - timedelta(days=800), total=1)
    DailyRollup.objects.create(check_ref=vpn_check, day=(NOW - timedelta(days=800)).date(), total=1)
    kept = DailyRollup.objects.create(check_ref=vpn_check, day=(NOW - timedelta(days=700)).date())
    services.results_purge(now=NOW)
    assert not HourlyRollup.objects.exists()
    assert list(DailyRollup.objects.values_list("pk", flat=True)) == [kept.pk]


def test_hourly_task_rolls_up_the_last_hours(vpn_check: Check) -> None:
    at = NOW - timedelta(hours=1)
    CheckResult.objects.create(check_ref=vpn_check, at=at, state="up", latency_ms=5.0)
    services.rollups_compute(now=NOW)
    assert HourlyRollup.objects.get().total == 1
    assert DailyRollup.objects.get().total == 1
