"""Header trust (SECURITY.md F6): identity headers a client sends never sign anyone in, and
forwarded headers (client address, scheme) count only when they come from a trusted proxy:
from any other peer they change neither the address in the security log and the rate-limit
key, nor the scheme."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
OUTSIDER = "198.51.100.66"
FORGED = "203.0.113.99"


def _identity_headers(email: str) -> dict[str, str]:
    """Each way a front-end proxy could pass a user name (and the WSGI variable itself)."""
    return {
        "REMOTE_USER": email,
        "HTTP_REMOTE_USER": email,
        "HTTP_X_REMOTE_USER": email,
        "HTTP_X_FORWARDED_USER": email,
        "HTTP_X_AUTH_USER": email,
        "HTTP_X_AUTHENTICATED_USER": email,
        "HTTP_X_USER": email,
        "HTTP_X_FORWARDED_EMAIL": email,
        "HTTP_X_AUTH_REQUEST_USER": email,
        "HTTP_X_AUTH_REQUEST_EMAIL": email,
    }


@pytest.fixture
def behind_a_proxy(settings: Any) -> None:
    settings.RELAIS_PROXY_COUNT = 1
    settings.RELAIS_TRUSTED_PROXIES = [ipaddress.ip_network(PROXY)]


@pytest.mark.parametrize("peer", [OUTSIDER, PROXY])
def test_identity_headers_never_sign_anyone_in(behind_a_proxy, admin_user, collaborator, peer):  # type: ignore[no-untyped-def]
    forged = _identity_headers(admin_user.email)
    anonymous = Client(REMOTE_ADDR=peer, **forged)
    assert anonymous.get(reverse("tickets:queue")).status_code == 302  # to the login page
    assert anonymous.get(reverse("accounts:user_list")).status_code == 302
    api = anonymous.get("/api/v1/me")
    assert api.status_code == 401 and api.json()["code"] == "not_authenticated"
    assert anonymous.get("/api/v1/tickets").status_code == 401
    # A signed-in collaborator stays themselves, whatever they claim.
    browser = client_for(collaborator)
    browser.defaults.update(REMOTE_ADDR=peer, **forged)
    assert browser.get(reverse("tickets:queue")).status_code in {403, 404}
    assert browser.get("/api/v1/me").json()["email"] == collaborator.email
    assert not AuditLogEntry.objects.filter(actor=admin_user).exists()


def _failed_login(peer: str, forwarded_for: str, email: str) -> str | None:
    Client(REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for).post(
        reverse("accounts:login"), {"username": email, "password": "wrong"}
    )
    entry = AuditLogEntry.objects.filter(action=AuditAction.LOGIN_FAILURE).latest("id")
    return entry.ip_address


def test_forwarded_for_counts_only_from_the_trusted_proxy(behind_a_proxy, settings, agent):  # type: ignore[no-untyped-def]
    # Security log: the peer's own address, unless the peer is our proxy.
    assert _failed_login(OUTSIDER, FORGED, agent.email) == OUTSIDER
    assert _failed_login(PROXY, FORGED, agent.email) == FORGED
    # Rate-limit key: an outsider cannot spread its requests over forged addresses…
    settings.RELAIS_ANONYMOUS_RATE = "2/min"
    login = reverse("accounts:login")
    statuses = [
        Client(REMOTE_ADDR="198.51.100.67", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        .get(login)
        .status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    # … while behind the proxy each client has its own quota.
    statuses = [
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").get(login).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 200]


def test_forwarded_proto_counts_only_from_the_trusted_proxy(behind_a_proxy, settings):  # type: ignore[no-untyped-def]
    """With the production settings (HTTPS redirect, SECURE_PROXY_SSL_HEADER): a request the
    proxy says came over HTTPS is served; the same claim from another peer is redirected."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    login = reverse("accounts:login")
    outsider = Client(REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_PROTO="https").get(login)
    assert outsider.status_code == 301 and outsider["Location"].startswith("https://")
    proxied = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https").get(login)
    assert proxied.status_code == 200


def test_without_a_proxy_count_forwarded_headers_are_ignored_even_from_loopback(settings, agent):  # type: ignore[no-untyped-def]
    settings.RELAIS_PROXY_COUNT = 0
    assert _failed_login("127.0.0.1", FORGED, agent.email) == "127.0.0.1"
