"""The Relais API (django-ninja) at /api/v1: authentication, error shape and pagination
shared by every app's router."""

import functools
import logging
import math
import re
from typing import Annotated, Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from relais.core.ratelimit import ApiQuota

# A database id in a request body: a larger number is a clear 422, not a database error.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiError(HttpError):
    """An HTTP error with a stable machine-readable code."""

    def __init__(self, status_code: int, detail: str, code: str) -> None:
        super().__init__(status_code, detail)
        self.code = code


_QUERY_ALLOWLIST: list[tuple[re.Pattern[str], str, frozenset[str]]] = []


def query_allowlist() -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    """(path pattern, method, the query parameters it declares) for every API operation,
    read once from the OpenAPI schema (pagination's page/page_size included)."""
    if not _QUERY_ALLOWLIST:
        schema = api.get_openapi_schema()
        for path, operations in schema["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "/?$")
            for method, operation in operations.items():
                names = frozenset(
                    p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
                )
                _QUERY_ALLOWLIST.append((pattern, method.upper(), names))
        # A literal path (/assets/mine) wins over a template that also matches (/assets/{id}).
        _QUERY_ALLOWLIST.sort(key=lambda entry: entry[0].pattern.count("[^/]+"))
    return _QUERY_ALLOWLIST


def refuse_unknown_query_parameters(request: HttpRequest) -> None:
    """400 for a query parameter the operation does not declare (SECURITY.md B2): a filter,
    an ordering or a lookup such as `requester__password__startswith` is never passed through
    to a query, and never silently ignored either."""
    if not request.GET:
        return
    for pattern, method, names in query_allowlist():
        if method == request.method and pattern.match(request.path):
            unknown = sorted(set(request.GET) - names)
            if unknown:
                raise ApiError(400, "Unknown parameter: " + ", ".join(unknown[:10]), "bad_request")
            return


class TokenAuth(HttpBearer):
    """`Authorization: Bearer rls_…` personal tokens. Read tokens may only read."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from relais.accounts.choices import TokenScope
        from relais.accounts.services import token_authenticate

        api_token = token_authenticate(secret=token)
        if api_token is None:
            from relais.core.ratelimit import count_failed_token

            wait = count_failed_token(request)
            if wait is not None:
                raise Throttled(wait=wait)
            return None
        if request.method not in SAFE_METHODS and api_token.scope != TokenScope.WRITE:
            raise ApiError(403, "This token is read-only.", "token_read_only")
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        refuse_unknown_query_parameters(request)
        return api_token.user


class SessionCsrfAuth(SessionAuth):
    """The browser session, with Django's CSRF protection on unsafe methods."""

    def __call__(self, request: HttpRequest) -> Any:
        if "HTTP_AUTHORIZATION" in request.META:
            # A request that presents a token is judged on the token alone.
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS:
            reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
                request, lambda r: HttpResponse(), (), {}
            )
            if reason is not None:
                raise ApiError(403, "CSRF verification failed.", "csrf_failed")
        refuse_unknown_query_parameters(request)
        return user


def docs_access(view: Any) -> Any:
    """The schema and the interactive docs are for signed-in people and token holders."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        user = getattr(request, "user", None)
        from relais.core.permissions import is_active_user

        allowed = is_active_user(user)
        if not allowed and authorization.startswith("Bearer "):
            from relais.accounts.services import token_authenticate

            allowed = token_authenticate(secret=authorization[7:].strip()) is not None
        if not allowed:
            if request.path.endswith(".json") or authorization:
                return JsonResponse(
                    {"detail": "Authentication required.", "code": "not_authenticated"},
                    status=401,
                )
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


api = NinjaAPI(
    title="Relais API",
    version="1",
    description="Service desk, knowledge base, peer help, assets and service watch.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionCsrfAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=docs_access,
    throttle=[ApiQuota()],
)


class ErrorOut(Schema):
    detail: Any
    code: str


def error_response(
    request: HttpRequest, status: int, detail: Any, code: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status_code, exc.message, exc.code)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {
        400: "bad_request",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        412: "precondition_failed",
        413: "too_large",
        429: "throttled",
    }
    response = error_response(
        request, exc.status_code, exc.message, codes.get(exc.status_code, "error")
    )
    if isinstance(exc, Throttled) and exc.wait:
        response["Retry-After"] = str(math.ceil(exc.wait))
    return response


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(request, 401, "Authentication required.", "not_authenticated")
    response["WWW-Authenticate"] = 'Bearer realm="relais"'
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(part) for part in err.get("loc", [])], "msg": str(err.get("msg", ""))}
        for err in exc.errors
    ]
    return error_response(request, 422, "Invalid input.", "invalid", errors=errors)


@api.exception_handler(DjangoValidationError)
def on_domain_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": [field], "msg": str(message)}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"loc": [], "msg": str(message)} for message in exc.messages]
    return error_response(
        request, 400, errors[0]["msg"] if errors else "Invalid input.", "invalid", errors=errors
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "Not found.", "not_found")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, "You do not have permission to do this.", "permission_denied"
    )


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """A request over a parsing limit (files or fields in one multipart, a malformed body):
    the caller's error, a 400 that names the limit when there is one, as the HTML side."""
    from relais.core.views import too_many_parts

    logging.getLogger(f"django.security.{type(exc).__name__}").warning(
        "API request refused: %s", type(exc).__name__, extra={"path": request.path}
    )
    too_many = too_many_parts(exc)
    if too_many:
        return error_response(request, 400, too_many, "too_many_parts")
    return error_response(request, 400, "Bad request.", "bad_request")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    from relais.core.views import database_unavailable, unavailable_response

    if database_unavailable(exc):
        logger.warning(
            "API request failed: database unavailable: %s",
            type(exc).__name__,
            extra={"path": request.path},
        )
        return unavailable_response(request)
    logger.exception("unhandled API error", extra={"path": request.path})
    return error_response(request, 500, "Internal error.", "server_error")


class Page(PaginationBase):
    """`?page=N&page_size=M` (M ≤ API_PAGE_SIZE_MAX) → {count, page, page_size, items}."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int = Field(settings.API_PAGE_SIZE_DEFAULT, ge=1, le=settings.API_PAGE_SIZE_MAX)

    class Output(Schema):
        count: int
        page: int
        page_size: int
        items: list[Any]

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "count": queryset.count(),
            "page": pagination.page,
            "page_size": pagination.page_size,
            "items": list(queryset[offset : offset + pagination.page_size]),
        }


def register_routers() -> None:
    from relais.accounts.api import router as accounts_router
    from relais.assets.api import router as assets_router
    from relais.community.api import router as community_router
    from relais.kb.api import router as kb_router
    from relais.mail.api import router as mail_router
    from relais.monitoring.api import router as monitoring_router
    from relais.reports.api import router as reports_router
    from relais.search.api import router as search_router
    from relais.tickets.api import router as tickets_router

    api.add_router("/", accounts_router)
    api.add_router("/", tickets_router)
    api.add_router("/", search_router)
    api.add_router("/", kb_router)
    api.add_router("/", community_router)
    api.add_router("/", mail_router)
    api.add_router("/", assets_router)
    api.add_router("/", monitoring_router)
    api.add_router("/", reports_router)


register_routers()
