"""Reads of the peer-help community, shared by the screens and the API. Every read starts
from the viewer's scope (community_policy): a question they may not see is a 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from relais.community.models import Answer, Badge, Comment, Member, MonthlyPoints, Question
from relais.community.permissions import community_policy, is_moderator

TABS = ("newest", "unanswered", "top_week", "tag")
LIST_FIELDS = (
    "id",
    "title",
    "tags",
    "status",
    "is_hidden",
    "is_locked",
    "score",
    "answer_count",
    "accepted_answer_id",
    "created_at",
    "last_activity_at",
    "author_id",
    "author__display_name",
    "duplicate_of_id",
)


def _list_scope(viewer: Any) -> QuerySet[Question]:
    """community_policy.scope, written without its OR when it changes nothing: a viewer who is
    no moderator and has no hidden question of their own sees exactly the visible questions.
    The OR (visible, or mine) keeps PostgreSQL from counting and ordering on the indexes
    (a sequential scan and a sort of every row: 200 ms at 100,000 questions)."""
    scope = community_policy.scope(viewer, "view")
    if not getattr(viewer, "is_authenticated", False) or is_moderator(viewer):
        return scope
    if Question.objects.filter(author_id=viewer.pk, is_hidden=True).exists():
        return scope
    return Question.objects.filter(is_hidden=False)


def question_list(viewer: Any, tab: str = "newest", tag: str | None = None) -> QuerySet[Question]:
    """The questions of a list tab, as a paginatable queryset of list columns only (author
    name joined, nothing else fetched per row)."""
    qs = _list_scope(viewer).select_related("author")
    if tab == "unanswered":
        qs = qs.filter(answer_count=0, status="open").order_by("-created_at", "-pk")
    elif tab == "top_week":
        since = timezone.now() - timedelta(days=7)
        qs = qs.filter(created_at__gte=since).order_by("-score", "-created_at", "-pk")
    elif tab == "tag":
        cleaned = " ".join((tag or "").split()).lower().replace("|", " ")
        if not cleaned:
            return qs.none()
        if connection.vendor == "postgresql":
            # The same test on the JSON list, answered by a GIN index (migration 0003);
            # LIKE '%|tag|%' reads every row.
            qs = qs.filter(tags__contains=[cleaned])
        else:
            qs = qs.filter(tags_text__contains=f"|{cleaned}|")
        qs = qs.order_by("-created_at", "-pk")
    else:
        qs = qs.order_by("-created_at", "-pk")
    return qs.only(*LIST_FIELDS)


def question_detail(viewer: Any, pk: Any) -> Question:
    """The question (404 when invisible), with `answer_list` (visible answers: accepted
    first, then score, then date; each with `comment_list`) and `comment_list`."""
    try:
        # community_policy.get_or_404, with what the page shows of the question joined.
        question = (
            community_policy.scope(viewer, "view").select_related("author", "category").get(pk=pk)
        )
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    comments = Comment.objects.filter(community_policy.comments_visible(viewer)).select_related(
        "author"
    )
    answers = list(
        community_policy.answers_scope(viewer)
        .filter(question=question)
        .select_related("author")
        .prefetch_related(Prefetch("comments", queryset=comments, to_attr="comment_list"))
        .order_by("-score", "created_at", "pk")
    )
    answers.sort(key=lambda a: a.pk != question.accepted_answer_id)
    for answer in answers:
        answer.question = question
    question.answer_list = answers  # type: ignore[attr-defined]
    question.comment_list = list(comments.filter(question=question))  # type: ignore[attr-defined]
    return question


def answer_get(viewer: Any, pk: Any) -> Answer:
    """An answer the viewer may see (404 otherwise), with its question. `pk` may come from a
    form field: anything but digits is a 404 too (filtering on it would raise first)."""
    if not str(pk).isdigit():
        raise Http404
    found = community_policy.answers_scope(viewer).select_related("question").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def member_count() -> int:
    return Member.objects.filter(user__is_active=True).count()


def accepted_answer_count(user_id: int) -> int:
    """The person's answers accepted on others' questions (the sum of their months)."""
    total = MonthlyPoints.objects.filter(user_id=user_id).aggregate(n=Sum("accepted"))["n"]
    return int(total or 0)


@dataclass
class Profile:
    member: Member | None
    reputation: int
    question_count: int
    answer_count: int
    accepted_count: int
    badges: list[Badge] = field(default_factory=list)
    recent_questions: list[Question] = field(default_factory=list)
    recent_answers: list[Answer] = field(default_factory=list)


def member_profile(user: Any, viewer: Any = None) -> Profile:
    """A person's contributions. Hidden posts are counted and listed only for the viewer
    who may see them (the person themself and moderators); without a viewer, only visible."""
    member = Member.objects.filter(pk=user.pk).first()
    questions = Question.objects.filter(author=user)
    answers = Answer.objects.filter(author=user)
    if viewer is None:
        questions = questions.filter(is_hidden=False)
        answers = answers.filter(is_hidden=False, question__is_hidden=False)
    else:
        questions = questions & community_policy.scope(viewer)
        answers = answers & community_policy.answers_scope(viewer)
    return Profile(
        member=member,
        reputation=member.reputation if member else 0,
        question_count=questions.count(),
        answer_count=answers.count(),
        accepted_count=accepted_answer_count(user.pk),
        badges=list(Badge.objects.filter(user=user)),
        recent_questions=list(questions.only(*LIST_FIELDS[:12]).order_by("-created_at")[:10]),
        recent_answers=list(
            answers.select_related("question")
            .only("id", "score", "created_at", "question_id", "question__title", "as_it")
            .order_by("-created_at")[:10]
        ),
    )


@dataclass(frozen=True)
class LeaderboardRow:
    user_id: int
    display_name: str
    direction: str
    points: int


def _month_first(month: str) -> date:
    try:
        year, number = (int(part) for part in month.split("-"))
        return date(year, number, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError("month must be YYYY-MM") from exc


def current_month(today: date | None = None) -> str:
    today = today or timezone.localdate()
    return f"{today.year:04d}-{today.month:02d}"


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def leaderboard(
    month: str | date | None = None, direction_id: int | None = None, limit: int = 50
) -> list[LeaderboardRow]:
    """Reputation gained in `month` ("YYYY-MM", default this month; see
    relais.community.reputation), members only, optionally of one direction
    (accounts.OrgUnit, its services included), best first (ties: the earliest person).
    Read from `MonthlyPoints` on its (month, points) index: exact, whatever the volume."""
    if isinstance(month, date):
        month = current_month(month)
    first = _month_first(month or current_month())
    rows = MonthlyPoints.objects.filter(
        month=first,
        points__gt=0,
        user__is_active=True,
        user__community_member__isnull=False,
    )
    if direction_id is not None:
        rows = rows.filter(
            Q(user__org_unit_id=direction_id) | Q(user__org_unit__parent_id=direction_id)
        )
    return [
        LeaderboardRow(
            user_id=user_id,
            display_name=name,
            direction=parent_name or unit_name or "",
            points=points,
        )
        for user_id, name, unit_name, parent_name, points in rows.order_by(
            "-points", "user_id"
        ).values_list(
            "user_id",
            "user__display_name",
            "user__org_unit__name",
            "user__org_unit__parent__name",
            "points",
        )[:limit]
    ]
