"""Logging in and out, throttling, sessions and password reset."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def login(client: Client, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def test_login_page_is_french_by_default():
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Se connecter à Relais" in html or "Connexion" in html
    assert "Adresse e-mail" in html


def test_login_rotates_the_session_and_lands_on_home(collaborator, password):
    client = Client()
    client.get(LOGIN)
    client.cookies[settings.SESSION_COOKIE_NAME] = "attacker-chosen-session-id"
    response = login(client, collaborator.email, password)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != "attacker-chosen-session-id"
    assert client.get(reverse("core:home")).status_code == 200
    assert (
        AuditLogEntry.objects.filter(action=AuditAction.LOGIN_SUCCESS, actor=collaborator).count()
        == 1
    )


def test_email_login_is_case_insensitive(collaborator, password):
    assert login(Client(), collaborator.email.upper(), password).status_code == 302


@pytest.mark.parametrize(
    "next_url", ["https://evil.example", "//evil.example", "/\\evil.example", "https:evil.example"]
)
def test_login_never_redirects_off_site(collaborator, password, next_url):
    response = login(Client(), collaborator.email, password, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_wrong_password_gets_a_clear_french_message_and_is_audited(collaborator):
    response = login(Client(), collaborator.email, "wrong-password")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()
    entry = AuditLogEntry.objects.get(action=AuditAction.LOGIN_FAILURE)
    assert entry.actor_label == collaborator.email
    assert "wrong-password" not in str(entry.changes)


def test_ten_failures_lock_the_account_with_a_french_message_and_log_it(collaborator, password):
    client = Client()
    for _ in range(9):
        assert login(client, collaborator.email, "wrong").status_code == 200
    locked = login(client, collaborator.email, "wrong")
    assert locked.status_code == 429
    assert "ce compte est verrouillé" in locked.content.decode()
    # Even the right password is refused while locked, from any address.
    again = login(Client(REMOTE_ADDR="10.1.2.3"), collaborator.email, password)
    assert again.status_code == 429
    assert AuditLogEntry.objects.filter(action=AuditAction.LOGIN_LOCKOUT).exists()


def test_unknown_and_known_accounts_get_the_same_answer(collaborator):
    known = login(Client(), collaborator.email, "wrong").content.decode()
    unknown = login(Client(), "nobody@relais.test", "wrong").content.decode()
    strip = lambda html: re.sub(r'(value|nonce)="[^"]*"', "", html)  # noqa: E731 (CSRF, nonce, echoed e-mail)
    assert strip(known) == strip(unknown)


def test_inactive_user_is_refused(collaborator, password):
    collaborator.is_active = False
    collaborator.save()
    response = login(Client(), collaborator.email, password)
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_logout_requires_post_and_kills_the_session(collaborator):
    client = client_for(collaborator)
    assert client.get(reverse("accounts:logout")).status_code == 405
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("accounts:logout")).status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert replay.get(reverse("core:home")).status_code == 302


def test_deactivation_ends_open_sessions_at_once(collaborator, admin_user):
    from relais.accounts.services import user_deactivate

    client = client_for(collaborator)
    assert client.get(reverse("core:home")).status_code == 200
    user_deactivate(user=collaborator, actor=admin_user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_idle_session_expires(collaborator, settings):
    from relais.accounts.middleware import SESSION_SEEN_AT

    client = client_for(collaborator)
    assert client.get(reverse("core:home")).status_code == 200
    session = client.session
    session[SESSION_SEEN_AT] -= settings.SESSION_IDLE_TIMEOUT + 1
    session.save()
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_session_cookie_flags(collaborator, password):
    client = Client()
    login(client, collaborator.email, password)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_password_reset_sends_a_link_to_the_configured_site_through_the_outbox(
    collaborator, smtp_server, django_capture_on_commit_callbacks, password
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(HTTP_HOST="127.0.0.1").post(
            reverse("accounts:password_reset"),
            {"email": collaborator.email},
            HTTP_X_FORWARDED_HOST="evil.example",
        )
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_content()
    link = re.search(r"http://127\.0\.0\.1:8000(/mot-de-passe/reinitialiser/\S+/)", body)
    assert link, body
    assert "evil.example" not in body

    client = Client()
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Un-nouveau-mot-2026", "new_password2": "Un-nouveau-mot-2026"},
    )
    assert done.status_code == 302
    assert login(Client(), collaborator.email, "Un-nouveau-mot-2026").status_code == 302
    assert login(Client(), collaborator.email, password).status_code == 200


def test_password_reset_for_unknown_address_looks_the_same_and_sends_nothing(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("accounts:password_reset"), {"email": "nobody@relais.test"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert smtp_server.messages == []


def test_an_address_stored_with_capitals_is_found_through_the_index(collaborator, password):
    from django.db import connection

    from relais.accounts.models import User

    User.objects.filter(pk=collaborator.pk).update(email="Camille.Martin@Relais.TEST")
    assert User.objects.with_email(" camille.martin@relais.test ").get() == collaborator
    assert login(Client(), "CAMILLE.martin@relais.test", password).status_code == 302
    if connection.vendor == "sqlite":  # PostgreSQL's planner prefers a scan on tiny tables
        plan = User.objects.with_email("camille.martin@relais.test").explain()
        assert "USING INDEX user_email_ci_unique" in plan
