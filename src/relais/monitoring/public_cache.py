"""The anonymous outputs of the service watch (status page, its JSON, badges, history, feeds)
are built at most once per cache period, language and service, whatever the load (SECURITY.md
J1: 200 anonymous requests a second). The cache is Django's (Redis when REDIS_URL is set, so
every web node shares it; local memory otherwise).

Every key carries a generation number. The services that change what these outputs show (a
service's state, an incident, a maintenance window, the services and checks themselves) call
`public_outputs_changed()`: the generation moves on, so the next request builds fresh
outputs, on every node at once. The short timeout (MONITORING_PUBLIC_CACHE_SECONDS) is only
a backstop, for what changes with time alone (a check going stale, the hourly rollups)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

GENERATION_KEY = "monitoring:public:generation"
BANNER_KEY = "monitoring:banner"


def _generation() -> str:
    return str(cache.get(GENERATION_KEY) or "0")


def public_cached(parts: tuple[object, ...], build: Callable[[], T]) -> T:
    """The cached value for `parts` in the current generation, built by `build` on a miss."""
    key = "monitoring:public:" + ":".join([_generation(), *(str(p) for p in parts)])
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.MONITORING_PUBLIC_CACHE_SECONDS)
    return value


def _next_generation() -> None:
    cache.set(GENERATION_KEY, secrets.token_hex(8), None)
    cache.delete(BANNER_KEY)


def public_outputs_changed() -> None:
    """Called by the services that change what the anonymous outputs show. At once (a later
    read in this same transaction sees it) and again after commit: a request on another node
    that built its output from the data before the commit stored it under the generation
    that this second move retires."""
    _next_generation()
    transaction.on_commit(_next_generation)
