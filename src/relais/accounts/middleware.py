from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

SESSION_AUTH_AT = "_relais_auth_at"
SESSION_SEEN_AT = "_relais_seen_at"
# The idle clock is written at most this often to keep session writes rare.
SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    """Ends a signed-in session after the idle timeout and after the absolute timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            auth_at = session.setdefault(SESSION_AUTH_AT, now)
            seen_at = session.get(SESSION_SEEN_AT, now)
            if (
                now - seen_at > settings.SESSION_IDLE_TIMEOUT
                or now - auth_at > settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
            elif now - seen_at >= SEEN_RESOLUTION or SESSION_SEEN_AT not in session:
                session[SESSION_SEEN_AT] = now
        return self.get_response(request)


class UserLanguageMiddleware:
    """Chooses the interface language: the signed-in person's profile, else the language
    cookie set by the switcher, else French. The browser's Accept-Language is deliberately
    ignored: Relais is French first, English is a choice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        available = {code for code, _name in settings.LANGUAGES}
        language = (
            getattr(request.user, "language", None) if request.user.is_authenticated else None
        )
        if language not in available:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# What a signed-in person who still owes their second factor may reach.
SECOND_FACTOR_OPEN = (
    "accounts:otp_verify",
    "accounts:otp_setup",
    "accounts:logout",
    "accounts:language",
    "accounts:login",
    "accounts:oidc_login",
    "accounts:oidc_callback",
)


def second_factor_verified(user: object) -> bool:
    """Whether this session's person gave a second factor (set by django-otp's middleware)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


class SecondFactorMiddleware:
    """When RELAIS_OTP_REQUIRED is on, agents, supervisors and administrators (local
    break-glass accounts too) reach nothing but the second-factor pages until they have given
    a code in this session (django-otp's OTPMiddleware tells whether they have)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.open_paths: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if settings.OTP_REQUIRED and user.is_authenticated and not second_factor_verified(user):
            from relais.accounts import services

            if services.otp_required_for(user):
                if self.open_paths is None:
                    self.open_paths = {reverse(name) for name in SECOND_FACTOR_OPEN}
                static = settings.STATIC_URL or "/static/"
                if request.path not in self.open_paths and not request.path.startswith(static):
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": "Second factor required: sign in again in the browser."},
                            status=403,
                        )
                    target = (
                        "accounts:otp_verify"
                        if services.otp_has_device(user=user)
                        else "accounts:otp_setup"
                    )
                    return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)
