"""OIDC single sign-on against a small provider started here (tests/oidc_provider.py), over
real HTTP: code flow with PKCE, RS256 ID token checked (signature, audience, issuer, nonce),
claims mapped like a directory entry."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.accounts.services import user_create, user_deactivate
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")
JEROME = {
    "sub": "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc",
    "preferred_username": "jdupont",
    "email": "jerome.dupont@relais.test",
    "name": "Jérôme Dupont-Lefèvre",
    "department": "Direction de la clientèle",
    "office_location": "Agence de Nîmes",
    "groups": ["11111111-grp-support"],
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    server = Provider()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def oidc(provider: Provider, settings: Any) -> Provider:
    provider.issuer = provider.base
    provider.audience = CLIENT_ID
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ISSUER = provider.base
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.base}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.base}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.base}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.base}/jwks"
    settings.OIDC_ROLE_GROUPS = {"admin": [], "supervisor": [], "agent": ["11111111-grp-support"]}
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "relais.accounts.oidc.OidcBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return provider


def provider_get(url: str) -> tuple[int, str]:
    """A browser's visit to the provider's page (which signs in the chosen person at once):
    its status and Location, over real HTTP."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        return response.status, response.getheader("Location") or ""
    finally:
        connection.close()


def sso(client: Client, next_url: str = "") -> Any:
    """The browser's round trip: Relais → provider (real HTTP) → Relais' callback."""
    start = client.get(reverse("accounts:oidc_login") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    status, callback = provider_get(start["Location"])
    assert status == 302
    assert callback.startswith("http://testserver/connexion/sso/retour/?")
    return client.get(callback.removeprefix("http://testserver"))


def test_the_login_page_offers_single_sign_on(oidc):
    html = Client().get(reverse("accounts:login")).content.decode()
    assert "Se connecter avec mon compte de l’organisation" in html


def test_single_sign_on_creates_and_maps_the_person(oidc):
    oidc.sign_in_as(**JEROME)
    client = Client()
    response = sso(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(directory_login="jdupont")
    assert user.email == "jerome.dupont@relais.test"
    assert user.display_name == "Jérôme Dupont-Lefèvre"
    assert user.org_unit is not None and user.org_unit.name == "Direction de la clientèle"
    assert user.site is not None and user.site.name == "Agence de Nîmes"
    assert user.role == Role.AGENT
    assert not user.has_usable_password()
    assert client.get(HOME).status_code == 200


def test_missing_claims_keep_what_relais_knows(oidc):
    oidc.sign_in_as(**JEROME)
    sso(Client())
    oidc.sign_in_as(**{k: v for k, v in JEROME.items() if k not in {"department", "name"}})
    sso(Client())
    user = User.objects.get(directory_login="jdupont")
    assert user.display_name == "Jérôme Dupont-Lefèvre"
    assert user.org_unit is not None


@pytest.mark.parametrize("wrong", ["audience", "issuer"])
def test_a_token_for_another_client_or_from_another_issuer_is_refused(oidc, wrong):
    if wrong == "audience":
        oidc.audience = "some-other-application"
    else:
        oidc.issuer = "https://login.evil.example/"
    oidc.sign_in_as(**JEROME)
    client = Client()
    response = sso(client)
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?sso=echec"
    assert not User.objects.filter(directory_login="jdupont").exists()
    assert client.get(HOME).status_code == 302


def test_a_forged_state_is_refused(oidc):
    oidc.sign_in_as(**JEROME)
    client = Client()
    start = client.get(reverse("accounts:oidc_login"))
    _status, callback = provider_get(start["Location"])
    forged = callback.replace("state=", "state=x")
    response = client.get(forged.removeprefix("http://testserver"))
    assert response.status_code in (302, 400)
    assert not User.objects.filter(directory_login="jdupont").exists()


def test_a_deactivated_person_cannot_sign_in_again(oidc):
    oidc.sign_in_as(**JEROME)
    sso(Client())
    user_deactivate(user=User.objects.get(directory_login="jdupont"), actor=None)
    client = Client()
    assert sso(client)["Location"] == "/connexion/?sso=echec"
    assert client.get(HOME).status_code == 302


def test_a_local_account_with_a_password_is_not_taken_over(oidc):
    local = user_create(
        email="jerome.dupont@relais.test", role=Role.ADMIN, password="Local-Admin-2024!"
    )
    oidc.sign_in_as(**JEROME)
    assert sso(Client())["Location"] == "/connexion/?sso=echec"
    local.refresh_from_db()
    assert local.directory_login is None and local.role == Role.ADMIN


def test_a_person_brought_in_by_the_directory_signs_in_to_the_same_account(oidc):
    synced = user_create(email="jerome.dupont@relais.test", display_name="Jérôme Dupont")
    User.objects.filter(pk=synced.pk).update(directory_login="jdupont", directory_dn="uid=x")
    oidc.sign_in_as(**{**JEROME, "preferred_username": "jerome.dupont@office.example.fr"})
    client = Client()
    assert sso(client)["Location"] == "/"
    synced.refresh_from_db()
    assert synced.directory_login == "jdupont"
    assert synced.directory_dn == "uid=x"
    assert User.objects.filter(email__iexact="jerome.dupont@relais.test").count() == 1
    assert client.get(HOME).status_code == 200
