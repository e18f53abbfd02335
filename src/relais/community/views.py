"""Entraide, the HTML screens: each view parses its input, asks the policy, calls one service
and renders. An object the viewer may not see is a 404 (the selectors); a visible object the
viewer may not act on is a 403; bad input re-renders the form with what was typed."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.accounts.models import OrgUnit, User
from relais.accounts.selectors import current_user
from relais.community import selectors, services
from relais.community.choices import ModerationAction
from relais.community.forms import (
    AnswerEditForm,
    AnswerForm,
    CommentForm,
    DuplicateForm,
    FlagForm,
    ModerationForm,
    QuestionEditForm,
    QuestionForm,
)
from relais.community.models import Answer, Comment, Follow, Member, Notification, Question, Vote
from relais.community.permissions import CommunityPolicy, is_member

policy = CommunityPolicy()

# French slugs of the list tabs → selector tabs.
TABS = {
    "": "newest",
    "sans-reponse": "unanswered",
    "populaires": "top_week",
    "mot-cle": "tag",
}
PAGE_SIZE = 20


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


# --- Lists ------------------------------------------------------------------------------


@login_required
@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(user, "list")
    slug = request.GET.get("onglet", "")
    if slug not in TABS:
        slug = ""
    tag = " ".join(request.GET.get("mot", "").split()).lower()[:40]
    if slug == "mot-cle" and not tag:
        slug = ""
    if tag and not slug:
        slug = "mot-cle"
    tab = TABS[slug]
    qs = selectors.question_list(user, tab=tab, tag=tag if tab == "tag" else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    following_tag = False
    if tab == "tag":
        following_tag = Follow.objects.filter(user=user, tag=tag).exists()
    return render(
        request,
        "community/list.html",
        {
            "page": page,
            "tab": slug,
            "tag": tag,
            "tabs": [
                ("", _("Newest")),
                ("sans-reponse", _("Unanswered")),
                ("populaires", _("Top this week")),
            ],
            "page_query": urlencode(
                {k: v for k, v in (("onglet", slug), ("mot", tag if tab == "tag" else "")) if v}
            ),
            "following_tag": following_tag,
            "can_ask": policy.can(user, "ask"),
            "can_follow": policy.can(user, "follow"),
            "is_member": is_member(user),
            "member_count": selectors.member_count(),
        },
    )


# --- Asking and editing -------------------------------------------------------------------


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


def _answer_url(answer: Answer) -> str:
    return reverse("community:question", args=[answer.question_id]) + f"#reponse-{answer.pk}"


# --- The question page --------------------------------------------------------------------


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


@login_required
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    _require(user, "follow", question)
    following = request.POST.get("following") == "1"
    services.follow_set(actor=user, question=question, following=following)
    messages.success(
        request,
        _("You follow this question.") if following else _("You no longer follow this question."),
    )
    return redirect("community:question", pk=question.pk)


@login_required
@require_POST
def tag_follow(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(user, "follow")
    tag = " ".join(request.POST.get("tag", "").split()).lower()[:40]
    if not tag:
        messages.error(request, _("Choose a keyword."))
        return redirect("community:list")
    following = request.POST.get("following") == "1"
    services.follow_set(actor=user, tag=tag, following=following)
    if following:
        messages.success(request, _("You follow the keyword “%(tag)s”.") % {"tag": tag})
    else:
        messages.success(request, _("You no longer follow the keyword “%(tag)s”.") % {"tag": tag})
    return redirect(reverse("community:list") + "?" + urlencode({"onglet": "mot-cle", "mot": tag}))


@login_required
@require_POST
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    answer = _answer_of(user, question, request.POST.get("answer", ""))
    comment = None if answer else _comment_of(user, question, request.POST.get("comment", ""))
    _require(user, "flag", comment or answer or question)
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            services.flag_create(
                actor=user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                question=None if answer or comment else question,
                answer=answer,
                comment=comment,
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
    answer = _answer_of(user, question, request.POST.get("answer", ""))
    comment = None if answer else _comment_of(user, question, request.POST.get("comment", ""))
    _require(user, "moderate", comment or answer or question)
    form = ModerationForm(request.POST)
    if form.is_valid():
        try:
            services.moderate(
                actor=user,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                question=None if answer or comment else question,
                answer=answer,
                comment=comment,
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


@login_required
@require_POST
def question_to_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    _require(user, "to_ticket", question)
    try:
        ticket = services.question_to_ticket(question=question, actor=user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("community:question", pk=question.pk)
    messages.success(
        request, _("Request %(reference)s opened for the asker.") % {"reference": ticket.reference}
    )
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def answer_to_article(request: HttpRequest, answer_id: int) -> HttpResponse:
    user = current_user(request)
    answer = _answer_for(user, answer_id)
    _require(user, "to_article", answer)
    try:
        article = services.answer_to_article(answer=answer, actor=user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect(_answer_url(answer))
    messages.success(request, _("A draft article was written from this answer: review it."))
    return redirect("kb:edit", pk=article.pk)


# --- Members ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        joining = request.POST.get("member") == "1"
        if joining == is_member(user):  # already so (a second click, another tab)
            return redirect("community:join")
        _require(user, "join" if joining else "leave")
        if joining:
            services.member_join(user=user)
            messages.success(request, _("Welcome to the peer-help community!"))
        else:
            services.member_leave(user=user)
            messages.success(request, _("You left the peer-help community."))
        return redirect("community:join")
    return render(
        request,
        "community/join.html",
        {
            "is_member": is_member(user),
            "member_count": selectors.member_count(),
        },
    )


@login_required
@require_GET
def member_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    person = get_object_or_404(User, pk=user_id, is_active=True)
    member = Member.objects.filter(pk=person.pk).first()
    if member is None or not policy.can(viewer, "view", member):
        raise Http404
    profile = selectors.member_profile(person, viewer=viewer)
    return render(request, "community/profile.html", {"person": person, "profile": profile})


def _month_param(raw: str) -> datetime.date:
    today = timezone.localdate().replace(day=1)
    try:
        year, month = (int(part) for part in raw.split("-"))
        chosen = datetime.date(year, month, 1)
    except ValueError:
        return today
    return min(chosen, today)


@login_required
@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(user, "list")
    month = _month_param(request.GET.get("mois", ""))
    try:
        direction_id = int(request.GET.get("direction", "")) or None
    except ValueError:
        direction_id = None
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "community/leaderboard.html",
        {
            "month": month,
            "previous": previous,
            "next": following if following <= timezone.localdate() else None,
            "direction_id": direction_id,
            "directions": OrgUnit.objects.filter(parent=None).only("id", "name"),
            "rows": selectors.leaderboard(
                month=f"{month.year:04d}-{month.month:02d}", direction_id=direction_id
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        ids: list[int] | None = None
        if request.POST.get("id"):
            try:
                ids = [int(request.POST["id"])]
            except ValueError:
                ids = []
        services.notifications_mark_read(actor=user, ids=ids)
        messages.success(request, _("Marked as read."))
        return redirect("community:notifications")
    # A question hidden since the notification is no longer named to who may not see it.
    qs = (
        Notification.objects.filter(user=user, question__in=policy.scope(user).values("pk"))
        .select_related("question", "actor")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "community/notifications.html",
        {"page": page, "unread": qs.filter(read_at=None).exists()},
    )
