"""`{% service_banner %}`: the "service down" banner that the portal and the new-ticket form
include (one line in their templates; the tickets app does not depend on this one's code)."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.cache import cache

from relais.monitoring import selectors
from relais.monitoring.public_cache import BANNER_KEY

register = template.Library()

CACHE_KEY = BANNER_KEY


@register.inclusion_tag("monitoring/_banner.html", takes_context=True)
def service_banner(context: dict[str, Any]) -> dict[str, Any]:
    outages = cache.get(CACHE_KEY)
    if outages is None:
        outages = selectors.down_services_for_banner()
        cache.set(CACHE_KEY, outages, 10)
    return {
        "outages": outages,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
