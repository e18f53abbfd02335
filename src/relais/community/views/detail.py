"""The question page, and its re-rendering with the form that failed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relais.accounts.models import User
from relais.accounts.selectors import current_user
from relais.community.forms import AnswerForm, CommentForm, DuplicateForm, FlagForm, ModerationForm
from relais.community.models import Answer, Comment, Follow, Question, Vote
from relais.community.permissions import is_member
from relais.community.views._common import _question_for, policy


def _detail_context(
    request: HttpRequest,
    user: User,
    question: Question,
    *,
    answer_form: AnswerForm | None = None,
    comment_form: CommentForm | None = None,
    form_target: str = "",
    flag_form: FlagForm | None = None,
    moderation_form: ModerationForm | None = None,
    duplicate_form: DuplicateForm | None = None,
) -> dict[str, Any]:
    answers: list[Answer] = question.answer_list  # type: ignore[attr-defined]
    accepted_id = question.accepted_answer_id
    votes = dict(
        Vote.objects.filter(user=user, answer__question=question).values_list("answer_id", "value")
    )
    question_vote = (
        Vote.objects.filter(user=user, question=question).values_list("value", flat=True).first()
        or 0
    )
    may_unaccept = policy.can(user, "unaccept", question)
    for comment in question.comment_list:  # type: ignore[attr-defined]
        comment.question = question  # the policy reads the parent: no query per comment
        _comment_rights(user, comment)
    for answer in answers:
        answer.my_vote = votes.get(answer.pk, 0)  # type: ignore[attr-defined]
        answer.can_edit = policy.can(user, "edit", answer)  # type: ignore[attr-defined]
        answer.can_vote = policy.can(user, "vote", answer)  # type: ignore[attr-defined]
        answer.can_accept = policy.can(user, "accept", answer)  # type: ignore[attr-defined]
        answer.can_unaccept = may_unaccept and answer.pk == accepted_id  # type: ignore[attr-defined]
        answer.can_to_article = policy.can(user, "to_article", answer)  # type: ignore[attr-defined]
        answer.can_moderate = policy.can(user, "moderate", answer)  # type: ignore[attr-defined]
        answer.can_flag = policy.can(user, "flag", answer)  # type: ignore[attr-defined]
        for comment in answer.comment_list:  # type: ignore[attr-defined]
            comment.answer = answer
            _comment_rights(user, comment)
        answer.comment_open = (  # type: ignore[attr-defined]
            comment_form is not None and form_target == f"answer-{answer.pk}"
        )
        answer.moderation_open = (  # type: ignore[attr-defined]
            moderation_form is not None and form_target == f"answer-{answer.pk}"
        )
    return {
        "question": question,
        "answers": answers,
        "question_comments": question.comment_list,  # type: ignore[attr-defined]
        "question_vote": question_vote,
        "following": Follow.objects.filter(user=user, question=question).exists(),
        "answer_form": answer_form or _answer_form(user, question),
        # The service desk answers as IT without joining; members may choose.
        "answers_as_it_only": policy.can(user, "answer_as_it", question)
        and not policy.can(user, "answer", question),
        "comment_form": comment_form or CommentForm(),
        "comment_open_question": comment_form is not None and form_target == "question",
        "moderation_open_question": moderation_form is not None and form_target == "question",
        "flag_form": flag_form or FlagForm(),
        "moderation_form": moderation_form or ModerationForm(),
        "duplicate_form": duplicate_form or DuplicateForm(),
        "can": {
            action: policy.can(user, action, question)
            for action in (
                "answer",
                "comment",
                "vote",
                "edit",
                "close",
                "flag",
                "moderate",
                "to_ticket",
                "follow",
            )
        },
        "can_comment_answers": policy.can(user, "comment", question),
        "is_member": is_member(user),
    }


def _comment_rights(user: User, comment: Comment) -> None:
    comment.can_flag = policy.can(user, "flag", comment)  # type: ignore[attr-defined]
    comment.can_moderate = policy.can(user, "moderate", comment)  # type: ignore[attr-defined]


def _answer_form(user: User, question: Question, data: Any = None) -> AnswerForm:
    return AnswerForm(data, allow_as_it=policy.can(user, "answer_as_it", question))


@login_required
@require_GET
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    return render(request, "community/detail.html", _detail_context(request, user, question))


def _rerender(request: HttpRequest, user: User, question: Question, **forms: Any) -> HttpResponse:
    """The question page again, with the form that failed and what was typed (400)."""
    return render(
        request,
        "community/detail.html",
        _detail_context(request, user, question, **forms),
        status=400,
    )
