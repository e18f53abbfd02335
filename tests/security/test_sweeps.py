"""Sweeps over every route, on the route inventory's world (tests/route_world.py, the
registry tests/permissions/routes.yaml): one world per test, one pass.

- F3: every GET route, as each role, writes nothing (every INSERT/UPDATE/DELETE is recorded,
  and every table's row count is compared before and after), except the documented counters
  and token links in GET_WRITES; every HTML POST route without a CSRF token is refused with
  403 and writes nothing, except the machine endpoints in CSRF_EXEMPT.
- A3: for each route family taking an id or a reference, a colleague who owns nothing sweeps
  the ids around the objects another person owns: 404 (never 403, never 200 for those), with
  the same body as an id that does not exist, in HTML and in the API.
- B2: every GET operation of the API refuses a parameter it does not declare (a filter such
  as `requester__password__startswith`, a bogus ordering) with a 400 JSON error."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import resolve

from relais.accounts.choices import Role, TokenScope
from relais.core.api import api as openapi
from tests import route_world
from tests.factories import UserFactory
from tests.test_routes import REGISTRY, ROLES, api_operations, concrete, html_routes

pytestmark = pytest.mark.django_db

WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?([A-Za-z0-9_.]+)"?', re.I
)

# GET requests that may write, and what: counters and clocks, and links sent by e-mail whose
# whole purpose is one click. Anything else a GET writes fails the test.
GET_WRITES: dict[str, set[str]] = {
    # The session (idle clock, the password-reset token kept out of the URL, SSO state).
    "*": {"django_session"},
    # The knowledge base's view counters (F() increments, no other change).
    "kb:detail": {"kb_article", "kb_articledailyviews"},
    # The second-factor enrolment page makes the person's pending secret to show its QR code:
    # one per person, reused by the next visits (asserted below), confirmed only by a POST.
    "accounts:otp_setup": {"otp_totp_totpdevice"},
    # The personal-data download link is used once and its use is audited.
    "accounts:personal_data_download": {"core_auditlogentry", "core_personaldataexport"},
}
# HTML POST routes without Django's CSRF check: machine endpoints with their own secret.
CSRF_EXEMPT = {
    "/veille/ping/<str:token>",  # heartbeat pings from cron jobs (secret token in the URL)
}


class WriteRecorder:
    """Every table written by the statements run inside `with connection.execute_wrapper`."""

    def __init__(self) -> None:
        self.tables: Counter[str] = Counter()

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        match = WRITE.match(sql)
        if match:
            self.tables[match.group(1).split(".")[-1].lower()] += 1
        return execute(sql, params, many, context)


def row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def signed_in(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
    client.force_login(user)
    client.defaults["REMOTE_ADDR"] = "192.0.2.10"
    return client


# --- F3 ----------------------------------------------------------------------------------------


def test_no_get_writes_and_no_post_passes_without_the_csrf_token(settings):
    people, params = route_world.build(settings)
    names = html_routes()
    get_routes = [(r, names[r]) for r, spec in REGISTRY["html"].items() if "GET" in spec]
    api_gets = [route for route, spec in REGISTRY["api"].items() if "GET" in spec]
    tokens = {
        role: route_world.token_create(user=user, name="crawl", scope=TokenScope.READ).secret
        for role, user in people.items()
    }
    unexpected: list[str] = []
    counted = 0
    for role in ROLES:
        user = people[role]
        client = signed_in(user)
        client.get("/")  # the session's clocks are set by the first request
        before = row_counts()
        for route, name in get_routes:
            recorder = WriteRecorder()
            with connection.execute_wrapper(recorder):
                client.get(concrete(route, name, params, user))
            allowed = GET_WRITES["*"] | GET_WRITES.get(name, set())
            extra = set(recorder.tables) - allowed
            if extra:
                unexpected.append(f"GET {route} as {role} wrote {sorted(extra)}")
            counted += 1
        api = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[role]}", raise_request_exception=False)
        for route in api_gets:
            recorder = WriteRecorder()
            path = concrete("/api/v1" + route, "/api/v1" + route, params, user)
            with connection.execute_wrapper(recorder):
                api.get(path)
            # The token's last-use time is the only write of an authenticated API read.
            extra = set(recorder.tables) - {"accounts_apitoken"}
            if extra:
                unexpected.append(f"GET /api/v1{route} as {role} wrote {sorted(extra)}")
            counted += 1
        after = row_counts()
        grown = {
            table: after[table] - before[table]
            for table in after
            if after[table] != before[table] and table not in set().union(*GET_WRITES.values())
        }
        if grown:
            unexpected.append(f"row counts changed during {role}'s GET crawl: {grown}")
    assert counted > 4 * 140
    assert not unexpected, "\n".join(unexpected)
    # The enrolment page's pending secret is made once, not at every visit.
    recorder = WriteRecorder()
    with connection.execute_wrapper(recorder):
        signed_in(people[Role.AGENT]).get("/connexion/double-authentification/")
    assert "otp_totp_totpdevice" not in recorder.tables

    # Every HTML POST without the CSRF token: 403, nothing written.
    admin = people[Role.ADMIN]
    client = signed_in(admin, csrf=True)
    client.get("/")
    refused = 0
    posts = [  # made first: a path to one's own API token makes that token
        (route, concrete(route, names[route], params, admin))
        for route, spec in REGISTRY["html"].items()
        if "POST" in spec and route not in CSRF_EXEMPT
    ]
    before = row_counts()
    for route, path in posts:
        recorder = WriteRecorder()
        with connection.execute_wrapper(recorder):
            response = client.post(path, {"title": "x", "body": "x", "name": "x"})
        if response.status_code != 403 or set(recorder.tables) - {"django_session"}:
            unexpected.append(
                f"POST {route} without CSRF: {response.status_code}, wrote {dict(recorder.tables)}"
            )
        refused += 1
    assert not unexpected, "\n".join(unexpected)
    assert row_counts() == before
    assert refused > 60
    # The exemptions are exactly the views marked csrf_exempt.
    exempt = {
        route
        for route in REGISTRY["html"]
        if getattr(resolve(concrete(route, names[route], params, admin)).func, "csrf_exempt", 0)
    }
    assert exempt == CSRF_EXEMPT


# --- A3 ----------------------------------------------------------------------------------------

# Parameters that are not sequential ids (secrets, slugs, formats) are not swept.
NOT_IDS = {"token", "uidb64", "key", "table", "fmt", "tag"}
# Objects of the world a collaborator who owns nothing must not see, by URL parameter; the
# other parameters point at objects everyone may see (a published article, a public service,
# a directory entry), so their sweep only asserts "never a 5xx" (a 403 there refuses an
# action on a visible object).
PRIVATE = {
    "reference",
    "attachment_id",
    "inbound_id",
    "message_id",
    "asset_id",
    "loan_id",
    "token_id",
    "mailbox_id",
    "campaign_id",
    "target_id",
    "check_id",
    "rota_id",
    "override_id",
    "channel_id",
    "flag_id",
}
# Route-specific meaning of `pk` (the registry's HTML routes name it pk).
PK_MEANS = {
    "assets:": "asset_id",
    "assets:campaign": "campaign_id",
    "assets:campaign_export": "campaign_id",
    "assets:import_status": "job",
    "monitoring:check_edit": "check_id",
    "monitoring:rota_edit": "rota_id",
    "monitoring:channel_edit": "channel_id",
    "monitoring:maintenance_edit": "maintenance_id",
}

API_PARAMETER = r"\{([^}]+)\}"
HTML_PARAMETER = r"<(?:[a-z]+:)?([a-z_0-9]+)>"
NONCE = re.compile(rb'(nonce|value|content)="[^"]*"')


def normalised(body: bytes) -> bytes:
    """A page without its per-request parts (CSP nonces, CSRF tokens)."""
    return NONCE.sub(rb'\1=""', body)


def _meaning(name: str, parameter: str) -> str:
    if parameter != "pk":
        return parameter
    return PK_MEANS.get(name) or next(
        (v for k, v in PK_MEANS.items() if k.endswith(":") and name.startswith(k)), name
    )


def test_sequential_ids_of_other_peoples_objects_are_404_like_missing_ones(settings):
    people, params = route_world.build(settings)
    outsider = UserFactory(role=Role.COLLABORATOR)  # owns nothing, belongs to nothing
    html = signed_in(outsider)
    api = Client(
        HTTP_AUTHORIZATION="Bearer "
        + route_world.token_create(user=outsider, name="sweep", scope=TokenScope.READ).secret,
        raise_request_exception=False,
    )
    names = html_routes()
    failures: list[str] = []
    swept = 0
    private_routes: set[str] = set()

    def sweep(client: Client, route: str, name: str, is_api: bool) -> None:
        nonlocal swept
        placeholders = re.findall(API_PARAMETER if is_api else HTML_PARAMETER, route)
        if len(placeholders) != 1 or placeholders[0] in NOT_IDS:
            return
        parameter = placeholders[0]
        owner_value = route_world.value_for(params, name, parameter, people[Role.COLLABORATOR])
        meaning = _meaning(name, parameter)
        private = meaning in PRIVATE

        def url(value: str) -> str:
            if is_api:
                return re.sub(r"\{[^}]+\}", value, route)
            return re.sub(r"<[^>]+>", value, route)

        missing_value = "T-0000-999999" if parameter == "reference" else "999999"
        missing = client.get(url(missing_value))
        if missing.status_code != 404:
            failures.append(f"{url(missing_value)}: {missing.status_code} for a missing id")
            return
        if parameter == "reference":
            values = [owner_value]
        else:
            first = max(1, int(owner_value) - 2)
            values = [str(v) for v in range(first, int(owner_value) + 3)]
        for value in values:
            response = client.get(url(value))
            swept += 1
            status = response.status_code
            if status >= 500 or (status == 403 and private):
                # (A 403 is the answer for an object the outsider sees but may not change,
                # such as a published article's edit page: it reveals nothing.)
                failures.append(f"{url(value)}: {status}")
            elif value == owner_value and private:
                private_routes.add(route)
                if status != 404:
                    failures.append(f"{url(value)}: {status}, another person's object")
                elif normalised(response.content) != normalised(missing.content):
                    failures.append(f"{url(value)}: its 404 differs from a missing id's")

    for route, spec in REGISTRY["html"].items():
        if "GET" in spec:
            sweep(html, route, names[route], is_api=False)
    for route, spec in REGISTRY["api"].items():
        if "GET" in spec:
            sweep(api, "/api/v1" + route, "/api/v1" + route, is_api=True)
    assert swept > 150
    assert {"/demandes/<str:reference>/", "/api/v1/tickets/{reference}", "/parc/<int:pk>/"} <= (
        private_routes
    )
    assert len(private_routes) >= 20
    assert not failures, "\n".join(failures)


# --- B2 ----------------------------------------------------------------------------------------

HOSTILE = {
    "requester__password__startswith": "a",
    "filter[OR]": "1",
    "owner__password": "x",
}


def test_every_api_read_refuses_undeclared_filters_and_orderings(settings):
    people, params = route_world.build(settings)
    admin = people[Role.ADMIN]
    api = Client(
        HTTP_AUTHORIZATION="Bearer "
        + route_world.token_create(user=admin, name="b2", scope=TokenScope.READ).secret,
        raise_request_exception=False,
    )
    failures: list[str] = []
    checked = 0
    schema = openapi.get_openapi_schema()  # once: it takes seconds to build

    def declared(route: str) -> set[str]:
        operation = schema["paths"]["/api/v1" + route]["get"]
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}

    for route, methods in api_operations().items():
        if "GET" not in methods or REGISTRY["api"][route].get("GET") == "prober":
            continue
        path = concrete("/api/v1" + route, "/api/v1" + route, params, admin)
        response = api.get(path, HOSTILE)
        checked += 1
        is_json = response["Content-Type"].startswith("application/json")
        if response.status_code != 400 or not is_json:
            failures.append(f"GET {route} with undeclared parameters: {response.status_code}")
            continue
        body = response.json()
        if body["code"] != "bad_request" or not all(key in body["detail"] for key in HOSTILE):
            failures.append(f"GET {route} with undeclared parameters: {body}")
        # A declared ordering with a value outside its allow-list is refused too.
        if "ordering" in declared(route):
            for ordering in ("-id;select pg_sleep(5)", "requester__password"):
                response = api.get(path, {"ordering": ordering})
                if response.status_code not in {400, 422}:
                    failures.append(f"GET {route}?ordering={ordering}: {response.status_code}")
    assert checked >= 50
    assert not failures, "\n".join(failures)
