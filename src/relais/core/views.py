from __future__ import annotations

import hmac
import logging
import sys
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError, connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from relais.core import metrics, services
from relais.core.choices import OutboxStatus
from relais.core.permissions import deny, outbox_policy

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


# The axe-core release the browser tests run (tests/e2e/test_accessibility.py checks that this
# is the one installed, so the statement never names a tool that was not used).
AXE_CORE_VERSION = "4.12.1"
STATEMENT_DATE = date(2026, 11, 29)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The RGAA accessibility statement: public, like the law asks, and linked from the
    footer of every page."""
    return render(
        request,
        "core/accessibility.html",
        {
            "axe_core_version": AXE_CORE_VERSION,
            "statement_date": STATEMENT_DATE,
            "contact": settings.ACCESSIBILITY_CONTACT,
        },
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """The database and the task queue are reachable: this node can take traffic."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("readiness: database unreachable")
        checks["database"] = "error"
        release_broken_connections()
    try:
        from huey.contrib.djhuey import HUEY

        HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception:
        logger.exception("readiness: queue unreachable")
        checks["queue"] = "error"
    # Without the database nothing works: take this node out of the load balancer. Without
    # the queue pages are still served and work waits in the outbox table: degraded, ready.
    if checks["database"] != "ok":
        return JsonResponse({"status": "error", "checks": checks}, status=503)
    status = "ok" if checks["queue"] == "ok" else "degraded"
    return JsonResponse({"status": status, "checks": checks})


def _metrics_allowed(request: HttpRequest) -> bool:
    if settings.METRICS_TOKEN:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        expected = f"Bearer {settings.METRICS_TOKEN}"
        return hmac.compare_digest(header.encode(), expected.encode())
    user = request.user
    if user.is_authenticated and getattr(user, "is_admin", False):
        return True
    # Embedded mode without a token: the scraper on the same machine only.
    return not settings.PRODUCTION and request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        return HttpResponse(status=404)
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


@login_required
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    if not outbox_policy.can(request.user, "list"):
        deny(request.user)
    status = request.GET.get("status", OutboxStatus.DEAD)
    if status not in OutboxStatus.values:
        status = OutboxStatus.DEAD
    qs = outbox_policy.scope(request.user).filter(status=status).order_by("-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "status": status,
        "statuses": OutboxStatus.choices,
    }
    return render(request, "core/outbox_list.html", context)


@login_required
@require_POST
def outbox_requeue(request: HttpRequest, message_id: int) -> HttpResponse:
    if not outbox_policy.can(request.user, "requeue"):
        deny(request.user)
    message = get_object_or_404(outbox_policy.scope(request.user), pk=message_id)
    services.outbox_requeue(message=message, actor=request.user, request=request)  # type: ignore[arg-type]
    from django.contrib import messages

    messages.success(request, _("The message was sent back for delivery."))
    return redirect("core:outbox")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return render(request, "errors/404.html", status=404)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "You do not have permission to do this.", "code": "permission_denied"},
            status=403,
        )
    return render(request, "errors/403.html", status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    too_many = too_many_parts(exception)
    if _wants_json(request):
        if too_many:
            return JsonResponse({"detail": too_many, "code": "too_many_parts"}, status=400)
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return render(request, "errors/400.html", {"too_many": too_many}, status=400)


def too_many_parts(exception: Exception | None) -> str:
    """The limit a form went over (files or fields in one request), said plainly; ''."""
    if isinstance(exception, TooManyFilesSent):
        return _("Too many files in one request: at most %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(exception, TooManyFieldsSent):
        return _("Too many fields in one request: at most %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    return ""


def error_500(request: HttpRequest) -> HttpResponse:
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if _wants_json(request):
        return JsonResponse({"detail": "Internal error.", "code": "server_error"}, status=500)
    return render(request, "errors/500.html", status=500)


# Seconds a client should wait before retrying a request the database could not serve.
UNAVAILABLE_RETRY_AFTER = 10


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover,
    a network cut), or refused to wait (lock or statement timeout): the request may succeed
    if retried, so it is a 503, not a bug."""
    return isinstance(exc, (OperationalError, InterfaceError))


def release_broken_connections() -> None:
    """Close the database connections that no longer work, so that the next request opens a
    fresh one instead of failing on the dead one (Django does it at the next request's start
    too, but not every caller goes through a request cycle)."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.is_usable():
            conn.close()


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, rendered without touching the database (no session, no user,
    no context processors). The request's transaction was rolled back: nothing happened, and
    an API client may resend it with the same Idempotency-Key."""
    release_broken_connections()
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse(
            {
                "detail": "The service is temporarily unavailable; retry shortly.",
                "code": "unavailable",
            },
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "CSRF verification failed.", "code": "csrf_failed"}, status=403
        )
    return render(request, "errors/403_csrf.html", status=403)
