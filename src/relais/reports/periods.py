"""Report periods: local dates, inclusive, turned into the half-open instants the queries use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from relais.reports.choices import PeriodKind

MAX_DAYS = 400  # a custom period of more than about a year is refused


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str = PeriodKind.CUSTOM

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def previous(self) -> Period:
        """The period of the same length just before (for trends)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def by_week(self) -> bool:
        return self.days > 62

    def buckets(self) -> list[date]:
        """The first day of each chart bucket: days, or Monday-started weeks past two months."""
        if not self.by_week:
            return [self.start + timedelta(days=n) for n in range(self.days)]
        first = self.start - timedelta(days=self.start.weekday())
        return [first + timedelta(weeks=n) for n in range((self.end - first).days // 7 + 1)]

    def bucket_of(self, day: date) -> date:
        return day - timedelta(days=day.weekday()) if self.by_week else day


def period_for(kind: str, today: date | None = None) -> Period:
    """The current week, month or quarter up to today, or last month."""
    today = today or timezone.localdate()
    if kind == PeriodKind.WEEK:
        return Period(today - timedelta(days=today.weekday()), today, kind)
    if kind == PeriodKind.QUARTER:
        first_month = (today.month - 1) // 3 * 3 + 1
        return Period(date(today.year, first_month, 1), today, kind)
    if kind == PeriodKind.PREVIOUS_MONTH:
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, kind)
    return Period(today.replace(day=1), today, PeriodKind.MONTH)


def last_week(today: date) -> Period:
    """Monday to Sunday before `today`'s week (the weekly scheduled report)."""
    start = today - timedelta(days=today.weekday() + 7)
    return Period(start, start + timedelta(days=6), PeriodKind.CUSTOM)


def last_month(today: date) -> Period:
    return period_for(PeriodKind.PREVIOUS_MONTH, today)
