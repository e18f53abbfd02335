"""Raw results are rolled up per hour and per day, then purged; rollups stay two years."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from relais.monitoring import selectors, services
from relais.monitoring.executors import Outcome
from relais.monitoring.models import Check, CheckResult, DailyRollup, HourSlot
from relais.monitoring.services.retention import hour_position

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def _results(check: Check, start: datetime, count: int, down: int = 0) -> None:
    CheckResult.objects.bulk_create(
        CheckResult(
            check_ref=check,
            at=start + timedelta(minutes=n),
            state="down" if n < down else "up",
            latency_ms=n + 1,
        )
        for n in range(count)
    )


def test_purge_rolls_up_first_and_is_idempotent(vpn_check: Check) -> None:
    hour = (NOW - timedelta(days=20)).replace(minute=0)
    _results(vpn_check, hour, 60, down=6)
    recent = CheckResult.objects.create(check_ref=vpn_check, at=NOW - timedelta(days=1), state="up")
    assert services.results_purge(now=NOW) == 60
    assert services.results_purge(now=NOW) == 0
    assert list(CheckResult.objects.values_list("at", flat=True)) == [recent.at]
    daily = DailyRollup.objects.get(check_ref=vpn_check)
    day, slot = hour_position(hour)
    assert daily.day == day == date(2026, 10, 31)
    # 2026-10-31 12:00 UTC is 13:00 in Paris (winter time): slot 13.
    assert slot == 13
    assert daily.hour_slots()[slot] == HourSlot(60, 6, 31, 57)
    assert [s for s in daily.hour_slots() if s is not None] == [HourSlot(60, 6, 31, 57)]
    assert (daily.total, daily.failures, daily.uptime) == (60, 6, 90.0)


def test_purge_deletes_by_slices_of_time(vpn_check: Check, admin_user: object) -> None:
    other = Check.objects.create(service=vpn_check.service, name="Autre", kind="heartbeat")
    start = (NOW - timedelta(days=30)).replace(minute=0)
    _results(vpn_check, start, 50)
    _results(other, start, 50)  # the same seconds: a slice boundary splits no second
    assert services.results_purge(now=NOW, chunk=7) == 100
    assert not CheckResult.objects.exists()
    assert sorted(DailyRollup.objects.values_list("total", flat=True)) == [50, 50]


def test_rollups_older_than_two_years_are_dropped(vpn_check: Check) -> None:
    DailyRollup.objects.create(check_ref=vpn_check, day=(NOW - timedelta(days=800)).date(), total=1)
    kept = DailyRollup.objects.create(check_ref=vpn_check, day=(NOW - timedelta(days=700)).date())
    services.results_purge(now=NOW)
    assert list(DailyRollup.objects.values_list("day", flat=True)) == [kept.day]


def test_hourly_task_rolls_up_the_last_hours_into_the_day_row(vpn_check: Check) -> None:
    _results(vpn_check, NOW - timedelta(hours=2), 3)
    _results(vpn_check, NOW - timedelta(minutes=75), 2, down=1)
    services.rollups_compute(now=NOW)
    services.rollups_compute(now=NOW)  # idempotent
    daily = DailyRollup.objects.get()
    slots = [s for s in daily.hour_slots() if s is not None]
    assert slots == [HourSlot(3, 0, 2, 3), HourSlot(2, 1, 1, 2)]
    assert (daily.total, daily.failures, daily.latency_p50_ms, daily.latency_p95_ms) == (
        5,
        1,
        1,
        3,
    )
    # The latency graph reads the hours back.
    assert selectors.latency_series(vpn_check, now=NOW) == [
        (datetime(2026, 11, 20, 10, tzinfo=UTC), 2.0),
        (datetime(2026, 11, 20, 11, tzinfo=UTC), 1.0),
    ]
    # Today's bar comes from the same row.
    bars = selectors.uptime_bars([vpn_check.service_id], timezone.localdate(NOW))
    assert bars[vpn_check.service_id][-1].uptime == 80.0


def test_the_day_the_clocks_go_back_has_25_hour_slots(vpn_check: Check) -> None:
    # 25 October 2026 in Paris: from 22:00 UTC the day before to 23:00 UTC, 25 hours.
    last_hour = datetime(2026, 10, 25, 22, tzinfo=UTC)
    assert hour_position(last_hour) == (date(2026, 10, 25), 24)
    _results(vpn_check, last_hour, 2)
    services.rollups_compute(now=last_hour + timedelta(hours=1), hours_back=1)
    slots = DailyRollup.objects.get().hour_slots()
    assert len(slots) == 25
    assert slots[24] == HourSlot(2, 0, 1, 2)


def test_a_result_sent_twice_is_stored_once(vpn_check: Check) -> None:
    result = services.ProbeResult(vpn_check.pk, NOW, Outcome("up", 12.4, 200), "agence-nord")
    services.results_record(results=[result])
    services.results_record(results=[result])
    assert list(CheckResult.objects.values_list("location", "latency_ms")) == [("agence-nord", 12)]
