"""Entraide: staff ask, staff answer. Members, questions, answers, comments, edit history,
votes, badges, following, notifications, flags and the moderation log.

Counters (`score`, `answer_count`, `Member.reputation`, `MonthlyPoints`) are caches derived
from the rows they count; the services keep them exact in the transaction of each change (see
relais.community.reputation for the rule) and `reputation_recompute` recounts a person's
reputation from the votes and acceptances.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.community.choices import (
    BadgeCode,
    FlagReason,
    ModerationAction,
    NotificationKind,
    QuestionStatus,
)
from relais.core.models import TimeStampedModel

__all__ = [
    "Answer",
    "Badge",
    "BadgeCode",
    "Comment",
    "Flag",
    "FlagReason",
    "Follow",
    "Member",
    "ModerationAction",
    "ModerationLog",
    "MonthlyPoints",
    "Notification",
    "NotificationKind",
    "Question",
    "QuestionStatus",
    "Revision",
    "Vote",
]


def _one_of(*fields: str) -> Q:
    """Exactly one of `fields` is set."""
    condition = Q()
    for chosen in fields:
        case = Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                case &= Q(**{f"{other}__isnull": True})
        condition |= case
    return condition


class Member(models.Model):
    """A person who joined the community (a profile choice)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="community_member",
    )
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    is_moderator = models.BooleanField(_("moderator"), default=False)
    reputation = models.IntegerField(_("reputation"), default=0, editable=False)
    email_notifications = models.BooleanField(_("notifications by e-mail"), default=True)
    # ISO week ("2026-W48") of the last weekly digest sent: one per week at most.
    digest_week = models.CharField(max_length=8, blank=True, editable=False)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-reputation", "user_id"]
        indexes = [models.Index(fields=["-reputation"], name="community_member_rep")]

    def __str__(self) -> str:
        return str(self.user_id)


class Question(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("question (Markdown)"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # "|vpn|teams|": the tags as one string, so that both databases filter by tag alike.
    tags_text = models.CharField(max_length=1100, blank=True, default="", editable=False)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="questions",
    )
    accepted_answer = models.OneToOneField(
        "Answer",
        verbose_name=_("accepted answer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    external_id = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=QuestionStatus.choices, default=QuestionStatus.OPEN
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    is_locked = models.BooleanField(_("locked"), default=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    score = models.IntegerField(_("score"), default=0, editable=False)
    answer_count = models.PositiveIntegerField(_("answers"), default=0, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_questions",
    )
    unanswered_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["is_hidden", "-created_at"], name="community_q_newest"),
            models.Index(
                fields=["is_hidden", "answer_count", "-created_at"], name="community_q_unans"
            ),
            models.Index(fields=["is_hidden", "-score"], name="community_q_score"),
            # Moderators' lists (no visibility filter), newest first.
            models.Index(fields=["-created_at", "-id"], name="community_q_created"),
            # The unanswered tab, counted and paged on the index alone.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(is_hidden=False, answer_count=0, status="open"),
                name="community_q_unans_open",
            ),
        ]
        # PostgreSQL also has a GIN index on `tags` (migration 0003) for the tag lists.

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/entraide/questions/{self.pk}/"


class Answer(TimeStampedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    body = models.TextField(_("answer (Markdown)"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="answers",
    )
    score = models.IntegerField(_("score"), default=0, editable=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    as_it = models.BooleanField(_("answered by IT"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["created_at"]
        indexes = [
            # A person's answers, newest first, and their count (the profile): on
            # PostgreSQL the visibility columns ride along, so the count reads the index only.
            models.Index(
                fields=["author", "-created_at"],
                include=["is_hidden", "question"],
                name="community_a_author",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}#{self.pk}"


class Comment(models.Model):
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="community_comments"
    )
    body = models.CharField(_("comment"), max_length=600)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_one_of("question", "answer"), name="community_comment_one_target"
            )
        ]

    def __str__(self) -> str:
        return self.body[:50]


class Revision(models.Model):
    """A question or an answer as it was saved: number 1 on creation, one more per edit."""

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(_("change summary"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=_one_of("question", "answer"), name="community_revision_one_target"
            ),
            models.UniqueConstraint(
                fields=["question", "number"],
                condition=Q(question__isnull=False),
                name="community_revision_q_number",
            ),
            models.UniqueConstraint(
                fields=["answer", "number"],
                condition=Q(answer__isnull=False),
                name="community_revision_a_number",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class Vote(models.Model):
    """+1 or −1 by one person on one question (up only) or answer, never on their own post."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_votes"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="votes"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField()
    # When the current value was cast (a changed vote counts in the month it changed).
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_one_of("question", "answer"), name="community_vote_one_target"
            ),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="community_vote_value"),
            models.CheckConstraint(
                condition=Q(question__isnull=True) | Q(value=1), name="community_vote_question_up"
            ),
            models.UniqueConstraint(
                fields=["user", "question"],
                condition=Q(question__isnull=False),
                name="community_vote_once_q",
            ),
            models.UniqueConstraint(
                fields=["user", "answer"],
                condition=Q(answer__isnull=False),
                name="community_vote_once_a",
            ),
        ]
        indexes = [models.Index(fields=["cast_at"], name="community_vote_cast")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.value:+d}"


class MonthlyPoints(models.Model):
    """Reputation a person earned in one month (see relais.community.reputation): the
    leaderboards, the helper of the month, the reputation (the sum of the months) and the
    profile's accepted-answer count read it. Kept by the services with every vote, vote
    change or withdrawal, acceptance, un-acceptance and deletion; never edited by hand.
    The direction is the person's, read at display time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_months"
    )
    month = models.DateField(_("month"))  # its first day
    points = models.IntegerField(_("points"), default=0)
    accepted = models.IntegerField(_("accepted answers"), default=0)

    class Meta:
        verbose_name = _("monthly points")
        verbose_name_plural = _("monthly points")
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="community_points_once")
        ]
        indexes = [
            # The leaderboard: a month's best first.
            models.Index(fields=["month", "-points", "user"], name="community_points_board")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.points}"


class Badge(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_badges"
    )
    code = models.CharField(_("badge"), max_length=24, choices=BadgeCode.choices)
    # "YYYY-MM" for the helper of the month; empty for the others (awarded once).
    period = models.CharField(_("period"), max_length=7, blank=True, default="")
    awarded_at = models.DateTimeField(_("awarded"), default=timezone.now)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["-awarded_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "code", "period"], name="community_badge_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.period}".strip()


class Follow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_follows"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    tag = models.CharField(max_length=50, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, tag="")
                | (Q(question__isnull=True) & ~Q(tag="")),
                name="community_follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "question"],
                condition=Q(question__isnull=False),
                name="community_follow_once_q",
            ),
            models.UniqueConstraint(
                fields=["user", "tag"],
                condition=~Q(tag=""),
                name="community_follow_once_tag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.question_id or self.tag}"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_notifications"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="community_notif_unread")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class Flag(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_flags"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=FlagReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=_one_of("question", "answer", "comment"),
                name="community_flag_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.reason


class ModerationLog(models.Model):
    """What a moderator did, to what, and why. The target is described in text so that the
    entry outlives a deleted post."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=8, choices=ModerationAction.choices)
    target = models.CharField(_("target"), max_length=255)
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
