"""Questions, answers and comments: asking, editing (a stale edit is a ConflictError),
answering, accepting, closing as a duplicate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.community.choices import ModerationAction, NotificationKind, QuestionStatus
from relais.community.models import Answer, Comment, ModerationLog, Question
from relais.community.permissions import community_policy
from relais.community.reputation import Counts
from relais.community.services._common import (
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ConflictError,
    _check_rate,
    _clean_tags,
    _describe,
    _one_target,
    _require,
    _revision,
    _touch,
    _validate_text,
    tags_text,
)
from relais.community.services.members import _ensure_participant
from relais.community.services.notify import _followers, _notify, _notify_mentions
from relais.community.services.votes import _acceptance_changes, _points_apply, badges_award
from relais.core.permissions import is_active_user

if TYPE_CHECKING:
    from relais.accounts.models import User
    from relais.tickets.models import Category


@transaction.atomic
def question_ask(
    *,
    author: User,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    category: Category | None = None,
    external_id: str = "",
) -> Question:
    if not is_active_user(author):
        raise PermissionDenied
    _ensure_participant(author)
    _require(community_policy.can(author, "ask"))
    _validate_text(title, body, what="question")
    _check_rate(author)
    cleaned = _clean_tags(tags)
    question = Question.objects.create(
        author=author,
        title=title.strip()[:TITLE_MAX_LENGTH],
        body=body,
        tags=cleaned,
        tags_text=tags_text(cleaned),
        category=category,
        external_id=external_id[:64],
    )
    _revision(question=question, author=author, summary="")
    _notify_mentions(body, question, author, exclude=set())
    return question


@transaction.atomic
def question_edit(
    *,
    question: Question,
    actor: User,
    title: str,
    body: str,
    tags: Sequence[str],
    expected_version: int,
    summary: str = "",
    category: Any = ...,
) -> Question:
    """Save a new version (a Revision row); refuses with ConflictError when stale."""
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "edit", locked))
    _validate_text(title, body, what="question")
    if locked.version != expected_version:
        raise ConflictError(locked)
    cleaned = _clean_tags(tags)
    locked.title = title.strip()[:TITLE_MAX_LENGTH]
    locked.body = body
    locked.tags = cleaned
    locked.tags_text = tags_text(cleaned)
    if category is not ...:
        locked.category = category
    locked.version += 1
    locked.last_activity_at = timezone.now()
    locked.save()
    _revision(question=locked, author=actor, summary=summary)
    return locked


@transaction.atomic
def question_close_duplicate(*, question: Question, original: Question, actor: User) -> Question:
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "close", locked))
    if original.pk == locked.pk:
        raise ValidationError(_("A question cannot duplicate itself."))
    if not community_policy.can(actor, "view", original) or original.is_hidden:
        raise ValidationError(_("No other question has this number."))
    if original.duplicate_of_id == locked.pk:
        raise ValidationError(_("That question is itself closed as a duplicate of this one."))
    locked.status = QuestionStatus.CLOSED
    locked.duplicate_of = original
    locked.save(update_fields=["status", "duplicate_of", "updated_at"])
    ModerationLog.objects.create(
        moderator=actor,
        action=ModerationAction.CLOSE,
        target=_describe(locked),
        reason=f"duplicate of #{original.pk}",
    )
    return locked


@transaction.atomic
def answer_post(*, question: Question, author: User, body: str, as_it: bool = False) -> Answer:
    if not is_active_user(author):
        raise PermissionDenied
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    if as_it:
        _require(
            community_policy.can(author, "answer_as_it", locked),
            _("Only the service desk answers as IT, on an open question."),
        )
    else:
        _ensure_participant(author)
        _require(
            community_policy.can(author, "answer", locked),
            _("This question takes no new answers."),
        )
    _validate_text(None, body, what="answer")
    _check_rate(author)
    answer = Answer.objects.create(question=locked, author=author, body=body, as_it=as_it)
    _revision(answer=answer, author=author, summary="")
    Question.objects.filter(pk=locked.pk).update(
        answer_count=F("answer_count") + 1, last_activity_at=timezone.now()
    )
    locked.answer_count += 1
    question.answer_count = locked.answer_count
    _notify(NotificationKind.ANSWER, locked, [locked.author, *_followers(locked)], actor=author)
    _notify_mentions(body, locked, author, exclude={locked.author_id})
    badges_award(author)
    return answer


@transaction.atomic
def answer_edit(*, answer: Answer, actor: User, body: str, expected_version: int) -> Answer:
    locked = Answer.objects.select_for_update(no_key=True).get(pk=answer.pk)
    locked.question = Question.objects.get(pk=locked.question_id)
    _require(community_policy.can(actor, "edit", locked))
    _validate_text(None, body, what="answer")
    if locked.version != expected_version:
        raise ConflictError(locked)
    locked.body = body
    locked.version += 1
    locked.save()
    _revision(answer=locked, author=actor, summary="")
    _touch(locked.question_id)
    return locked


@transaction.atomic
def answer_accept(*, answer: Answer, actor: User) -> Question:
    """The asker (or a moderator) accepts an answer; accepting another one moves the mark."""
    question = Question.objects.select_for_update(no_key=True).get(pk=answer.question_id)
    answer = Answer.objects.get(pk=answer.pk)
    answer.question = question
    if question.accepted_answer_id == answer.pk:
        _require(community_policy.can(actor, "unaccept", question))
        return question
    _require(community_policy.can(actor, "accept", answer))
    changes: Counts = {}
    previous = question.accepted_answer
    if previous is not None:
        _acceptance_changes(
            changes, question=question, answer=previous, at=question.accepted_at, sign=-1
        )
    question.accepted_answer = answer
    question.accepted_at = timezone.now()
    question.last_activity_at = question.accepted_at
    question.save(
        update_fields=["accepted_answer", "accepted_at", "last_activity_at", "updated_at"]
    )
    _acceptance_changes(changes, question=question, answer=answer, at=question.accepted_at, sign=1)
    _points_apply(changes)
    _notify(NotificationKind.ACCEPTED, question, [answer.author], actor=actor)
    badges_award(answer.author)
    return question


@transaction.atomic
def answer_unaccept(*, question: Question, actor: User) -> Question:
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "unaccept", locked))
    previous = locked.accepted_answer
    changes: Counts = {}
    if previous is not None:
        _acceptance_changes(
            changes, question=locked, answer=previous, at=locked.accepted_at, sign=-1
        )
    locked.accepted_answer = None
    locked.accepted_at = None
    locked.save(update_fields=["accepted_answer", "accepted_at", "updated_at"])
    _points_apply(changes)
    return locked


@transaction.atomic
def comment_post(
    *, actor: User, body: str, question: Question | None = None, answer: Answer | None = None
) -> Comment:
    _one_target(question=question, answer=answer)
    if not is_active_user(actor):
        raise PermissionDenied
    target: Question | Answer
    if answer is not None:
        target = Answer.objects.select_related("question").get(pk=answer.pk)
        parent = target.question
    else:
        assert question is not None
        target = parent = Question.objects.get(pk=question.pk)
    _ensure_participant(actor)
    _require(community_policy.can(actor, "comment", target))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("A comment needs a text.")})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError({"body": _("600 characters at most.")})
    comment = Comment.objects.create(
        question=parent if answer is None else None,
        answer=target if isinstance(target, Answer) else None,
        author=actor,
        body=body,
    )
    _touch(parent.pk)
    _notify(NotificationKind.COMMENT, parent, [target.author], actor=actor)
    _notify_mentions(body, parent, actor, exclude={target.author_id})
    return comment
