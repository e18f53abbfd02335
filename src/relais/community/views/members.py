"""Joining, member profiles and the leaderboard."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from relais.accounts.models import OrgUnit, User
from relais.accounts.selectors import current_user
from relais.community import selectors, services
from relais.community.models import Member
from relais.community.permissions import is_member, member_of
from relais.community.views._common import _require, policy


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST" and "email" in request.POST:
        _require(user, "notifications")
        services.member_set_notifications(user=user, email=request.POST.get("email") == "1")
        messages.success(request, _("Your e-mail preference is saved."))
        return redirect("community:join")
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
            "membership": member_of(user),
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
