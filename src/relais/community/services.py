"""Every write on the community goes through these functions (questions and answers for now;
votes, reputation and following come with the community issue)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from relais.community.models import Answer, Question
from relais.tickets.permissions import sees_everything

if TYPE_CHECKING:
    from relais.accounts.models import User
    from relais.tickets.models import Category


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


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
    if not _active(author):
        raise PermissionDenied
    if not title.strip() or not body.strip():
        raise ValidationError(_("A question needs a title and a text."))
    return Question.objects.create(
        author=author,
        title=title.strip()[:200],
        body=body,
        tags=[" ".join(str(t).split())[:50] for t in tags if str(t).strip()][:20],
        category=category,
        external_id=external_id[:64],
    )


@transaction.atomic
def answer_post(*, question: Question, author: User, body: str) -> Answer:
    if not _active(author):
        raise PermissionDenied
    if not body.strip():
        raise ValidationError(_("An answer needs a text."))
    return Answer.objects.create(question=question, author=author, body=body)


@transaction.atomic
def answer_accept(*, answer: Answer, actor: User) -> Question:
    """The asker (or a moderator: supervisors and administrators) accepts an answer."""
    question = Question.objects.select_for_update().get(pk=answer.question_id)
    moderator = sees_everything(actor)
    if not _active(actor) or (question.author_id != actor.pk and not moderator):
        raise PermissionDenied
    question.accepted_answer = answer
    question.save(update_fields=["accepted_answer", "updated_at"])
    return question
