"""Votes, reputation and badges.

Reputation (cached in `Member.reputation`, always equal to `reputation_recompute`):
    +10 per upvote on one's answer
     −2 per downvote on one's answer
     +5 per upvote on one's question
    +15 per accepted answer (not when the asker accepts their own answer)
and never below 0 (the sum is computed, then floored at 0: a newcomer's first downvotes do not
drive them negative). Every change of a vote or an acceptance recomputes the affected
members' reputation from the rows, under a row lock on the member, so that concurrent votes
can never leave a drifted counter. Votes on hidden posts still count; deleting a post removes
its votes and acceptance, and the authors' reputation is recomputed.

Scores (`Question.score`, `Answer.score`) are the sum of the post's votes, recomputed under a
row lock on the post by every vote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.community.choices import BadgeCode
from relais.community.models import Answer, Badge, Member, Question, Vote
from relais.community.permissions import community_policy
from relais.community.services._common import (
    REPUTATION_ACCEPTED,
    REPUTATION_ANSWER_DOWN,
    REPUTATION_ANSWER_UP,
    REPUTATION_QUESTION_UP,
    TEN_ACCEPTED,
    _one_target,
    _require,
)
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
    if value == 0:
        if current is not None:
            current.delete()
    elif current is None:
        try:
            with transaction.atomic():
                Vote.objects.create(user=actor, value=value, **{kind: target})
        except IntegrityError:  # a parallel request of the same person won the race
            votes.update(value=value, cast_at=timezone.now())
    elif current.value != value:
        votes.update(value=value, cast_at=timezone.now())
    score = Vote.objects.filter(**{kind: target}).aggregate(total=Sum("value"))["total"] or 0
    type(target).objects.filter(pk=target.pk).update(score=score)
    target.score = score
    _reputation_refresh({target.author_id})
    return score


def _reputation_raw(user_id: int) -> int:
    on_answers = Vote.objects.filter(answer__author_id=user_id).aggregate(
        up=Count("pk", filter=Q(value=1)), down=Count("pk", filter=Q(value=-1))
    )
    question_up = Vote.objects.filter(question__author_id=user_id, value=1).count()
    accepted = (
        Question.objects.filter(accepted_answer__author_id=user_id)
        .exclude(author_id=user_id)
        .count()
    )
    return (
        REPUTATION_ANSWER_UP * on_answers["up"]
        + REPUTATION_ANSWER_DOWN * on_answers["down"]
        + REPUTATION_QUESTION_UP * question_up
        + REPUTATION_ACCEPTED * accepted
    )


def reputation_recompute(user: User) -> int:
    """The reputation the votes and acceptances imply (see the module docstring); stored on
    the member row when the person is a member."""
    with transaction.atomic():
        locked = list(Member.objects.select_for_update(no_key=True).filter(pk=user.pk))
        value = max(0, _reputation_raw(user.pk))
        if locked and locked[0].reputation != value:
            Member.objects.filter(pk=user.pk).update(reputation=value)
    return value


def _reputation_refresh(user_ids: set[int | None]) -> None:
    """Lock the members' rows (in a fixed order: no deadlock), then recompute each."""
    ids = sorted(pk for pk in user_ids if pk is not None)
    if not ids:
        return
    members = list(Member.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
    for member in members:
        value = max(0, _reputation_raw(member.pk))
        if member.reputation != value:
            Member.objects.filter(pk=member.pk).update(reputation=value)


def badges_award(user: User) -> list[Badge]:
    """Award the badges `user` has earned and not yet received (first answer; ten answers
    accepted on others' questions). Badges are never taken back."""
    if not is_active_user(user):
        return []
    earned: list[str] = []
    have = set(Badge.objects.filter(user=user, period="").values_list("code", flat=True))
    if BadgeCode.FIRST_ANSWER not in have and Answer.objects.filter(author=user).exists():
        earned.append(BadgeCode.FIRST_ANSWER)
    if BadgeCode.TEN_ACCEPTED not in have:
        accepted = (
            Question.objects.filter(accepted_answer__author=user).exclude(author=user).count()
        )
        if accepted >= TEN_ACCEPTED:
            earned.append(BadgeCode.TEN_ACCEPTED)
    awarded = []
    for code in earned:
        badge, created = Badge.objects.get_or_create(user=user, code=code, period="")
        if created:
            awarded.append(badge)
    return awarded


def helper_of_month_award(*, month: str | None = None) -> Badge | None:
    """Give the month's "helper of the month" badge to the member who gained the most
    reputation in it (ties: the earliest member). `month` is "YYYY-MM", by default the
    previous month. Idempotent."""
    from relais.community.selectors import leaderboard, previous_month

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
