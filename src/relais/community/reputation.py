"""The reputation rule, in one place: what each event earns the author of the post, and in
which month it counts.

    +10 per upvote on one's answer
     −2 per downvote on one's answer
     +5 per upvote on one's question
    +15 per accepted answer (not when the asker accepted their own answer)

A vote counts in the month it was cast (a changed vote moves to the month of the change); an
acceptance in the month it was given. Months are the organisation's (settings.TIME_ZONE).
Votes on hidden posts still count; a deleted post takes its votes and acceptance with it.

The services keep `MonthlyPoints` (one row per person and month) and `Member.reputation`
(the sum of a person's months, floored at 0) up to date in the transaction of each event, with
the two functions below; `recount` gives what the rows imply, for the back-fill migration, the
checks and the tests. This module imports no model, so that migrations may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth

REPUTATION_ANSWER_UP = 10
REPUTATION_ANSWER_DOWN = -2
REPUTATION_QUESTION_UP = 5
REPUTATION_ACCEPTED = 15


@dataclass(frozen=True)
class Tally:
    """What one or more events add to a person's month."""

    points: int = 0
    accepted: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.points + other.points, self.accepted + other.accepted)

    def __neg__(self) -> Tally:
        return Tally(-self.points, -self.accepted)

    def __mul__(self, times: int) -> Tally:
        return Tally(self.points * times, self.accepted * times)


def vote_tally(*, on_question: bool, value: int) -> Tally:
    """What a vote of `value` (+1 or −1) on a question or an answer earns its author."""
    if on_question:
        return Tally(REPUTATION_QUESTION_UP if value == 1 else 0)
    if value == 1:
        return Tally(REPUTATION_ANSWER_UP)
    return Tally(REPUTATION_ANSWER_DOWN if value == -1 else 0)


def acceptance_tally(*, self_accepted: bool) -> Tally:
    """What an accepted answer earns its author (nothing when the asker answered)."""
    return Tally() if self_accepted else Tally(REPUTATION_ACCEPTED, 1)


def organisation_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime) -> date:
    """The first day of the organisation's month that `moment` falls in."""
    return moment.astimezone(organisation_tz()).date().replace(day=1)


Counts = dict[tuple[int, date], Tally]


def counts_add(counts: Counts, user_id: int | None, month: date | datetime, tally: Tally) -> None:
    """Add `tally` to the person's month in `counts` (a moment is taken as its month)."""
    if user_id is None or tally == Tally():
        return
    if isinstance(month, datetime):
        month = month_of(month)
    key = (user_id, month)
    counts[key] = counts.get(key, Tally()) + tally


def recount(votes: QuerySet[Any], accepted: QuerySet[Any]) -> Counts:
    """Points and accepted answers per (author, month) implied by the `votes` (Vote rows) and
    the acceptances of the `accepted` questions (Question rows). Rows that earn nothing are
    left out. Three GROUP BY queries, whatever the number of rows."""
    counts: Counts = {}
    tz = organisation_tz()
    cast_month = TruncMonth("cast_at", output_field=DateField(), tzinfo=tz)
    for on_question, author in ((True, "question__author_id"), (False, "answer__author_id")):
        rows = (
            votes.filter(**{f"{author.split('__')[0]}__isnull": False})
            .order_by()
            .values_list(author, cast_month, "value")
            .annotate(n=Count("pk"))
        )
        for user_id, month, value, n in rows:
            counts_add(counts, user_id, month, vote_tally(on_question=on_question, value=value) * n)
    rows = (
        accepted.filter(accepted_answer__isnull=False, accepted_at__isnull=False)
        .order_by()
        .values_list(
            "accepted_answer__author_id",
            TruncMonth("accepted_at", output_field=DateField(), tzinfo=tz),
            ExpressionWrapper(
                Q(author_id=F("accepted_answer__author_id")), output_field=BooleanField()
            ),
        )
        .annotate(n=Count("pk"))
    )
    for user_id, month, self_accepted, n in rows:
        counts_add(counts, user_id, month, acceptance_tally(self_accepted=bool(self_accepted)) * n)
    return counts


def rebuild(points_model: Any, vote_model: Any, question_model: Any, member_model: Any) -> int:
    """Rewrite the whole monthly points table from the rows (`recount`), then every member's
    reputation from it. Takes the model classes, so that the back-fill migration runs it on
    its historical models. Returns the number of monthly rows written."""
    counts = recount(vote_model.objects.all(), question_model.objects.all())
    points_model.objects.all().delete()
    points_model.objects.bulk_create(
        [
            points_model(user_id=user_id, month=month, points=t.points, accepted=t.accepted)
            for (user_id, month), t in sorted(counts.items())
        ],
        batch_size=1000,
    )
    total = (
        points_model.objects.filter(user_id=OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    member_model.objects.update(reputation=Greatest(Coalesce(Subquery(total), Value(0)), Value(0)))
    return len(counts)
