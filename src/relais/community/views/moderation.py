"""Flags, moderation of a post from its page, and closing as a duplicate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from relais.accounts.models import User
from relais.accounts.selectors import current_user
from relais.community import services
from relais.community.choices import ModerationAction
from relais.community.forms import DuplicateForm, FlagDecisionForm, FlagForm, ModerationForm
from relais.community.models import Flag, ModerationLog, Question
from relais.community.views._common import (
    _answer_of,
    _comment_of,
    _messages_of,
    _question_for,
    _require,
    policy,
)
from relais.community.views.detail import _rerender
from relais.core.permissions import deny


def _posted_target(request: HttpRequest, user: Any, question: Any, action: str) -> dict[str, Any]:
    """The post a flag or moderation form aims at (the question, one of its answers, or a
    comment), checked against the policy; as the services' keyword arguments."""
    answer = _answer_of(user, question, request.POST.get("answer", ""))
    comment = None if answer else _comment_of(user, question, request.POST.get("comment", ""))
    _require(user, action, comment or answer or question)
    return {
        "question": None if answer or comment else question,
        "answer": answer,
        "comment": comment,
    }


@login_required
@require_POST
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    target = _posted_target(request, user, question, "flag")
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            services.flag_create(
                actor=user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                **target,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thank you: the moderators will look at it."))
            return redirect("community:question", pk=question.pk)
    return _rerender(request, user, question, flag_form=form)


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    target = _posted_target(request, user, question, "moderate")
    answer, comment = target["answer"], target["comment"]
    form = ModerationForm(request.POST)
    if form.is_valid():
        try:
            services.moderate(
                actor=user,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                **target,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Done. The reason is logged."))
            deleted = form.cleaned_data["action"] == ModerationAction.DELETE
            if answer is None and comment is None and deleted:
                return redirect("community:list")
            return redirect("community:question", pk=question.pk)
    return _rerender(
        request,
        user,
        question,
        moderation_form=form,
        form_target=f"answer-{answer.pk}" if answer else "question",
    )


@login_required
@require_POST
def close_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    _require(user, "close", question)
    form = DuplicateForm(request.POST)
    if form.is_valid():
        original = Question.objects.filter(pk=form.cleaned_data["original"]).first()
        if original is None or not policy.can(user, "view", original):
            form.add_error("original", _("No other question has this number."))
        else:
            try:
                services.question_close_duplicate(question=question, original=original, actor=user)
            except ValidationError as exc:
                form.add_error("original", exc)
            else:
                messages.success(request, _("The question is closed as a duplicate."))
                return redirect("community:question", pk=question.pk)
    return _rerender(request, user, question, duplicate_form=form)


# --- The moderation queue -----------------------------------------------------------------

QUEUE_SIZE = 100
LOG_SIZE = 50


def _require_moderator(user: User) -> None:
    """The queue is for moderators: staff learn it is not theirs (403), others get a 404."""
    if not policy.can(user, "moderate"):
        deny(user)


def _queue_context(
    user: User, *, form: FlagDecisionForm | None = None, form_flag: int | None = None
) -> dict[str, Any]:
    # Moderators see every post, hidden ones included: no scope to apply to the targets.
    open_flags = Flag.objects.filter(resolved_at=None)
    flags = list(
        open_flags.select_related(
            "user",
            "question",
            "answer__question",
            "answer__author",
            "comment__author",
            "comment__question",
            "comment__answer__question",
        ).order_by("created_at", "pk")[:QUEUE_SIZE]
    )
    for flag in flags:
        target = flag.question or flag.answer or flag.comment
        flag.target = target  # type: ignore[attr-defined]
        if flag.question is not None:
            flag.kind = "question"  # type: ignore[attr-defined]
            flag.target_question = flag.question  # type: ignore[attr-defined]
            flag.anchor = ""  # type: ignore[attr-defined]
        elif flag.answer is not None:
            flag.kind = "answer"  # type: ignore[attr-defined]
            flag.target_question = flag.answer.question  # type: ignore[attr-defined]
            flag.anchor = f"#reponse-{flag.answer.pk}"  # type: ignore[attr-defined]
        else:
            assert flag.comment is not None
            flag.kind = "comment"  # type: ignore[attr-defined]
            comment = flag.comment
            flag.target_question = comment.question or (  # type: ignore[attr-defined]
                comment.answer.question if comment.answer else None
            )
            flag.anchor = f"#commentaire-{comment.pk}"  # type: ignore[attr-defined]
        flag.form = form if form is not None and form_flag == flag.pk else None  # type: ignore[attr-defined]
    return {
        "flags": flags,
        "flag_count": open_flags.count(),
        "log": ModerationLog.objects.select_related("moderator")[:LOG_SIZE],
        "can_moderate": True,
    }


@login_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_moderator(user)
    return render(request, "community/moderation.html", _queue_context(user))


@login_required
@require_POST
def flag_decide(request: HttpRequest, flag_id: int) -> HttpResponse:
    """Dismiss a flag, or hide its post through `moderate` (which resolves its open flags)."""
    user = current_user(request)
    _require_moderator(user)
    flag = get_object_or_404(
        Flag.objects.select_related("question", "answer", "comment"), pk=flag_id
    )
    form = FlagDecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == FlagDecisionForm.HIDE:
                services.moderate(
                    actor=user,
                    action=ModerationAction.HIDE,
                    reason=form.cleaned_data["reason"],
                    question=flag.question,
                    answer=flag.answer,
                    comment=flag.comment,
                )
                messages.success(request, _("The post is hidden. The reason is logged."))
            else:
                services.flag_resolve(flag=flag, actor=user)
                messages.success(request, _("Flag dismissed."))
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
        return redirect("community:moderation")
    return render(
        request,
        "community/moderation.html",
        _queue_context(user, form=form, form_flag=flag.pk),
        status=400,
    )
