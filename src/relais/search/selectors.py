"""Reads of the search app that are not the search itself."""

from __future__ import annotations

from typing import Any

from relais.search import analysis
from relais.search.models import SearchEntry
from relais.search.registry import source


def visible_hit(user: Any, kind: str, object_id: int) -> SearchEntry | None:
    """The index entry of an object `user` may find, else None (a deflection must point to
    something the user can read)."""
    try:
        src = source(kind)
    except KeyError:
        return None
    if not src.visible_to(user):
        return None
    entries = SearchEntry.objects.filter(kind=kind, object_id=object_id)
    audiences = src.audiences(user)
    if audiences is not None:
        entries = entries.filter(audience__in=audiences)
    allowed = src.restrict_ids(user)
    if allowed is not None:
        entries = entries.filter(object_id__in=allowed)
    return entries.only("id", "url", "kind", "object_id").first()


def related_incidents(query: str) -> list[Any]:
    """Open major incidents whose title shares a word with what is being typed."""
    from relais.tickets.selectors import open_major_incidents

    terms = set(analysis.analyse(query))
    if not terms:
        return []
    return [t for t in open_major_incidents() if terms & set(analysis.analyse(t.title))]
