"""Service-level-agreement arithmetic in business time.

Pure Python (no ORM, no settings): the caller passes the calendar, the clock start, the target
and the pauses, and gets back durations and instants.

Conventions:

* Every datetime given must be timezone-aware; results are in UTC.
* Opening hours are local wall-clock times in the calendar's timezone. Each local date is turned
  into UTC intervals separately, so a Monday 08:30-12:30 + 13:30-18:00 stays 8.5 business hours
  after a DST change, although the Sunday before it lasted 23 or 25 hours.
* An interval closing at ``time(0, 0)`` runs to the end of its day (24:00, the next local
  midnight): ``(time(0, 0), time(0, 0))`` is the whole day, whatever its length (23 h on the
  spring-forward Sunday, 25 h on the fall-back one). ``BusinessCalendar.around_the_clock`` builds
  that 24/7 calendar. Intervals do not cross midnight: split ``22:00-06:00`` into
  ``(22:00, 00:00)`` on one day and ``(00:00, 06:00)`` on the next.
* A wall-clock time is the first instant at which the local clock shows that time or later.
  In a DST gap (02:30 on the spring-forward night in Paris) that is the end of the gap (03:00);
  in a fold (02:30 on the fall-back night) it is the first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[datetime, datetime]
OpeningHours = dict[int, tuple[tuple[time, time], ...]]

MIDNIGHT = time(0, 0)
ONE_DAY = timedelta(days=1)
ONE_MICROSECOND = timedelta(microseconds=1)
ZERO = timedelta(0)
WEEKDAYS = range(7)
# Beyond its closed days, a calendar open on some weekday is never shut for a whole week.
IDLE_DAYS_BEYOND_CLOSURES = 7

FRENCH_WORKDAY: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 30)),
    (time(13, 30), time(18, 0)),
)
FRENCH_HOURS: OpeningHours = dict.fromkeys(range(5), FRENCH_WORKDAY)
FRENCH_HOLIDAY_YEARS = range(2020, 2041)
WHOLE_DAY: tuple[tuple[time, time], ...] = ((MIDNIGHT, MIDNIGHT),)


def _as_utc(name: str, moment: datetime) -> datetime:
    """`moment` in UTC, refusing a naive one. Arithmetic and comparisons are done in UTC: in any
    other zone Python adds and compares wall-clock times."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _wall_clock_length(opens: time, closes: time) -> timedelta:
    """Length of an opening interval on a day of 24 hours; closing at 00:00 means 24:00."""
    day = date.min
    end = (
        datetime.combine(day + ONE_DAY, MIDNIGHT)
        if closes == MIDNIGHT
        else datetime.combine(day, closes)
    )
    return end - datetime.combine(day, opens)


def _wall_clock_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock on `day` shows `wall` or later."""
    naive = datetime.combine(day, wall)
    first_occurrence = datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
    if first_occurrence.astimezone(tz).replace(tzinfo=None) == naive:
        return first_occurrence
    return _dst_gap_end(naive, tz)


def _dst_gap_end(naive: datetime, tz: ZoneInfo) -> datetime:
    """The instant a DST gap containing the non-existent local time `naive` closes.

    Read with the offset after the transition, `naive` lands before it; read with the offset
    before, after it. The transition lies between: bisect (at most ~32 steps, DST nights only).
    """
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if before > after:
        before, after = after, before
    while after - before > ONE_MICROSECOND:
        middle = before + (after - before) / 2
        if middle.astimezone(tz).replace(tzinfo=None) < naive:
            before = middle
        else:
            after = middle
    return after


def _validate_day_hours(weekday: int, intervals: tuple[tuple[time, time], ...]) -> None:
    if weekday not in WEEKDAYS:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
    previous_close, day_over = MIDNIGHT, False
    for opens, closes in intervals:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opening hours are naive wall-clock times in the calendar timezone")
        if day_over or opens < previous_close:
            raise ValueError(f"weekday {weekday}: intervals must be ordered and not overlap")
        if closes != MIDNIGHT and closes <= opens:
            raise ValueError(f"weekday {weekday}: {opens}-{closes} is empty or crosses midnight")
        previous_close, day_over = closes, closes == MIDNIGHT


def _merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of the non-empty intervals."""
    merged: list[Interval] = []
    for start, end in sorted(interval for interval in intervals if interval[1] > interval[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: ZoneInfo
    # weekday (0 = Monday … 6 = Sunday) -> ordered, non-overlapping opening intervals in local
    # wall-clock time; a closing time of 00:00 means the end of the day (see the module docstring).
    hours: OpeningHours
    closed_days: frozenset[date] = frozenset()  # public holidays and other closures (local dates)

    def __post_init__(self) -> None:
        for weekday, intervals in self.hours.items():
            _validate_day_hours(weekday, intervals)
        if not any(self.hours.values()):
            raise ValueError("a business calendar needs opening hours on at least one weekday")

    @classmethod
    def french(
        cls,
        *,
        hours: OpeningHours | None = None,
        years: range | None = None,
        extra_closed: frozenset[date] = frozenset(),
        timezone: str = "Europe/Paris",
    ) -> BusinessCalendar:
        """Default hours Monday–Friday 08:30–12:30 and 13:30–18:00; French public holidays
        from the `holidays` package (holidays.France(years=...)), default years 2020..2040."""
        public_holidays = holidays.France(years=FRENCH_HOLIDAY_YEARS if years is None else years)
        return cls(
            timezone=ZoneInfo(timezone),
            hours=dict(FRENCH_HOURS) if hours is None else hours,
            closed_days=frozenset(public_holidays.keys()) | extra_closed,
        )

    @classmethod
    def around_the_clock(cls, *, timezone: str = "Europe/Paris") -> BusinessCalendar:
        """24/7, holidays included: every local day is open from midnight to midnight."""
        return cls(timezone=ZoneInfo(timezone), hours=dict.fromkeys(WEEKDAYS, WHOLE_DAY))

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` falls within an opening interval (its closing instant excluded)."""
        moment = _as_utc("moment", moment)
        today = self.local_date(moment)
        return any(
            opens <= moment < closes
            for day in (today - ONE_DAY, today, today + ONE_DAY)
            for opens, closes in self.openings_on(day)
        )

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The aware datetime at which `duration` of business time has elapsed after `start`
        (if start is outside opening hours the clock starts at the next opening). Result in UTC.

        A zero duration gives the instant the clock starts (start itself when open)."""
        start = _as_utc("start", start)
        if duration < ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        for day in self._business_days_from(start):
            whole_day = self._steady_business_time(day, start=start)
            if whole_day is not None and remaining > whole_day:
                remaining -= whole_day
                continue
            for opens, closes in self.openings_on(day):
                if closes <= start:
                    continue
                clock_start = max(opens, start)
                if remaining <= closes - clock_start:
                    return clock_start + remaining
                remaining -= closes - clock_start
        raise AssertionError("_business_days_from never runs dry")  # pragma: no cover

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero if end <= start."""
        start, end = _as_utc("start", start), _as_utc("end", end)
        total = ZERO
        if end <= start:
            return total
        # One day of margin: in a fold around midnight an instant's local date can lag.
        last_day = self.local_date(end) + ONE_DAY
        for day in self._business_days_from(start):
            if day > last_day:
                return total
            whole_day = self._steady_business_time(day, start=start, end=end)
            if whole_day is not None:
                total += whole_day
                continue
            for opens, closes in self.openings_on(day):
                total += max(ZERO, min(closes, end) - max(opens, start))
        raise AssertionError("_business_days_from never runs dry")  # pragma: no cover

    def _business_days_from(self, moment: datetime) -> Iterator[date]:
        """Endless local dates with opening hours that are not closed, from the day before the
        local date of `moment` (whose intervals may still reach it in a fold around midnight).

        Raises ValueError when the calendar never opens again: a safety net against an endless
        loop, since construction already refuses a calendar without opening hours."""
        day = self.local_date(moment) - ONE_DAY
        days_skipped = 0
        most_days_skipped = len(self.closed_days) + IDLE_DAYS_BEYOND_CLOSURES
        while True:
            if self.hours.get(day.weekday()) and day not in self.closed_days:
                days_skipped = 0
                yield day
            else:
                days_skipped += 1
                if days_skipped > most_days_skipped:
                    raise ValueError(f"the calendar never opens after {moment.isoformat()}")
            day += ONE_DAY

    def _steady_business_time(
        self, day: date, *, start: datetime, end: datetime | None = None
    ) -> timedelta | None:
        """The business time of a whole open `day` lying within [start, end) when its clock is not
        changed (same UTC offset at both midnights: no zone changes its clock twice a day), read
        from wall-clock lengths without building intervals (the fast path); None when the day
        must be walked interval by interval."""
        day_start = datetime.combine(day, MIDNIGHT, tzinfo=self.timezone)
        day_end = datetime.combine(day + ONE_DAY, MIDNIGHT, tzinfo=self.timezone)
        if day_start < start or (end is not None and day_end > end):
            return None
        if day_start.utcoffset() != day_end.utcoffset():
            return None
        return self._wall_clock_business_time[day.weekday()]

    @cached_property
    def _wall_clock_business_time(self) -> dict[int, timedelta]:
        """Business time per weekday on a day of 24 hours."""
        return {
            weekday: sum((_wall_clock_length(*interval) for interval in intervals), ZERO)
            for weekday, intervals in self.hours.items()
        }

    def openings_on(self, day: date) -> list[Interval]:
        """The opening intervals (UTC) of one local date; empty on closed days and weekends."""
        intervals = self.hours.get(day.weekday(), ())
        if not intervals or day in self.closed_days:
            return []
        openings = []
        for opens, closes in intervals:
            start = _wall_clock_instant(day, opens, self.timezone)
            if closes == MIDNIGHT:
                end = _wall_clock_instant(day + ONE_DAY, MIDNIGHT, self.timezone)
            else:
                end = _wall_clock_instant(day, closes, self.timezone)
            if end > start:  # a DST gap can swallow a short interval whole
                openings.append((start, end))
        return openings

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None: still paused

    def __post_init__(self) -> None:
        start = _as_utc("pause start", self.start)
        if self.end is not None and _as_utc("pause end", self.end) < start:
            raise ValueError(f"pause ends ({self.end}) before it starts ({self.start})")


def _paused_intervals(pauses: list[Pause], *, start: datetime, now: datetime) -> list[Interval]:
    """The merged pauses (UTC) clipped to [start, now); a pause still open runs until now."""
    start, now = _as_utc("start", start), _as_utc("now", now)
    return _merge_intervals(
        (
            max(pause.start.astimezone(UTC), start),
            min(now if pause.end is None else pause.end, now).astimezone(UTC),
        )
        for pause in pauses
    )


def _closed_pauses(pauses: list[Pause]) -> list[Interval] | None:
    """The merged pauses (UTC), or None while one of them is still open."""
    closed: list[Interval] = []
    for pause in pauses:
        if pause.end is None:
            return None
        closed.append((pause.start.astimezone(UTC), pause.end.astimezone(UTC)))
    return _merge_intervals(closed)


def sla_elapsed(
    calendar: BusinessCalendar, *, start: datetime, now: datetime, pauses: list[Pause]
) -> timedelta:
    """Business time consumed between start and now, excluding paused intervals (overlapping
    or unsorted pauses must be handled: merge them)."""
    elapsed = calendar.business_time_between(start, now)
    for paused_from, paused_until in _paused_intervals(pauses, start=start, now=now):
        elapsed -= calendar.business_time_between(paused_from, paused_until)
    return elapsed


def sla_deadline_compute(
    calendar: BusinessCalendar, *, start: datetime, target: timedelta, pauses: list[Pause]
) -> datetime | None:
    """The deadline taking closed pauses into account; None while a pause is still open (the
    clock is stopped, there is no deadline)."""
    clock_from, remaining = _as_utc("start", start), target
    closed_pauses = _closed_pauses(pauses)
    if closed_pauses is None:
        return None
    for paused_from, paused_until in closed_pauses:
        if paused_until <= clock_from:
            continue
        deadline = calendar.add_business_time(clock_from, remaining)
        if deadline <= paused_from:
            return deadline
        remaining -= calendar.business_time_between(clock_from, paused_from)
        clock_from = max(clock_from, paused_until)
    return calendar.add_business_time(clock_from, remaining)


def sla_remaining(
    calendar: BusinessCalendar,
    *,
    start: datetime,
    target: timedelta,
    now: datetime,
    pauses: list[Pause],
) -> timedelta:
    """target − elapsed (negative when breached)."""
    return target - sla_elapsed(calendar, start=start, now=now, pauses=pauses)


def sla_progress(
    calendar: BusinessCalendar,
    *,
    start: datetime,
    target: timedelta,
    now: datetime,
    pauses: list[Pause],
) -> float:
    """elapsed / target (0.75 → the 75 % warning, >= 1 → breached)."""
    if target <= ZERO:
        raise ValueError(f"target must be positive, got {target}")
    return sla_elapsed(calendar, start=start, now=now, pauses=pauses) / target
