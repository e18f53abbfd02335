"""Asking, editing, answering, commenting, voting and accepting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relais.accounts.selectors import current_user
from relais.community import services
from relais.community.forms import AnswerEditForm, CommentForm, QuestionEditForm, QuestionForm
from relais.community.models import Answer, Question
from relais.community.views._common import (
    _answer_for,
    _answer_of,
    _answer_url,
    _messages_of,
    _question_for,
    _require,
    policy,
)
from relais.community.views.detail import _answer_form, _rerender


@login_required
@require_http_methods(["GET", "POST"])
def question_ask(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not policy.can(user, "ask"):
        if policy.can(user, "join"):
            # Asking is for members: say so, and offer to join (the page answers 403).
            return render(request, "community/join_first.html", status=403)
        raise PermissionDenied
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            question = services.question_ask(
                author=user,
                title=data["title"],
                body=data["body"],
                tags=data["tags"],
                category=data["category"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your question is published."))
            return redirect("community:question", pk=question.pk)
    return render(request, "community/ask.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    _require(user, "edit", question)
    form = QuestionEditForm(request.POST or None, initial=QuestionEditForm.initial_for(question))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.question_edit(
                question=question,
                actor=user,
                title=data["title"],
                body=data["body"],
                tags=data["tags"],
                expected_version=data.get("version") or 0,
                summary=data.get("summary", ""),
            )
        except services.ConflictError:
            form.add_error(
                None,
                _(
                    "Someone else saved this question while you were editing it. Your text is "
                    "kept below: compare it with the current version (open it in another tab), "
                    "then save again."
                ),
            )
            current = Question.objects.only("version").get(pk=question.pk)
            posted = request.POST.copy()
            posted["version"] = str(current.version)
            form.data = posted
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("community:question", pk=question.pk)
    return render(request, "community/edit.html", {"form": form, "question": question})


@login_required
@require_http_methods(["GET", "POST"])
def answer_edit(request: HttpRequest, answer_id: int) -> HttpResponse:
    user = current_user(request)
    answer = _answer_for(user, answer_id)
    _require(user, "edit", answer)
    form = AnswerEditForm(
        request.POST or None, initial={"body": answer.body, "version": answer.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_edit(
                answer=answer,
                actor=user,
                body=form.cleaned_data["body"],
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except services.ConflictError:
            form.add_error(
                None,
                _(
                    "Someone else saved this answer while you were editing it. Your text is "
                    "kept below: compare it with the current version, then save again."
                ),
            )
            current = Answer.objects.only("version").get(pk=answer.pk)
            posted = request.POST.copy()
            posted["version"] = str(current.version)
            form.data = posted
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Answer saved."))
            return redirect(_answer_url(answer))
    return render(
        request,
        "community/answer_edit.html",
        {"form": form, "answer": answer, "question": answer.question},
    )


@login_required
@require_POST
def answer_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    as_it = bool(request.POST.get("as_it"))
    _require(user, "answer_as_it" if as_it else "answer", question)
    form = _answer_form(user, question, request.POST)
    if form.is_valid():
        try:
            answer = services.answer_post(
                question=question, author=user, body=form.cleaned_data["body"], as_it=as_it
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your answer is published. Thank you!"))
            return redirect(_answer_url(answer))
    return _rerender(request, user, question, answer_form=form)


@login_required
@require_POST
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    answer = _answer_of(user, question, request.POST.get("answer", ""))
    _require(user, "comment", answer or question)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_post(
                actor=user,
                body=form.cleaned_data["body"],
                question=None if answer else question,
                answer=answer,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Comment added."))
            if answer is not None:
                return redirect(_answer_url(answer))
            return redirect("community:question", pk=question.pk)
    return _rerender(
        request,
        user,
        question,
        comment_form=form,
        form_target=f"answer-{answer.pk}" if answer else "question",
    )


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """A vote button: `target` is "question" or an answer id, `value` is 1, -1 or 0 (undo)."""
    user = current_user(request)
    question = _question_for(user, pk)
    target = request.POST.get("target", "question")
    answer = _answer_of(user, question, "" if target == "question" else target)
    try:
        value = int(request.POST.get("value", ""))
    except ValueError:
        value = 99
    if value not in (-1, 0, 1) or (answer is None and value == -1):
        messages.error(request, _("This vote is not possible."))
        return redirect("community:question", pk=question.pk)
    _require(user, "vote", answer or question)
    try:
        services.vote_cast(
            actor=user, question=None if answer else question, answer=answer, value=value
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("Vote recorded.") if value else _("Vote withdrawn."))
    if answer is not None:
        return redirect(_answer_url(answer))
    return redirect("community:question", pk=question.pk)


@login_required
@require_POST
def answer_accept(request: HttpRequest, answer_id: int) -> HttpResponse:
    user = current_user(request)
    answer = _answer_for(user, answer_id)
    undo = request.POST.get("undo") == "1"
    if undo:
        _require(user, "unaccept", answer.question)
    else:
        _require(user, "accept", answer)
    try:
        if undo:
            services.answer_unaccept(question=answer.question, actor=user)
            messages.success(request, _("The answer is no longer marked as accepted."))
        else:
            services.answer_accept(answer=answer, actor=user)
            messages.success(request, _("Answer accepted: thank you for closing the loop."))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    return redirect(_answer_url(answer))
