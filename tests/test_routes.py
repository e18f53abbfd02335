"""Every route refuses anonymous visitors — a redirect to the login page for HTML, 401 JSON
for the API — except the public allow-list (SECURITY.md A1). A new route is covered as soon
as it exists: the list is read from the URL resolver and the API schema."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from relais.core.api import api

PUBLIC = {
    "/connexion/",
    "/mot-de-passe/oubli/",
    "/mot-de-passe/oubli/envoye/",
    "/mot-de-passe/reinitialise/",
    "/mot-de-passe/reinitialiser/x/x/",
    "/langue/",
    "/healthz",
    "/readyz",
    "/deconnexion/",
    "/accessibilite/",  # the RGAA accessibility statement (public, like the law asks)
    # Service watch: the public status page, its JSON, e-mail subscriptions (token links)
    # and the heartbeat URLs that scheduled jobs call with their secret token.
    "/veille/statut-public/",
    "/veille/statut-public.json",
    "/veille/statut-public/abonnement/",
    "/veille/abonnement/x/confirmer/",
    "/veille/abonnement/x/desabonner/",
    "/veille/ping/x",
    # Single sign-on: the start of the provider round trip and its return (404 when off).
    "/connexion/sso/",
    "/connexion/sso/retour/",
}
# Answers 404 to anyone not allowed (it must not even reveal that it exists).
HIDDEN = {"/metrics"}


def html_paths() -> list[str]:
    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:  # type: ignore[type-arg]
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("api/", "django-admin/")):
                    continue
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                path = "/" + prefix + route
                path = re.sub(r"<int:[^>]+>", "1", path)
                path = re.sub(r"<str:[^>]+>|<[^>]+>", "x", path)
                paths.append(path.replace("^", "").replace("$", ""))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        operations += [(method.upper(), concrete) for method in methods]
    return operations


@pytest.mark.django_db
def test_html_routes_send_anonymous_visitors_to_the_login_page():
    client = Client(REMOTE_ADDR="192.0.2.10")  # not loopback: /metrics is hidden from it
    checked = 0
    for path in html_paths():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code != 500, f"{method.upper()} {path}"
            if path in PUBLIC:
                continue
            if path in HIDDEN:
                assert response.status_code in {404, 405}, path
                assert method == "post" or response.status_code == 404, path
                continue
            if response.status_code == 405:
                continue
            assert response.status_code == 302, f"{method.upper()} {path}: {response.status_code}"
            assert response["Location"].startswith("/connexion/?next="), path
            checked += 1
    assert checked >= 30


@pytest.mark.django_db
def test_api_operations_answer_401_json_to_anonymous_callers():
    client = Client()
    operations = api_operations()
    assert len(operations) >= 15
    for method, path in operations:
        response = client.generic(method, path, data="{}", content_type="application/json")
        assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_django_admin_is_for_administrators_only(agent, admin_user):
    from tests.conftest import client_for

    assert Client().get("/django-admin/").status_code == 302
    assert client_for(agent).get("/django-admin/").status_code == 302
    assert client_for(admin_user).get("/django-admin/").status_code == 200
