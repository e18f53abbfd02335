"""Helpers of the Entraide screens: the policy, and the lookups that turn a URL or a form
field into an object the viewer may see (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from relais.accounts.models import User
from relais.community import selectors
from relais.community.models import Answer, Comment, Question
from relais.community.permissions import CommunityPolicy

policy = CommunityPolicy()


def _require(user: User, action: str, obj: Any = None) -> None:
    if not policy.can(user, action, obj):
        raise PermissionDenied


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _question_for(user: User, pk: int) -> Question:
    """The question if the viewer may see it, 404 otherwise."""
    return selectors.question_detail(user, pk)


def _answer_for(user: User, answer_id: int) -> Answer:
    """An answer the viewer may see, of a question they may see (404 otherwise)."""
    return selectors.answer_get(user, answer_id)


def _answer_of(user: User, question: Question, raw: str) -> Answer | None:
    """The answer named by a form field, which must belong to `question` (404 otherwise)."""
    if not raw:
        return None
    answer = _answer_for(user, raw)  # type: ignore[arg-type]
    if answer.question_id != question.pk:
        raise Http404
    answer.question = question
    return answer


def _comment_of(user: User, question: Question, raw: str) -> Comment | None:
    """The comment named by a form field, on `question` or one of its answers (404 otherwise)."""
    if not raw:
        return None
    comment = (
        Comment.objects.select_related("question", "answer__question").filter(pk=raw).first()
        if raw.isdigit()
        else None
    )
    if comment is None or not policy.can(user, "view", comment):
        raise Http404
    owner = comment.question_id or (comment.answer.question_id if comment.answer else None)
    if owner != question.pk:
        raise Http404
    return comment


def _answer_url(answer: Answer) -> str:
    return reverse("community:question", args=[answer.question_id]) + f"#reponse-{answer.pk}"
