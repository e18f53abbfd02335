"""Flags and moderation: hide, show again, lock, unlock, close or delete a post, with a
reason written to the moderation log and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.community.choices import FlagReason, ModerationAction, QuestionStatus
from relais.community.models import Answer, Comment, Flag, ModerationLog, Question, Vote
from relais.community.permissions import community_policy
from relais.community.reputation import recount
from relais.community.services._common import _describe, _one_target, _require
from relais.community.services.votes import _points_apply

if TYPE_CHECKING:
    from relais.accounts.models import User


@transaction.atomic
def flag_create(
    *,
    actor: User,
    reason: str,
    note: str = "",
    question: Question | None = None,
    answer: Answer | None = None,
    comment: Comment | None = None,
) -> Flag:
    kind, target = _one_target(question=question, answer=answer, comment=comment)
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    _require(community_policy.can(actor, "flag", target))
    flag, _created = Flag.objects.update_or_create(
        user=actor,
        resolved_at=None,
        **{kind: target},
        defaults={"reason": reason, "note": note.strip()[:500]},
    )
    return flag


QUESTION_ONLY = frozenset({ModerationAction.LOCK, ModerationAction.UNLOCK, ModerationAction.CLOSE})


@transaction.atomic
def moderate(
    *,
    actor: User,
    action: str,
    reason: str,
    question: Question | None = None,
    answer: Answer | None = None,
    comment: Comment | None = None,
) -> ModerationLog:
    """Hide, show again, lock, unlock, close or delete a post, with a reason (logged in the
    moderation log and the audit log)."""
    from relais.core.choices import AuditAction
    from relais.core.services import audit_record

    kind, _given = _one_target(question=question, answer=answer, comment=comment)
    if action not in ModerationAction.values:
        raise ValidationError({"action": _("Unknown moderation action.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    target: Question | Answer | Comment
    if kind == "question":
        target = Question.objects.select_for_update(no_key=True).get(pk=_given.pk)
    elif kind == "answer":
        target = Answer.objects.select_for_update(no_key=True).get(pk=_given.pk)
        target.question = Question.objects.select_for_update(no_key=True).get(pk=target.question_id)
    else:
        target = Comment.objects.select_related("question", "answer__question").get(pk=_given.pk)
    _require(community_policy.can(actor, "moderate", target))
    if action in QUESTION_ONLY and kind != "question":
        raise ValidationError({"action": _("Only a question can be locked or closed.")})
    description = _describe(target)
    target_type = type(target)._meta.label_lower
    target_id = target.pk
    if action in (ModerationAction.HIDE, ModerationAction.UNHIDE):
        hidden = action == ModerationAction.HIDE
        if target.is_hidden != hidden:
            target.is_hidden = hidden
            target.save(update_fields=["is_hidden"])
            if isinstance(target, Answer):
                delta = -1 if hidden else 1
                Question.objects.filter(pk=target.question_id).update(
                    answer_count=F("answer_count") + delta
                )
    elif action in (ModerationAction.LOCK, ModerationAction.UNLOCK):
        assert isinstance(target, Question)
        target.is_locked = action == ModerationAction.LOCK
        target.save(update_fields=["is_locked", "updated_at"])
    elif action == ModerationAction.CLOSE:
        assert isinstance(target, Question)
        target.status = QuestionStatus.CLOSED
        target.save(update_fields=["status", "updated_at"])
    else:
        _delete(target)
    if action != ModerationAction.DELETE:  # a deleted post's flags went with it
        Flag.objects.filter(**{kind: target_id}, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor
        )
    log = ModerationLog.objects.create(
        moderator=actor, action=action, target=description, reason=reason.strip()[:500]
    )
    audit_record(
        action=AuditAction.COMMUNITY_MODERATION,
        actor=actor,
        changes={
            "action": action,
            "object_type": target_type,
            "object_id": target_id,
            "reason": reason.strip()[:500],
        },
    )
    return log


def _delete(target: Question | Answer | Comment) -> None:
    """Delete a post and what hangs on it; the authors' points and reputation lose what its
    votes and acceptance earned (recounted from those rows before they go)."""
    if isinstance(target, Question):
        removed = recount(
            Vote.objects.filter(Q(question=target) | Q(answer__question=target)),
            Question.objects.filter(pk=target.pk),
        )
        target.delete()
    elif isinstance(target, Answer):
        removed = recount(
            Vote.objects.filter(answer=target),
            Question.objects.filter(pk=target.question_id, accepted_answer=target),
        )
        question = target.question  # locked by moderate()
        if question.accepted_answer_id == target.pk:  # saved: its search entry follows
            question.accepted_answer = None
            question.accepted_at = None
            question.save(update_fields=["accepted_answer", "accepted_at", "updated_at"])
        if not target.is_hidden:
            Question.objects.filter(pk=target.question_id).update(
                answer_count=F("answer_count") - 1
            )
        target.delete()
    else:
        target.delete()
        return
    _points_apply({key: -tally for key, tally in removed.items()})


@transaction.atomic
def flag_resolve(*, flag: Flag, actor: User) -> Flag:
    """A moderator dismisses a flag without acting on its post (the post stays as it is).
    Acting on the post (`moderate`) resolves its open flags on the way."""
    from relais.core.choices import AuditAction
    from relais.core.services import audit_record

    locked = (
        Flag.objects.select_for_update(of=("self",))
        .select_related("question", "answer__question", "comment__question", "comment__answer")
        .get(pk=flag.pk)
    )
    target: Question | Answer | Comment | None = locked.question or locked.answer or locked.comment
    if target is None:  # the database forbids it (community_flag_one_target)
        raise ValidationError(_("Choose exactly one post."))
    _require(community_policy.can(actor, "moderate", target))
    if locked.resolved_at is not None:
        raise ValidationError(_("This flag is already resolved."))
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(
        action=AuditAction.COMMUNITY_MODERATION,
        actor=actor,
        changes={
            "action": "flag_resolve",
            "flag_id": locked.pk,
            "object_type": type(target)._meta.label_lower,
            "object_id": target.pk,
        },
    )
    return locked
