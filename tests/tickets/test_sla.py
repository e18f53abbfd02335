"""SLA arithmetic in business time: opening hours, French public holidays, DST, 24/7 calendars
and pauses. Pure functions, no database."""

from __future__ import annotations

import time as monotonic_clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relais.tickets.sla import (
    BusinessCalendar,
    Pause,
    sla_deadline_compute,
    sla_elapsed,
    sla_progress,
    sla_remaining,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
FRENCH = BusinessCalendar.french()
AROUND_THE_CLOCK = BusinessCalendar.around_the_clock()
NO_PAUSES: list[Pause] = []

# The conftest's autouse fixtures are function-scoped; these tests use none of their state.
property_settings = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def calendar_open_on_sundays(*intervals: tuple[time, time]) -> BusinessCalendar:
    return BusinessCalendar(timezone=PARIS, hours={6: intervals})


# --- Refused input ---------------------------------------------------------------------------

NAIVE = datetime(2026, 1, 13, 10, 0)
AWARE = paris(2026, 1, 13, 10)

NAIVE_CALLS: dict[str, Callable[[], Any]] = {
    "is_open": lambda: FRENCH.is_open(NAIVE),
    "add_business_time": lambda: FRENCH.add_business_time(NAIVE, hours(1)),
    "business_time_between start": lambda: FRENCH.business_time_between(NAIVE, AWARE),
    "business_time_between end": lambda: FRENCH.business_time_between(AWARE, NAIVE),
    "pause start": lambda: Pause(start=NAIVE, end=None),
    "pause end": lambda: Pause(start=AWARE, end=NAIVE),
    "sla_elapsed": lambda: sla_elapsed(FRENCH, start=AWARE, now=NAIVE, pauses=NO_PAUSES),
    "sla_deadline_compute": lambda: sla_deadline_compute(
        FRENCH, start=NAIVE, target=hours(4), pauses=NO_PAUSES
    ),
    "sla_remaining": lambda: sla_remaining(
        FRENCH, start=NAIVE, target=hours(4), now=AWARE, pauses=NO_PAUSES
    ),
    "sla_progress": lambda: sla_progress(
        FRENCH, start=AWARE, target=hours(4), now=NAIVE, pauses=NO_PAUSES
    ),
}


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_naive_datetime_is_refused(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    "opening_hours",
    [{}, {0: (), 6: ()}],
    ids=["no weekday", "only empty weekdays"],
)
def test_calendar_without_opening_hours_is_refused(
    opening_hours: dict[int, tuple[tuple[time, time], ...]],
) -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        BusinessCalendar(timezone=PARIS, hours=opening_hours)


@pytest.mark.parametrize(
    ("opening_hours", "message"),
    [
        ({7: ((time(9), time(17)),)}, "weekday must be 0"),
        ({0: ((time(17), time(9)),)}, "empty or crosses midnight"),
        ({0: ((time(9), time(9)),)}, "empty or crosses midnight"),
        ({0: ((time(13), time(17)), (time(9), time(12)))}, "ordered and not overlap"),
        ({0: ((time(9), time(13)), (time(12), time(17)))}, "ordered and not overlap"),
        ({0: ((time(22), time(0)), (time(23), time(0)))}, "ordered and not overlap"),
        ({0: ((time(9, tzinfo=UTC), time(17)),)}, "naive wall-clock"),
    ],
    ids=["weekday 7", "reversed", "empty", "unsorted", "overlapping", "after 24:00", "aware"],
)
def test_malformed_opening_hours_are_refused(
    opening_hours: dict[int, tuple[tuple[time, time], ...]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(timezone=PARIS, hours=opening_hours)


def test_adjacent_intervals_are_accepted_and_count_once() -> None:
    given_calendar = BusinessCalendar(
        timezone=PARIS, hours={1: ((time(9), time(12)), (time(12), time(17)))}
    )

    elapsed = given_calendar.business_time_between(paris(2026, 1, 13), paris(2026, 1, 14))

    assert elapsed == hours(8)


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        FRENCH.add_business_time(AWARE, -timedelta(minutes=1))


def test_pause_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Pause(start=paris(2026, 1, 13, 11), end=paris(2026, 1, 13, 10))


def test_progress_against_a_zero_target_is_refused() -> None:
    with pytest.raises(ValueError, match="target must be positive"):
        sla_progress(
            FRENCH, start=AWARE, target=timedelta(0), now=AWARE + hours(1), pauses=NO_PAUSES
        )


def test_calendar_whose_hours_were_emptied_afterwards_stops_instead_of_looping() -> None:
    given_calendar = BusinessCalendar(timezone=PARIS, hours={0: ((time(9), time(17)),)})
    given_calendar.hours.clear()

    with pytest.raises(ValueError, match="never opens"):
        given_calendar.add_business_time(AWARE, hours(1))


# --- The French calendar ---------------------------------------------------------------------


def test_french_calendar_defaults() -> None:
    assert FRENCH.timezone == PARIS
    assert FRENCH.hours == {
        weekday: ((time(8, 30), time(12, 30)), (time(13, 30), time(18))) for weekday in range(5)
    }
    assert {date(2020, 1, 1), date(2040, 12, 25)} <= FRENCH.closed_days
    assert date(2019, 12, 25) not in FRENCH.closed_days
    assert date(2041, 1, 1) not in FRENCH.closed_days


def test_french_holidays_come_from_the_holidays_package_with_movable_feasts() -> None:
    given_calendar = BusinessCalendar.french(years=range(2026, 2028))

    assert given_calendar.closed_days == {
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
        date(2027, 1, 1),
        date(2027, 3, 29),  # Easter Monday
        date(2027, 5, 1),
        date(2027, 5, 6),  # Ascension
        date(2027, 5, 8),
        date(2027, 5, 17),  # Whit Monday
        date(2027, 7, 14),
        date(2027, 8, 15),
        date(2027, 11, 1),
        date(2027, 11, 11),
        date(2027, 12, 25),
    }


def test_french_calendar_accepts_custom_hours_extra_closures_and_timezone() -> None:
    given_calendar = BusinessCalendar.french(
        hours={5: ((time(9), time(12)),)},
        years=range(2026, 2027),
        extra_closed=frozenset({date(2026, 1, 17)}),
        timezone="America/Martinique",
    )

    assert given_calendar.timezone == ZoneInfo("America/Martinique")
    assert date(2026, 1, 17) in given_calendar.closed_days
    # Saturday 17 January is closed: the next Saturday, 09:00 in Martinique (UTC-4).
    assert given_calendar.add_business_time(datetime(2026, 1, 16, 10, tzinfo=UTC), hours(1)) == utc(
        2026, 1, 24, 14
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 1, 13, 8, 29), False),
        (paris(2026, 1, 13, 8, 30), True),
        (paris(2026, 1, 13, 12, 29), True),
        (paris(2026, 1, 13, 12, 30), False),
        (paris(2026, 1, 13, 13, 30), True),
        (paris(2026, 1, 13, 17, 59), True),
        (paris(2026, 1, 13, 18, 0), False),
        (paris(2026, 1, 13, 23, 0), False),
        (paris(2026, 1, 17, 10, 0), False),  # Saturday
        (paris(2026, 5, 1, 10, 0), False),  # Labour Day
        (utc(2026, 1, 13, 7, 45), True),  # 08:45 in Paris
        (datetime(2026, 1, 13, 3, 0, tzinfo=NEW_YORK), True),  # 09:00 in Paris
    ],
)
def test_is_open(moment: datetime, expected: bool) -> None:
    assert FRENCH.is_open(moment) is expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Friday evening rolls over the weekend: 30 minutes on Friday, 30 on Monday.
        (paris(2026, 1, 16, 17, 30), hours(1), paris(2026, 1, 19, 9, 0)),
        # Tuesday evening rolls over to Wednesday morning.
        (paris(2026, 1, 13, 17, 0), hours(2), paris(2026, 1, 14, 9, 30)),
        # The lunch break does not count.
        (paris(2026, 1, 13, 12, 0), hours(1), paris(2026, 1, 13, 14, 0)),
        # Starting during lunch, the clock starts at 13:30.
        (paris(2026, 1, 13, 12, 45), timedelta(minutes=30), paris(2026, 1, 13, 14, 0)),
        # Starting before opening, the clock starts at 08:30.
        (paris(2026, 1, 13, 7, 0), hours(1), paris(2026, 1, 13, 9, 30)),
        # Starting at night, the clock starts the next morning.
        (paris(2026, 1, 13, 23, 0), hours(1), paris(2026, 1, 14, 9, 30)),
        # Starting on Saturday, the clock starts on Monday.
        (paris(2026, 1, 17, 10, 0), hours(1), paris(2026, 1, 19, 9, 30)),
        # Ending exactly at closing time gives the closing time, not the next opening.
        (paris(2026, 1, 13, 17, 0), hours(1), paris(2026, 1, 13, 18, 0)),
        (paris(2026, 1, 13, 8, 30), hours(4), paris(2026, 1, 13, 12, 30)),
        # A whole business day.
        (paris(2026, 1, 13, 8, 30), hours(8.5), paris(2026, 1, 13, 18, 0)),
        # A business week, from Tuesday to Tuesday.
        (paris(2026, 1, 13, 10, 0), hours(42.5), paris(2026, 1, 20, 10, 0)),
        # Microseconds are kept.
        (
            paris(2026, 1, 13, 10, 0),
            timedelta(microseconds=1),
            datetime(2026, 1, 13, 10, 0, 0, 1, tzinfo=PARIS),
        ),
    ],
)
def test_add_business_time(start: datetime, duration: timedelta, expected: datetime) -> None:
    result = FRENCH.add_business_time(start, duration)

    assert result == expected
    assert result.tzinfo is UTC
    assert FRENCH.business_time_between(start, result) == duration


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (paris(2026, 1, 13, 10, 0), paris(2026, 1, 13, 10, 0)),
        (paris(2026, 1, 13, 12, 30), paris(2026, 1, 13, 13, 30)),
        (paris(2026, 1, 16, 18, 0), paris(2026, 1, 19, 8, 30)),
    ],
)
def test_zero_duration_gives_the_instant_the_clock_starts(
    start: datetime, expected: datetime
) -> None:
    assert FRENCH.add_business_time(start, timedelta(0)) == expected


def test_the_same_instant_in_any_timezone_gives_the_same_deadline() -> None:
    given_instants = [
        paris(2026, 1, 16, 17, 30),
        utc(2026, 1, 16, 16, 30),
        datetime(2026, 1, 16, 11, 30, tzinfo=NEW_YORK),
    ]

    deadlines = {FRENCH.add_business_time(instant, hours(1)) for instant in given_instants}

    assert deadlines == {utc(2026, 1, 19, 8, 0)}


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Friday 1 May 2026 (Labour Day), then the weekend.
        (paris(2026, 5, 1, 10, 0), paris(2026, 5, 4, 9, 30)),
        # Tuesday 14 July 2026 (Bastille Day).
        (paris(2026, 7, 14, 10, 0), paris(2026, 7, 15, 9, 30)),
        # Easter Monday 6 April 2026, computed by `holidays`.
        (paris(2026, 4, 6, 10, 0), paris(2026, 4, 7, 9, 30)),
        # Easter Monday 29 March 2027.
        (paris(2027, 3, 29, 10, 0), paris(2027, 3, 30, 9, 30)),
        # Friday 25 December 2026 (Christmas), then the weekend; 26 December is worked in
        # France outside Alsace-Moselle, but it is a Saturday.
        (paris(2026, 12, 25, 10, 0), paris(2026, 12, 28, 9, 30)),
        # Thursday 14 May 2026 (Ascension), Friday 15 is worked.
        (paris(2026, 5, 14, 10, 0), paris(2026, 5, 15, 9, 30)),
    ],
    ids=["1 May", "14 July", "Easter Monday 2026", "Easter Monday 2027", "Christmas", "Ascension"],
)
def test_start_on_a_public_holiday_starts_the_clock_on_the_next_business_day(
    start: datetime, expected: datetime
) -> None:
    assert FRENCH.add_business_time(start, hours(1)) == expected


def test_christmas_eve_deadline_jumps_over_christmas_and_the_weekend() -> None:
    given_start = paris(2026, 12, 24, 17, 0)  # Thursday

    deadline = FRENCH.add_business_time(given_start, hours(2))

    assert deadline == paris(2026, 12, 28, 9, 30)  # Monday


def test_extra_closed_days_are_skipped() -> None:
    given_calendar = BusinessCalendar.french(extra_closed=frozenset({date(2026, 5, 15)}))

    # Ascension Thursday and the bridge Friday are both closed.
    deadline = given_calendar.add_business_time(paris(2026, 5, 13, 17, 30), hours(1))

    assert deadline == paris(2026, 5, 18, 9, 0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (paris(2026, 1, 13, 0), paris(2026, 1, 14, 0), hours(8.5)),
        (paris(2026, 1, 12, 0), paris(2026, 1, 19, 0), hours(42.5)),
        # The week of 14 July 2026 has four business days.
        (paris(2026, 7, 13, 0), paris(2026, 7, 20, 0), hours(34)),
        (paris(2026, 1, 17, 0), paris(2026, 1, 19, 0), timedelta(0)),  # weekend
        (paris(2026, 1, 13, 12, 0), paris(2026, 1, 13, 14, 0), hours(1)),  # lunch
        (paris(2026, 1, 13, 10, 0), paris(2026, 1, 13, 10, 0), timedelta(0)),
        (paris(2026, 1, 13, 11, 0), paris(2026, 1, 13, 10, 0), timedelta(0)),  # reversed
        # The whole of 2026: 252 business days, 365 - 104 weekend days - 9 holidays on weekdays
        # (15 August and 1 November 2026 fall on a weekend).
        (paris(2026, 1, 1), paris(2027, 1, 1), hours(252 * 8.5)),
    ],
)
def test_business_time_between(start: datetime, end: datetime, expected: timedelta) -> None:
    assert FRENCH.business_time_between(start, end) == expected


# --- Daylight saving time --------------------------------------------------------------------


def test_spring_forward_weekend_keeps_wall_clock_opening_hours() -> None:
    # Sunday 29 March 2026, 02:00 CET -> 03:00 CEST.
    given_friday_evening = paris(2026, 3, 27, 17, 30)

    deadline = FRENCH.add_business_time(given_friday_evening, hours(1))

    assert deadline == paris(2026, 3, 30, 9, 0)
    assert deadline == utc(2026, 3, 30, 7, 0)
    assert FRENCH.business_time_between(paris(2026, 3, 30), paris(2026, 3, 31)) == hours(8.5)
    assert FRENCH.business_time_between(given_friday_evening, deadline) == hours(1)


def test_fall_back_weekend_keeps_wall_clock_opening_hours() -> None:
    # Sunday 25 October 2026, 03:00 CEST -> 02:00 CET.
    given_friday_evening = paris(2026, 10, 23, 17, 30)

    deadline = FRENCH.add_business_time(given_friday_evening, hours(1))

    assert deadline == paris(2026, 10, 26, 9, 0)
    assert deadline == utc(2026, 10, 26, 8, 0)
    assert FRENCH.business_time_between(paris(2026, 10, 26), paris(2026, 10, 27)) == hours(8.5)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 28), hours(24)),
        (date(2026, 3, 29), hours(23)),
        (date(2026, 3, 30), hours(24)),
        (date(2026, 10, 25), hours(25)),
    ],
)
def test_around_the_clock_day_lasts_as_long_as_the_local_day(
    day: date, expected: timedelta
) -> None:
    start = datetime.combine(day, time(0), tzinfo=PARIS)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)

    assert AROUND_THE_CLOCK.business_time_between(start, end) == expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # 24 real hours across the spring-forward night: the wall clock shows 25.
        (paris(2026, 3, 28, 12, 0), hours(24), paris(2026, 3, 29, 13, 0)),
        # 24 real hours across the fall-back night: the wall clock shows 23.
        (paris(2026, 10, 24, 12, 0), hours(24), paris(2026, 10, 25, 11, 0)),
        # A P1 ticket opened on Christmas Eve night is not paused by Christmas.
        (paris(2026, 12, 24, 23, 0), hours(4), paris(2026, 12, 25, 3, 0)),
        # Long targets on the fast path and through both DST changes of 2026.
        (paris(2026, 1, 1, 0, 0), hours(24 * 365), paris(2027, 1, 1, 0, 0)),
    ],
)
def test_around_the_clock_counts_real_elapsed_time(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    result = AROUND_THE_CLOCK.add_business_time(start, duration)

    assert result == expected
    assert result - start == duration


def test_around_the_clock_is_open_on_holidays_and_at_midnight() -> None:
    assert AROUND_THE_CLOCK.is_open(paris(2026, 5, 1, 0, 0))
    assert AROUND_THE_CLOCK.is_open(paris(2026, 12, 25, 23, 59))
    assert AROUND_THE_CLOCK.closed_days == frozenset()


def test_interval_closing_at_midnight_runs_to_the_end_of_the_day() -> None:
    given_night_shift = BusinessCalendar(
        timezone=PARIS,
        hours={0: ((time(22), time(0)),), 1: ((time(0), time(6)),)},
    )

    # Monday 22:00 to Tuesday 06:00 is one continuous shift.
    assert given_night_shift.add_business_time(paris(2026, 1, 12, 21), hours(8)) == paris(
        2026, 1, 13, 6
    )
    assert given_night_shift.is_open(paris(2026, 1, 12, 23, 59))
    assert given_night_shift.is_open(paris(2026, 1, 13, 0, 0))
    assert not given_night_shift.is_open(paris(2026, 1, 13, 6, 0))


def test_opening_in_the_spring_forward_gap_opens_when_the_gap_ends() -> None:
    # 02:30 does not exist on 29 March 2026: the clock jumps from 02:00 to 03:00 CEST.
    given_calendar = calendar_open_on_sundays((time(2, 30), time(3, 15)))

    assert given_calendar.openings_on(date(2026, 3, 29)) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 15))
    ]
    assert given_calendar.add_business_time(paris(2026, 3, 28, 12), timedelta(minutes=10)) == (
        paris(2026, 3, 29, 3, 10)
    )
    assert given_calendar.is_open(paris(2026, 3, 29, 3, 0))
    assert not given_calendar.is_open(paris(2026, 3, 29, 1, 59))


def test_interval_wholly_in_the_spring_forward_gap_is_skipped() -> None:
    given_calendar = calendar_open_on_sundays((time(2, 0), time(2, 30)))

    assert given_calendar.openings_on(date(2026, 3, 29)) == []
    assert given_calendar.add_business_time(paris(2026, 3, 28, 12), hours(0.5)) == paris(
        2026, 4, 5, 2, 30
    )


def test_opening_in_the_fall_back_fold_opens_at_its_first_occurrence() -> None:
    # 02:00-03:00 happens twice on 25 October 2026; opening at 02:00 CEST and closing at
    # 03:00 CET covers both passes.
    given_calendar = calendar_open_on_sundays((time(2, 0), time(3, 0)))

    assert given_calendar.openings_on(date(2026, 10, 25)) == [
        (utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0))
    ]
    assert given_calendar.business_time_between(paris(2026, 10, 25), paris(2026, 10, 26)) == hours(
        2
    )


def test_other_timezones_follow_their_own_dst_dates() -> None:
    # New York springs forward on 8 March 2026, three weeks before Paris.
    given_calendar = BusinessCalendar.french(years=range(2026, 2027), timezone="America/New_York")

    deadline = given_calendar.add_business_time(
        datetime(2026, 3, 6, 17, 30, tzinfo=NEW_YORK), hours(1)
    )

    assert deadline == datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)
    assert deadline == utc(2026, 3, 9, 13, 0)


# --- Pauses ----------------------------------------------------------------------------------

TUESDAY_9 = paris(2026, 1, 13, 9, 0)


def test_closed_pause_during_business_hours_moves_the_deadline_and_stops_the_clock() -> None:
    given_pauses = [Pause(start=paris(2026, 1, 13, 10), end=paris(2026, 1, 13, 11))]

    elapsed = sla_elapsed(FRENCH, start=TUESDAY_9, now=paris(2026, 1, 13, 12), pauses=given_pauses)
    deadline = sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(4), pauses=given_pauses)

    assert elapsed == hours(2)
    # Without the pause: 14:00 (3.5 h in the morning, 0.5 h after lunch).
    assert deadline == paris(2026, 1, 13, 15, 0)


def test_open_pause_has_no_deadline_and_freezes_elapsed_time() -> None:
    given_pauses = [Pause(start=paris(2026, 1, 13, 10), end=None)]

    deadline = sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(4), pauses=given_pauses)
    elapsed_at_noon = sla_elapsed(
        FRENCH, start=TUESDAY_9, now=paris(2026, 1, 13, 12), pauses=given_pauses
    )
    elapsed_next_week = sla_elapsed(
        FRENCH, start=TUESDAY_9, now=paris(2026, 1, 20, 12), pauses=given_pauses
    )

    assert deadline is None
    assert elapsed_at_noon == hours(1)
    assert elapsed_next_week == hours(1)


def test_open_pause_after_closed_ones_still_means_no_deadline() -> None:
    given_pauses = [
        Pause(start=paris(2026, 1, 13, 10), end=paris(2026, 1, 13, 11)),
        Pause(start=paris(2026, 1, 14, 10), end=None),
    ]

    assert (
        sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(40), pauses=given_pauses) is None
    )


def test_overlapping_unsorted_pauses_are_merged() -> None:
    given_pauses = [
        Pause(start=paris(2026, 1, 13, 10, 30), end=paris(2026, 1, 13, 11, 30)),
        Pause(start=paris(2026, 1, 13, 10, 0), end=paris(2026, 1, 13, 11, 0)),
        Pause(start=paris(2026, 1, 13, 11, 15), end=paris(2026, 1, 13, 11, 45)),
        Pause(start=paris(2026, 1, 13, 10, 15), end=paris(2026, 1, 13, 10, 20)),  # nested
    ]
    merged = [Pause(start=paris(2026, 1, 13, 10, 0), end=paris(2026, 1, 13, 11, 45))]

    elapsed = sla_elapsed(FRENCH, start=TUESDAY_9, now=paris(2026, 1, 13, 12), pauses=given_pauses)
    deadline = sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(4), pauses=given_pauses)

    assert elapsed == hours(1.25)
    assert deadline == paris(2026, 1, 13, 15, 45)
    assert deadline == sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(4), pauses=merged)


def test_pause_outside_business_hours_changes_nothing() -> None:
    given_pauses = [
        Pause(start=paris(2026, 1, 13, 19), end=paris(2026, 1, 13, 21)),
        Pause(start=paris(2026, 1, 13, 12, 30), end=paris(2026, 1, 13, 13, 30)),
    ]

    elapsed = sla_elapsed(FRENCH, start=TUESDAY_9, now=paris(2026, 1, 14, 10), pauses=given_pauses)
    deadline = sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(10), pauses=given_pauses)

    # Tuesday 09:00-18:00 less lunch (8 h), Wednesday 08:30-10:00 (1.5 h).
    assert elapsed == hours(9.5)
    assert deadline == FRENCH.add_business_time(TUESDAY_9, hours(10))
    assert deadline == paris(2026, 1, 14, 10, 30)


def test_pause_spanning_a_weekend() -> None:
    given_start = paris(2026, 1, 16, 9, 0)  # Friday
    given_pauses = [Pause(start=paris(2026, 1, 16, 16), end=paris(2026, 1, 20, 10))]

    elapsed = sla_elapsed(
        FRENCH, start=given_start, now=paris(2026, 1, 20, 12), pauses=given_pauses
    )
    deadline = sla_deadline_compute(
        FRENCH, start=given_start, target=hours(8.5), pauses=given_pauses
    )

    # Friday 09:00-16:00 (6 h) then Tuesday 10:00-12:00 (2 h).
    assert elapsed == hours(8)
    assert deadline == paris(2026, 1, 20, 12, 30)


def test_pauses_before_the_clock_start_are_ignored_or_clipped() -> None:
    given_pauses = [
        Pause(start=paris(2026, 1, 12, 9), end=paris(2026, 1, 12, 17)),  # the day before
        Pause(start=paris(2026, 1, 13, 8), end=paris(2026, 1, 13, 10)),  # straddles start
    ]

    elapsed = sla_elapsed(FRENCH, start=TUESDAY_9, now=paris(2026, 1, 13, 12), pauses=given_pauses)
    deadline = sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(2), pauses=given_pauses)

    assert elapsed == hours(2)
    assert deadline == paris(2026, 1, 13, 12, 0)


def test_pause_starting_exactly_at_the_deadline_does_not_move_it() -> None:
    given_pauses = [Pause(start=paris(2026, 1, 13, 11), end=paris(2026, 1, 14, 11))]

    deadline = sla_deadline_compute(FRENCH, start=TUESDAY_9, target=hours(2), pauses=given_pauses)

    assert deadline == paris(2026, 1, 13, 11, 0)


def test_pause_after_now_does_not_count_yet() -> None:
    given_pauses = [Pause(start=paris(2026, 1, 13, 15), end=None)]

    elapsed = sla_elapsed(FRENCH, start=TUESDAY_9, now=paris(2026, 1, 13, 12), pauses=given_pauses)

    assert elapsed == hours(3)


def test_nothing_has_elapsed_before_the_clock_starts() -> None:
    assert sla_elapsed(
        FRENCH, start=TUESDAY_9, now=paris(2026, 1, 13, 8), pauses=NO_PAUSES
    ) == timedelta(0)


def test_around_the_clock_pause_spanning_the_fall_back_night() -> None:
    given_start = paris(2026, 10, 24, 22, 0)
    given_pauses = [Pause(start=paris(2026, 10, 25, 0, 0), end=paris(2026, 10, 25, 4, 0))]

    elapsed = sla_elapsed(
        AROUND_THE_CLOCK, start=given_start, now=paris(2026, 10, 25, 6, 0), pauses=given_pauses
    )
    deadline = sla_deadline_compute(
        AROUND_THE_CLOCK, start=given_start, target=hours(4), pauses=given_pauses
    )

    # 22:00-00:00 CEST (2 h), the paused night lasts 5 real hours, then 04:00-06:00 CET (2 h).
    assert elapsed == hours(4)
    assert deadline == paris(2026, 10, 25, 6, 0)


@pytest.mark.parametrize(
    ("now", "remaining", "progress"),
    [
        (paris(2026, 1, 13, 9, 0), hours(4), 0.0),
        (paris(2026, 1, 13, 12, 0), hours(1), 0.75),
        (paris(2026, 1, 13, 14, 0), timedelta(0), 1.0),
        (paris(2026, 1, 13, 15, 0), -hours(1), 1.25),
    ],
    ids=["start", "75 % warning", "deadline", "breached"],
)
def test_remaining_and_progress(now: datetime, remaining: timedelta, progress: float) -> None:
    kwargs: dict[str, Any] = {
        "start": TUESDAY_9,
        "target": hours(4),
        "now": now,
        "pauses": NO_PAUSES,
    }

    assert sla_remaining(FRENCH, **kwargs) == remaining
    assert sla_progress(FRENCH, **kwargs) == progress


def test_remaining_and_progress_exclude_pauses() -> None:
    given_pauses = [Pause(start=paris(2026, 1, 13, 10), end=paris(2026, 1, 13, 11))]
    kwargs: dict[str, Any] = {
        "start": TUESDAY_9,
        "target": hours(4),
        "now": paris(2026, 1, 13, 14),
        "pauses": given_pauses,
    }

    assert sla_remaining(FRENCH, **kwargs) == hours(1)
    assert sla_progress(FRENCH, **kwargs) == 0.75


# --- Performance -----------------------------------------------------------------------------


def fastest_run_seconds(action: Callable[[], object], *, runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        started = monotonic_clock.perf_counter()
        action()
        timings.append(monotonic_clock.perf_counter() - started)
    return min(timings)


def test_two_thousand_business_hours_compute_in_well_under_ten_milliseconds() -> None:
    given_start = paris(2026, 1, 5, 9, 0)

    deadline = FRENCH.add_business_time(given_start, hours(2000))
    seconds = fastest_run_seconds(lambda: FRENCH.add_business_time(given_start, hours(2000)))

    # Checked against a minute-by-minute count: 235 business days and 2.5 hours.
    assert deadline == paris(2026, 12, 9, 11, 30)
    assert FRENCH.business_time_between(given_start, deadline) == hours(2000)
    assert seconds < 0.010


# --- Properties ------------------------------------------------------------------------------

CALENDARS = {
    "french": FRENCH,
    "around the clock": AROUND_THE_CLOCK,
    "night shift": BusinessCalendar(
        timezone=PARIS,
        hours={weekday: ((time(0), time(2, 30)), (time(21, 45), time(0))) for weekday in range(7)},
    ),
    "new york": BusinessCalendar.french(timezone="America/New_York"),
}

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(PARIS)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=hours(2000))
calendars = st.sampled_from(list(CALENDARS.values()))


@property_settings
@given(calendar=calendars, start=instants, duration=durations)
def test_business_time_between_inverts_add_business_time(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add_business_time(start, duration)

    assert end >= start
    assert calendar.business_time_between(start, end) == duration


@property_settings
@given(calendar=calendars, start=instants, duration=durations)
def test_add_business_time_ends_in_opening_hours_or_at_a_closing(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add_business_time(start, duration)
    just_before = end - timedelta(microseconds=1)

    assert duration == timedelta(0) or calendar.is_open(just_before)


@property_settings
@given(
    calendar=calendars,
    moments=st.lists(instants, min_size=3, max_size=3).map(
        lambda moments: sorted(moments, key=lambda moment: moment.astimezone(UTC))
    ),
)
def test_business_time_between_is_additive(
    calendar: BusinessCalendar, moments: list[datetime]
) -> None:
    first, middle, last = moments

    assert calendar.business_time_between(first, middle) + calendar.business_time_between(
        middle, last
    ) == calendar.business_time_between(first, last)


@property_settings
@given(
    calendar=calendars,
    start=instants,
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
)
def test_business_time_between_matches_the_sum_of_daily_openings(
    calendar: BusinessCalendar, start: datetime, span: timedelta
) -> None:
    end = start.astimezone(UTC) + span  # real elapsed time, not wall-clock arithmetic
    day = calendar.local_date(start) - timedelta(days=1)
    expected = timedelta(0)
    while day <= calendar.local_date(end) + timedelta(days=1):
        for opens, closes in calendar.openings_on(day):
            expected += max(timedelta(0), min(closes, end) - max(opens, start))
        day += timedelta(days=1)

    assert calendar.business_time_between(start, end) == expected


pause_lists = st.lists(
    st.tuples(instants, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5))).map(
        lambda pause: Pause(start=pause[0], end=pause[0].astimezone(UTC) + pause[1])
    ),
    max_size=5,
)


@property_settings
@given(
    calendar=calendars,
    start=instants,
    target=st.timedeltas(min_value=timedelta(minutes=1), max_value=hours(200)),
    pauses=pause_lists,
)
def test_at_the_deadline_exactly_the_target_has_elapsed(
    calendar: BusinessCalendar, start: datetime, target: timedelta, pauses: list[Pause]
) -> None:
    deadline = sla_deadline_compute(calendar, start=start, target=target, pauses=pauses)

    assert deadline is not None
    assert sla_elapsed(calendar, start=start, now=deadline, pauses=pauses) == target
    assert sla_remaining(calendar, start=start, target=target, now=deadline, pauses=pauses) == (
        timedelta(0)
    )
    assert sla_progress(calendar, start=start, target=target, now=deadline, pauses=pauses) == 1.0
