from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from relais.core.metrics import LATENCY, REQUESTS
from relais.core.services import peer_is_trusted_proxy

_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


# Headers that would say who the user is: nothing in Relais reads them (identity comes from
# the session, an API token or the verified SSO flow), and they are dropped so that nothing
# added later can start believing them.
IDENTITY_HEADERS = (
    "REMOTE_USER",
    "HTTP_REMOTE_USER",
    "HTTP_X_REMOTE_USER",
    "HTTP_X_FORWARDED_USER",
    "HTTP_X_AUTH_USER",
    "HTTP_X_AUTHENTICATED_USER",
    "HTTP_X_USER",
    "HTTP_X_FORWARDED_EMAIL",
    "HTTP_X_AUTH_REQUEST_USER",
    "HTTP_X_AUTH_REQUEST_EMAIL",
)
# Headers only our own reverse proxies may set (client address, scheme, host).
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


class ForwardedHeadersMiddleware:
    """First in the chain (SECURITY.md F6): identity headers are always dropped, forwarded
    headers unless the peer is a trusted proxy (core.services.peer_is_trusted_proxy, the
    address list RELAIS_TRUSTED_PROXIES), before
    Django's scheme detection (SECURE_PROXY_SSL_HEADER), django-axes, the rate limits or the
    audit log read them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        for name in IDENTITY_HEADERS:
            meta.pop(name, None)
        if not peer_is_trusted_proxy(request):
            for name in FORWARDED_HEADERS:
                meta.pop(name, None)
        return self.get_response(request)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "OTHER"
        LATENCY.labels(method).observe(time.perf_counter() - started)
        REQUESTS.labels(method, str(response.status_code)).inc()
        return response
