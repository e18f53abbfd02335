"""SECURITY.md F2, the parts tests/accounts/test_login.py does not hold: the absolute session
timeout, and a password change ending the person's other sessions (but not their API tokens:
docs/security.md, F2)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import TokenScope
from relais.accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from relais.accounts.services import token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_absolute_timeout_ends_a_busy_session(collaborator):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 10 * 3600  # RELAIS_SESSION_ABSOLUTE_HOURS
    client = signed_in(collaborator)
    assert client.get(HOME).status_code == 200
    session = client.session
    # Active a minute ago (the idle clock is fine), signed in just over ten hours ago.
    session[SESSION_AUTH_AT] -= settings.SESSION_ABSOLUTE_TIMEOUT + 1
    session[SESSION_SEEN_AT] -= 60
    session.save()

    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.get("/api/v1/me").status_code == 401  # the session is gone for the API too


def test_a_session_just_inside_the_absolute_timeout_is_kept(collaborator):
    client = signed_in(collaborator)
    assert client.get(HOME).status_code == 200
    session = client.session
    session[SESSION_AUTH_AT] -= settings.SESSION_ABSOLUTE_TIMEOUT - 120
    session.save()
    assert client.get(HOME).status_code == 200


def test_password_change_ends_the_other_sessions_and_keeps_this_one_and_the_tokens(
    collaborator,
):
    laptop, phone = signed_in(collaborator), signed_in(collaborator)
    token = token_create(user=collaborator, name="script", scope=TokenScope.READ).secret
    assert phone.get(HOME).status_code == 200

    response = laptop.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Une autre phrase de passe 2026 !",
            "new_password2": "Une autre phrase de passe 2026 !",
        },
    )
    assert response.status_code == 302

    assert laptop.get(HOME).status_code == 200  # the session that changed it goes on
    refused = phone.get(HOME)
    assert refused.status_code == 302
    assert refused["Location"].startswith(LOGIN)
    assert phone.get("/api/v1/me").status_code == 401
    # Personal API tokens are revoked one by one on the profile page, not by a password change.
    me = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me")
    assert me.status_code == 200
