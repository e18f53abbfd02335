"""The anonymous outputs of the service watch (status page, its JSON, badges, history, feeds)
are built at most once per cache period, language and service, whatever the load (SECURITY.md
J1: 200 anonymous requests a second). The cache is Django's (Redis when REDIS_URL is set, so
every web node shares it; local memory otherwise).

Every entry is stored with the generation it was built in. The services that change what
these outputs show (a service's state, an incident, a maintenance window, the services and
checks themselves) call `public_outputs_changed()`: the generation moves on, so the next
request rebuilds, on every node at once. A hit costs one cache round trip (the generation and
the entry are read together). The short timeout (MONITORING_PUBLIC_CACHE_SECONDS) is only
a backstop, for what changes with time alone (a check going stale, the hourly rollups)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

GENERATION_KEY = "monitoring:public:generation"
BANNER_KEY = "monitoring:banner"


def public_cached(parts: tuple[object, ...], build: Callable[[], T]) -> T:
    """The cached value for `parts` if it was built in the current generation, else the value
    `build` returns (then cached)."""
    key = "monitoring:public:" + ":".join(str(p) for p in parts)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY) or "0"
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return cast(T, entry[1])
    value = build()
    cache.set(key, (generation, value), settings.MONITORING_PUBLIC_CACHE_SECONDS)
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
