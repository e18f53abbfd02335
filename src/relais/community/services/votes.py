"""Votes, reputation, monthly points and badges.

The rule (what each vote and acceptance earns, and in which month) is in
relais.community.reputation. Every event that changes it — a vote cast, changed or withdrawn,
an answer accepted, moved or un-accepted, a post deleted — adds its tallies to the authors'
`MonthlyPoints` rows (F() increments, rows taken in a fixed order) and then sets each author's
`Member.reputation` to the sum of their months, floored at 0, under a row lock on the member,
in the event's transaction. The member lock comes last and the sum is read after it, so the
last of two concurrent events sees the other's committed rows: no drift. Hiding a post changes
nothing (votes on hidden posts still count).

Scores (`Question.score`, `Answer.score`) are the sum of the post's votes, recomputed under a
row lock on the post by every vote."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.community.choices import BadgeCode
from relais.community.models import Answer, Badge, Member, MonthlyPoints, Question, Vote
from relais.community.permissions import community_policy
from relais.community.reputation import (
    Counts,
    Tally,
    acceptance_tally,
    counts_add,
    rebuild,
    recount,
    vote_tally,
)
from relais.community.selectors import accepted_answer_count, leaderboard, previous_month
from relais.community.services._common import TEN_ACCEPTED, _one_target, _require
from relais.core.permissions import is_active_user

if TYPE_CHECKING:
    from relais.accounts.models import User


@transaction.atomic
def vote_cast(
    *, actor: User, question: Question | None = None, answer: Answer | None = None, value: int
) -> int:
    """Vote +1 or −1 (questions: +1 only), or 0 to withdraw; returns the post's new score.

    The post's row is locked for the whole vote, so concurrent votes on one post run one after
    the other; the score is then the SUM of the vote rows, and the author's reputation is
    recomputed under a lock on their member row."""
    kind, _target = _one_target(question=question, answer=answer)
    if value not in (1, -1, 0):
        raise ValidationError(_("A vote is +1, −1 or 0 (withdraw)."))
    target: Question | Answer
    if kind == "question":
        assert question is not None
        target = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
        if value == -1:
            raise ValidationError(_("Questions are only voted up."))
    else:
        assert answer is not None
        target = Answer.objects.select_for_update(no_key=True).get(pk=answer.pk)
        target.question = Question.objects.get(pk=target.question_id)
    if is_active_user(actor) and target.author_id == actor.pk:
        raise PermissionDenied(_("You cannot vote on your own post."))
    _require(community_policy.can(actor, "vote", target))
    votes = Vote.objects.filter(user=actor, **{kind: target})
    current = votes.first()
    now = timezone.now()
    changes: Counts = {}

    def earned(vote_value: int) -> Tally:
        return vote_tally(on_question=kind == "question", value=vote_value)

    if current is None and value != 0:
        try:
            with transaction.atomic():
                Vote.objects.create(user=actor, value=value, cast_at=now, **{kind: target})
        except IntegrityError:  # a parallel request of the same person won the race
            current = votes.get()
        else:
            counts_add(changes, target.author_id, now, earned(value))
    if current is not None and current.value != value:
        counts_add(changes, target.author_id, current.cast_at, -earned(current.value))
        if value == 0:
            current.delete()
        else:
            votes.update(value=value, cast_at=now)
            counts_add(changes, target.author_id, now, earned(value))
    score = Vote.objects.filter(**{kind: target}).aggregate(total=Sum("value"))["total"] or 0
    type(target).objects.filter(pk=target.pk).update(score=score)
    target.score = score
    _points_apply(changes)
    return score


def _points_apply(changes: Counts) -> None:
    """Add each tally to its person's month, then refresh the reputation of everyone
    concerned. Rows are updated in (person, month) order and the members locked afterwards,
    in person order: concurrent events wait for each other, never deadlock."""
    for (user_id, month), tally in sorted(changes.items()):
        if tally == Tally():
            continue
        rows = MonthlyPoints.objects.filter(user_id=user_id, month=month)
        increment = {
            "points": F("points") + tally.points,
            "accepted": F("accepted") + tally.accepted,
        }
        if rows.update(**increment):
            continue
        try:
            with transaction.atomic():
                MonthlyPoints.objects.create(
                    user_id=user_id, month=month, points=tally.points, accepted=tally.accepted
                )
        except IntegrityError:  # created meanwhile by a concurrent event
            rows.update(**increment)
    _reputation_refresh({user_id for user_id, _month in changes})


def _acceptance_changes(
    changes: Counts, *, question: Question, answer: Answer, at: datetime | None, sign: int
) -> None:
    """Add (sign 1) or take back (sign −1) what accepting `answer` at `at` earned."""
    if at is None:  # only rows written outside the services lack the moment
        return
    tally = acceptance_tally(self_accepted=answer.author_id == question.author_id)
    counts_add(changes, answer.author_id, at, tally * sign)


def _reputation_refresh(user_ids: set[int | None] | set[int]) -> None:
    """Lock the members' rows (in a fixed order: no deadlock), then set each reputation to
    the sum of the person's months, floored at 0."""
    ids = sorted(pk for pk in user_ids if pk is not None)
    if not ids:
        return
    members = list(Member.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
    if not members:
        return
    totals = dict(
        MonthlyPoints.objects.filter(user_id__in=[m.pk for m in members])
        .order_by()
        .values("user_id")
        .annotate(total=Sum("points"))
        .values_list("user_id", "total")
    )
    for member in members:
        value = max(0, totals.get(member.pk) or 0)
        if member.reputation != value:
            Member.objects.filter(pk=member.pk).update(reputation=value)


def points_recount(user: User) -> Counts:
    """The person's points and accepted answers per month, recounted from the votes on their
    posts and the acceptances of their answers (what `MonthlyPoints` must hold)."""
    return recount(
        Vote.objects.filter(Q(answer__author=user) | Q(question__author=user)),
        Question.objects.filter(accepted_answer__author=user),
    )


def reputation_recompute(user: User) -> int:
    """The reputation the votes and acceptances imply, recounted from those rows (not from
    `MonthlyPoints`); stored on the member row when the person is a member."""
    with transaction.atomic():
        locked = list(Member.objects.select_for_update(no_key=True).filter(pk=user.pk))
        value = max(0, sum(t.points for t in points_recount(user).values()))
        if locked and locked[0].reputation != value:
            Member.objects.filter(pk=user.pk).update(reputation=value)
    return value


@transaction.atomic
def points_rebuild() -> int:
    """Rewrite every person's monthly points, and every member's reputation, from the votes
    and acceptances (after a bulk load; the back-fill migration does the same). Returns the
    number of monthly rows."""
    return rebuild(MonthlyPoints, Vote, Question, Member)


def badges_award(user: User) -> list[Badge]:
    """Award the badges `user` has earned and not yet received (first answer; ten answers
    accepted on others' questions). Badges are never taken back."""
    if not is_active_user(user):
        return []
    earned: list[str] = []
    have = set(Badge.objects.filter(user=user, period="").values_list("code", flat=True))
    if BadgeCode.FIRST_ANSWER not in have and Answer.objects.filter(author=user).exists():
        earned.append(BadgeCode.FIRST_ANSWER)
    if BadgeCode.TEN_ACCEPTED not in have and accepted_answer_count(user.pk) >= TEN_ACCEPTED:
        earned.append(BadgeCode.TEN_ACCEPTED)
    awarded = []
    for code in earned:
        badge, created = Badge.objects.get_or_create(user=user, code=code, period="")
        if created:
            awarded.append(badge)
    return awarded


def helper_of_month_award(*, month: str | None = None) -> Badge | None:
    """Give the month's "helper of the month" badge to the member who gained the most
    reputation in it (the top of the month's leaderboard, read from `MonthlyPoints`; ties:
    the earliest member). `month` is "YYYY-MM", by default the previous month. Idempotent."""
    month = month or previous_month(timezone.localdate())
    existing = Badge.objects.filter(code=BadgeCode.HELPER_OF_MONTH, period=month).first()
    if existing is not None:
        return existing
    rows = leaderboard(month=month, direction_id=None)
    if not rows or rows[0].points <= 0:
        return None
    badge, _created = Badge.objects.get_or_create(
        user_id=rows[0].user_id, code=BadgeCode.HELPER_OF_MONTH, period=month
    )
    return badge
