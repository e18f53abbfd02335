"""Request quotas (SECURITY.md G2): per API token, per browser session on the API, and per
client address for anonymous visitors (HTML and API).

Counters live in the cache (Redis when REDIS_URL is set, so every web node shares them; the
process's memory otherwise): one fixed window per key, created and bumped atomically in one
Redis round trip (core.cache.window_count). A cache that cannot be reached lets the request
through: a quota is a guard against abuse, not a reason to refuse everyone while Redis restarts.

- The API quota plugs into django-ninja's throttling (`NinjaAPI(throttle=…)`): ninja answers
  429 with `Retry-After`, the API's error handler gives the JSON body
  `{"detail": …, "code": "throttled"}`. Login throttling is django-axes' (G1).
- Anonymous requests are counted by `AnonymousRateLimitMiddleware` before any view runs.

Limits are settings (`RELAIS_API_RATE`, `RELAIS_ANONYMOUS_RATE`, "count/period" with period
s, min, h or d; empty turns a quota off). The defaults are far above what a person or the load
benchmark (bench/load.py) sends."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from ninja.throttling import BaseThrottle

from relais.core.cache import window_count
from relais.core.services import client_ip

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate | None:
    """ "600/min" → Rate(600, 60); "" → None (no quota)."""
    text = (text or "").strip()
    if not text:
        return None
    count, _, period = text.partition("/")
    if period not in _PERIODS or not count.isdigit() or int(count) < 1:
        raise ValueError(f"bad rate {text!r}: expected 'count/period', period in {_PERIODS}")
    return Rate(int(count), _PERIODS[period])


def over_quota(key: str, rate: Rate | None, *, now: float | None = None) -> int | None:
    """Count one request for `key`. None when it is within the quota, else the seconds until
    the window ends (the `Retry-After`)."""
    if rate is None:
        return None
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    cache_key = f"ratelimit:{key}:{rate.seconds}:{window}"
    try:
        count = window_count(cache_key, rate.seconds + 1)
    except ValueError:  # expired between add and incr: the next window has begun
        cache.set(cache_key, 1, timeout=rate.seconds + 1)
        count = 1
    except Exception as exc:  # the cache is down: let the request through
        logger.warning("rate limit not counted: %s", type(exc).__name__)
        return None
    if count <= rate.count:
        return None
    return max(1, int((window + 1) * rate.seconds - now + 0.999))


class ApiQuota(BaseThrottle):
    """django-ninja throttle: one quota per API token, else per browser session. Anonymous
    callers are counted by the middleware (per address), not here."""

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "api_token", None)
        if token is not None:
            key = f"api:token:{token.pk}"
        else:
            user = getattr(request, "user", None)
            session_key = getattr(getattr(request, "session", None), "session_key", None)
            if user is None or not user.is_authenticated or not session_key:
                return True
            key = f"api:session:{session_key}"
        wait = over_quota(key, parse_rate(settings.RELAIS_API_RATE))
        self._local.wait = wait
        if wait is not None:
            logger.warning("api quota exceeded", extra={"quota": key.rsplit(":", 1)[0]})
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


# Paths never counted: health probes of the load balancer and static files (whitenoise serves
# these before any middleware that could count them anyway).
UNCOUNTED_PREFIXES = ("/healthz", "/readyz", "/static/")


def throttled_response(request: HttpRequest, wait: int) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "Too many requests.", "code": "throttled"}, status=429)
    else:
        response = HttpResponse(
            render_to_string("errors/429.html", {"retry_after": wait}, request=request), status=429
        )
    response["Retry-After"] = str(wait)
    return response


def count_failed_token(request: HttpRequest) -> int | None:
    """A bearer token that matches nothing counts against the address's anonymous quota, so
    that guessing tokens is as limited as any other anonymous call. The wait, when over."""
    address = client_ip(request) or "unknown"
    return over_quota(f"anon:{address}", parse_rate(settings.RELAIS_ANONYMOUS_RATE))


class AnonymousRateLimitMiddleware:
    """A quota per client address for requests of visitors who are not signed in (the login
    page, password reset, the public status page and its JSON, heartbeat pings, and every
    refused anonymous call). API requests carrying a bearer token are counted by the token
    check instead (core.api.TokenAuth): per token, or here when the token is unknown."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        bearer = request.path.startswith("/api/") and request.META.get(
            "HTTP_AUTHORIZATION", ""
        ).lower().startswith("bearer ")
        if (
            (user is None or not user.is_authenticated)
            and not bearer  # counted by the token check: per token, or here when it fails
            and not request.path.startswith(UNCOUNTED_PREFIXES)
        ):
            address = client_ip(request) or "unknown"
            wait = over_quota(f"anon:{address}", parse_rate(settings.RELAIS_ANONYMOUS_RATE))
            if wait is not None:
                logger.warning("anonymous quota exceeded", extra={"client": address})
                return throttled_response(request, wait)
        return self.get_response(request)
