"""Following a question or a keyword, and the in-app notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relais.accounts.selectors import current_user
from relais.community import services
from relais.community.models import Notification
from relais.community.views._common import _question_for, _require, policy


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
