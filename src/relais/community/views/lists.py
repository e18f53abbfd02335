"""The question lists: newest, unanswered, top this week, by keyword."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from relais.accounts.selectors import current_user
from relais.community import selectors
from relais.community.models import Follow
from relais.community.permissions import is_member
from relais.community.views._common import _require, policy

# French slugs of the list tabs → selector tabs.
TABS = {
    "": "newest",
    "sans-reponse": "unanswered",
    "populaires": "top_week",
    "mot-cle": "tag",
}


PAGE_SIZE = 20


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
            "can_moderate": policy.can(user, "moderate"),
            "is_member": is_member(user),
            "member_count": selectors.member_count(),
        },
    )
