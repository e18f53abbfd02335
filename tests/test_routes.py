"""The route inventory (SECURITY.md A1): every URL pattern and every API operation is declared
in tests/permissions/routes.yaml with the roles allowed per HTTP method, and each role gets
what the registry says.

- a route or operation missing from the registry (or a registry entry without a route) fails;
- anonymous visitors are sent to the login page (HTML) or get 401 (API), except the public
  allow-list (the entries whose roles are `public`);
- for every route × role × method, one request with ids that exist (tests/route_world.py): a
  role the registry does not allow gets 403 or 404, an allowed one gets neither (nor 405).

Regenerate a draft of the registry after adding routes with
`RELAIS_ROUTES_RECORD=/tmp/routes.yaml pytest tests/test_routes.py -k registry_says`, then
review every line of the difference before copying it over."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from relais.accounts.choices import Role, TokenScope
from relais.core.api import api
from tests import route_world
from tests.conftest import client_for

REGISTRY_PATH = Path(__file__).parent / "permissions" / "routes.yaml"
REGISTRY: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(REGISTRY_PATH.read_text())
ROLES = [Role.COLLABORATOR, Role.AGENT, Role.SUPERVISOR, Role.ADMIN]


def matrix_roles() -> list[str]:
    """The roles the route × role × method sweep plays: the four on SQLite; on PostgreSQL
    (the second half of `make test`; the answers depend on the code, not the engine) the two
    ends of the scale, a requester and an administrator. RELAIS_ROUTES_ROLES=all: the four."""
    if os.environ.get("RELAIS_ROUTES_ROLES") == "all" or connection.vendor == "sqlite":
        return list(ROLES)
    return [Role.COLLABORATOR, Role.ADMIN]


PUBLIC = "public"  # anyone, signed in or not
# Answers 404 to anyone not allowed (it must not even reveal that it exists).
HIDDEN = "hidden"
# Routes that answer 404, not a redirect to the login page, to anonymous visitors: /metrics
# (administrators, the loopback address or the metrics token only).
HIDDEN_FROM_ANONYMOUS = {"/metrics"}
# A remote prober's own token, never a person's (401 with a personal token).
PROBER = "prober"
# The body is validated before the role is checked: the app's object matrix proves the gate.
MATRIX = "matrix"
SPECS = ("all", "none", PUBLIC, HIDDEN, PROBER, MATRIX)
HTML_METHODS = ("GET", "POST")


def html_routes() -> dict[str, str]:
    """{route pattern: URL name} for every HTML route (the API and Django's admin apart)."""
    routes: dict[str, str] = {}

    def walk(patterns: list, prefix: str, namespace: str) -> None:  # type: ignore[type-arg]
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("api/", "django-admin/")):
                    continue
                walk(entry.url_patterns, prefix + route, entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                routes["/" + prefix + route] = f"{namespace}:{entry.name}"

    walk(get_resolver().url_patterns, "", "")
    return routes


def api_operations() -> dict[str, list[str]]:
    """{path template: [methods]} from the OpenAPI schema."""
    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    return {
        path.removeprefix(prefix) or "/": sorted(m.upper() for m in methods)
        for path, methods in schema["paths"].items()
    }


def roles_of(spec: Any) -> set[str]:
    if spec == "all" or spec == PUBLIC:
        return set(ROLES)
    if spec in ("none", HIDDEN, PROBER, MATRIX, None):
        return set()
    return set(spec)


def concrete(route: str, name: str, params: dict[str, Any], user: Any) -> str:
    def html_value(match: re.Match[str]) -> str:
        return route_world.value_for(params, name, match.group(1), user)

    if route.startswith("/api/"):
        return re.sub(r"\{([^}]+)\}", html_value, route)
    return re.sub(r"<(?:[a-z]+:)?([a-z_0-9]+)>", html_value, route)


def anonymous_path(route: str) -> str:
    path = re.sub(r"<int:[^>]+>", "1", route)
    return re.sub(r"<[^>]+>", "x", path)


def test_every_route_and_operation_is_registered():
    html = html_routes()
    registered = REGISTRY["html"]
    assert sorted(set(html) - set(registered)) == [], "routes missing from routes.yaml"
    assert sorted(set(registered) - set(html)) == [], "routes.yaml entries without a route"
    operations = api_operations()
    declared = REGISTRY["api"]
    assert sorted(set(operations) - set(declared)) == [], "API paths missing from routes.yaml"
    assert sorted(set(declared) - set(operations)) == [], "routes.yaml API paths without a route"
    for path, methods in operations.items():
        assert sorted(declared[path]) == methods, f"methods of {path}"
    for section in ("html", "api"):
        for path, by_method in REGISTRY[section].items():
            for method, spec in by_method.items():
                assert spec in SPECS or set(spec) <= set(ROLES), (
                    f"{section} {method} {path}: unknown role in {spec!r}"
                )


@pytest.mark.django_db
def test_html_routes_send_anonymous_visitors_to_the_login_page():
    client = Client(REMOTE_ADDR="192.0.2.10")  # not loopback: /metrics is hidden from it
    checked = 0
    for route, by_method in REGISTRY["html"].items():
        path = anonymous_path(route)
        for method in HTML_METHODS:
            response = getattr(client, method.lower())(path)
            spec = by_method.get(method)
            assert response.status_code < 500, f"{method} {path}"
            if spec == PUBLIC:
                continue
            if spec == HIDDEN or route in HIDDEN_FROM_ANONYMOUS:
                assert response.status_code in {404, 405}, f"{method} {path}"
                continue
            if spec is None and response.status_code == 405:
                continue
            assert response.status_code == 302, f"{method} {path}: {response.status_code}"
            assert response["Location"].startswith("/connexion/?next="), path
            checked += 1
    assert checked >= 100


@pytest.mark.django_db
def test_api_operations_answer_401_json_to_anonymous_callers():
    client = Client()
    checked = 0
    for path, by_method in REGISTRY["api"].items():
        concrete_path = "/api/v1" + re.sub(r"\{[^}]+\}", "1", path)
        for method, spec in by_method.items():
            response = client.generic(
                method, concrete_path, data="{}", content_type="application/json"
            )
            if spec == PUBLIC:
                assert response.status_code < 500, f"{method} {path}"
                continue
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.json()["code"] == "not_authenticated"
            checked += 1
    assert checked >= 100


def _request(client: Client, method: str, path: str, api_call: bool) -> int:
    sid = transaction.savepoint()
    try:
        if api_call:
            response = client.generic(method, path, data="{}", content_type="application/json")
        else:
            response = getattr(client, method.lower())(path)
        return response.status_code
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.django_db
def test_each_role_gets_what_the_registry_says(settings):
    """One request per route × role × method, with objects that exist."""
    people, params = route_world.build(settings)
    html_names = html_routes()
    roles = matrix_roles()

    def signed_in(user: Any) -> Client:
        client = client_for(user)
        client.raise_request_exception = False  # a 500 is a finding, not a crash of the test
        client.defaults["REMOTE_ADDR"] = "192.0.2.10"  # not loopback: /metrics is hidden
        return client

    sessions = {role: signed_in(user) for role, user in people.items()}
    cookies = {role: client.cookies.output() for role, client in sessions.items()}
    tokens = {
        role: route_world.token_create(user=user, name="routes", scope=TokenScope.WRITE).secret
        for role, user in people.items()
    }
    record: dict[str, dict[str, dict[str, Any]]] = {"html": {}, "api": {}}
    failures: list[str] = []
    calls = 0

    def session(role: str) -> Client:
        # A request that ends the session (logout, erasure) must not spoil the next one.
        client = sessions[role]
        if client.cookies.output() != cookies[role]:
            sessions[role] = client = signed_in(people[role])
            cookies[role] = client.cookies.output()
        return client

    def judge(section: str, route: str, method: str, role: str, status: int) -> None:
        spec = REGISTRY[section].get(route, {}).get(method)
        allowed = role in roles_of(spec)
        record[section].setdefault(route, {}).setdefault(method, {})[str(role)] = status
        if status >= 500:
            failures.append(f"{method} {route} as {role}: {status}")
        elif spec == PUBLIC:
            return  # public pages keyed by a secret token, or a feature that is off, say 404
        elif spec == MATRIX:
            if status in {401, 405}:
                failures.append(f"{method} {route} as {role}: {status}")
        elif spec == PROBER:
            if status != 401:
                failures.append(f"{method} {route} as {role}: {status}, expected 401")
        elif allowed and status in {401, 403, 404, 405}:
            failures.append(f"{method} {route} as {role}: {status}, the registry allows it")
        elif not allowed and status not in {403, 404}:
            failures.append(f"{method} {route} as {role}: {status}, expected 403 or 404")

    for route, by_method in REGISTRY["html"].items():
        name = html_names.get(route, "")
        for method in HTML_METHODS:
            if method not in by_method:
                # Not offered: the admin gets 405 (or the public page ignores the method).
                if route not in HIDDEN_FROM_ANONYMOUS:
                    path = concrete(route, name, params, people[Role.ADMIN])
                    status = _request(session(Role.ADMIN), method, path, api_call=False)
                    calls += 1
                    record["html"].setdefault(route, {}).setdefault(method, {})["admin"] = status
                    if status != 405 and not os.environ.get("RELAIS_ROUTES_RECORD"):
                        failures.append(f"{method} {route}: {status}, not in the registry")
                continue
            for role in roles:
                path = concrete(route, name, params, people[role])
                status = _request(session(role), method, path, api_call=False)
                calls += 1
                judge("html", route, method, role, status)
    for route, by_method in REGISTRY["api"].items():
        for method in by_method:
            for role in roles:
                path = concrete("/api/v1" + route, "/api/v1" + route, params, people[role])
                client = Client(
                    HTTP_AUTHORIZATION=f"Bearer {tokens[role]}", raise_request_exception=False
                )
                status = _request(client, method, path, api_call=True)
                calls += 1
                judge("api", route, method, role, status)
    if os.environ.get("RELAIS_ROUTES_RECORD"):
        Path(os.environ["RELAIS_ROUTES_RECORD"]).write_text(yaml.safe_dump(record, width=100))
    assert not failures, f"{len(failures)} of {calls} calls:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_django_admin_is_for_administrators_only(agent, admin_user):
    assert Client().get("/django-admin/").status_code == 302
    assert client_for(agent).get("/django-admin/").status_code == 302
    assert client_for(admin_user).get("/django-admin/").status_code == 200
