"""Retried API writes happen once: the `Idempotency-Key` request header.

A client that sends `POST /api/v1/...` with `Idempotency-Key: <unique value>` (a UUID, say) may
send the same request again after a timeout or a dropped connection: the first one's effect
happens once, and every retry gets the first response again (marked `Idempotent-Replayed:
true`). The key's row is written first, in the same transaction as the request's writes: a
request that fails leaves no key (the client may retry), two copies sent at the same moment
are serialised by the key's unique constraint (the second waits, then replays). The same key
with a different request is refused (422): that is a client bug, not a retry. Keys are scoped
to the credential (bearer token or session) and kept 24 hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from relais.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
API_PREFIX = "/api/"
MAX_STORED_BODY = 1024 * 1024


def _scope(request: HttpRequest) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return hashlib.sha256(authorization.encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return hashlib.sha256(f"session:{user.pk}".encode()).hexdigest()
    return None  # anonymous: the view refuses it anyway


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status or 200, content_type=stored.content_type
    )
    if stored.location:
        response["Location"] = stored.location
    response["Idempotent-Replayed"] = "true"
    return response


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method not in {"POST", "PATCH", "PUT"}
            or not request.path.startswith(API_PREFIX)
        ):
            return self.get_response(request)
        scope = _scope(request)
        if scope is None:
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > 255:
            return _error(
                400, _("The Idempotency-Key header takes 1 to 255 characters."), "bad_request"
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(scope=scope, key=key, fingerprint=fingerprint)
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)  # a failed request leaves nothing behind
                    return response
                if (
                    response.status_code >= 300
                    or response.streaming  # a body that cannot be kept cannot be replayed
                    or len(response.content) > MAX_STORED_BODY
                ):
                    # Refused (nothing to protect): the key stays free for a corrected retry.
                    row.delete()
                    return response
                row.status = response.status_code
                row.content_type = response.get("Content-Type", "")
                row.body = response.content
                row.location = response.get("Location", "")[:500]
                row.save(update_fields=["status", "content_type", "body", "location"])
                return response
        except IntegrityError:
            stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if stored is None or stored.status is None:
                return _error(
                    409, _("The same request is still being processed: retry later."), "conflict"
                )
        if stored.fingerprint != fingerprint:
            return _error(
                422,
                _("This Idempotency-Key was used for a different request."),
                "idempotency_key_reused",
            )
        return _replay(stored)
