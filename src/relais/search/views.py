from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from relais.accounts.selectors import current_user
from relais.core.permissions import deny
from relais.search import registry, selectors, services
from relais.search.engine import search
from relais.search.models import ZeroResultQuery

PAGE_SIZE = 20


@login_required
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """The full results page (works without JavaScript), grouped by kind."""
    user = current_user(request)
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("type", "")
    kinds = [kind] if kind in {s.kind for s in registry.sources()} else None
    found = search(query, user, kinds=kinds, limit=PAGE_SIZE) if query else None
    groups = []
    if found is not None:
        by_kind = found.by_kind()
        groups = [
            {"kind": s.kind, "label": s.label, "hits": by_kind[s.kind]}
            for s in registry.sources()
            if s.kind in by_kind
        ]
    return render(
        request,
        "search/results.html",
        {
            "query": query,
            "kind": kinds[0] if kinds else "",
            "results": found,
            "groups": groups,
            "kinds": [(s.kind, s.label) for s in registry.sources() if s.visible_to(user)],
        },
    )


@login_required
@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Suggestions while typing: an HTML fragment (escaped by the template engine)."""
    user = current_user(request)
    query = request.GET.get("q", "").strip()
    context = request.GET.get("contexte")
    deflection = context == "demande"
    # Asking in the community: similar questions and articles, without the deflection button.
    similar = context == "question"
    kinds = ["article", "question"] if deflection or similar else None
    found = search(
        query,
        user,
        kinds=kinds,
        limit=3 if deflection else 5 if similar else 6,
        prefix=not deflection,
        snippets=deflection or similar,
        log_empty=False,
    )
    return render(
        request,
        "search/_suggestions.html",
        {
            "query": query,
            "results": found,
            "deflection": deflection,
            "similar": similar,
            "incidents": selectors.related_incidents(query) if deflection else [],
        },
    )


@login_required
@require_POST
def deflect(request: HttpRequest) -> HttpResponse:
    """Record a deflection: the "this solved my problem" button of the ticket form posts the
    form here; no ticket is opened and the answer is shown again."""
    user = current_user(request)
    kind, _sep, raw_id = request.POST.get("answer", "").partition(":")
    try:
        object_id = int(raw_id)
    except ValueError:
        object_id = 0
    try:
        _deflection, hit = services.deflection_record(
            user=user, query=request.POST.get("title", ""), kind=kind, object_id=object_id
        )
    except services.AnswerUnavailable:
        messages.error(request, _("This answer is no longer available."))
        return redirect("tickets:new")
    messages.success(request, _("Glad it helped! No request was opened. Here is the answer again."))
    target = hit.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
@require_GET
def zero_results(request: HttpRequest) -> HttpResponse:
    """Searches that found nothing: the content gaps, for the desk."""
    from relais.tickets.permissions import is_desk

    user = current_user(request)
    if not is_desk(user):
        deny(user)
    page = Paginator(ZeroResultQuery.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "search/zero_results.html", {"page": page})
