from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
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
