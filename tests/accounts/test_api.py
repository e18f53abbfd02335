"""The API: authentication, error shape, pagination, tokens and the first endpoints."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import ApiToken
from relais.accounts.services import token_create, user_deactivate
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.conftest import api_client_for, client_for
from tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def body(response) -> dict:  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_openapi_schema_is_valid_openapi_3(agent):
    response = api_client_for(agent).get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = body(response)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert {"/api/v1/me", "/api/v1/users", "/api/v1/org-units"} <= set(schema["paths"])


def test_schema_and_docs_are_not_public():
    assert Client().get("/api/v1/openapi.json").status_code == 401
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/connexion/")


def test_docs_page_is_served_locally_without_cdn(agent):
    html = client_for(agent).get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    # Nothing loaded from another host (a random CSP nonce may spell "cdn": look at URLs).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)


@pytest.mark.parametrize(
    "header", ["Bearer rls_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500]
)
def test_wrong_token_gets_401_json(header):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert response.status_code == 401
    assert body(response) == {"detail": "Authentication required.", "code": "not_authenticated"}


def test_anonymous_gets_401_json():
    response = Client().get("/api/v1/users")
    assert response.status_code == 401
    assert body(response)["code"] == "not_authenticated"


def test_unknown_api_path_is_a_json_404(agent):
    response = api_client_for(agent).get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert body(response) == {"detail": "Not found.", "code": "not_found"}


def test_me_with_a_token_and_last_use_is_recorded(collaborator):
    issued = token_create(user=collaborator, name="script")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get("/api/v1/me")
    assert response.status_code == 200
    data = body(response)
    assert data["email"] == collaborator.email
    assert data["role"] == "collaborator"
    assert data["org_unit"]["name"] == collaborator.org_unit.name
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_token_is_stored_hashed_and_shown_once(collaborator):
    issued = token_create(user=collaborator, name="script")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in {stored.token_hash, stored.prefix, stored.name}
    assert len(stored.token_hash) == 64
    listed = api_client_for(collaborator).get("/api/v1/tokens")
    assert issued.secret not in listed.content.decode()
    assert AuditLogEntry.objects.filter(action=AuditAction.TOKEN_CREATE).count() == 2


def test_collaborator_listing_users_gets_403_json(collaborator):
    response = api_client_for(collaborator).get("/api/v1/users")
    assert response.status_code == 403
    assert body(response) == {
        "detail": "You do not have permission to do this.",
        "code": "permission_denied",
    }


def test_agent_lists_users_with_pagination_and_filters(agent, django_assert_max_num_queries):
    direction = OrgUnitFactory(name="Direction de la proximité")
    for index in range(30):
        UserFactory(display_name=f"Gardien {index:02d}", org_unit=direction)
    client = api_client_for(agent)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/users", {"page_size": 10, "page": 2, "q": "gardien"})
    data = body(response)
    assert response.status_code == 200
    assert data["count"] == 30
    assert data["page"] == 2
    assert [u["display_name"] for u in data["items"]] == [f"Gardien {i:02d}" for i in range(10, 20)]

    # The query count does not grow with the page size.
    with django_assert_max_num_queries(6):
        client.get("/api/v1/users", {"page_size": 100})


def test_page_size_above_the_maximum_is_refused(agent):
    response = api_client_for(agent).get("/api/v1/users", {"page_size": 1000})
    assert response.status_code == 422
    data = body(response)
    assert data["code"] == "invalid"
    assert data["errors"][0]["loc"][-1] == "page_size"


@pytest.mark.parametrize("ordering", ["-id;select pg_sleep(5)", "password", "owner__password"])
def test_unknown_ordering_is_refused(agent, ordering):
    response = api_client_for(agent).get("/api/v1/users", {"ordering": ordering})
    assert response.status_code == 422


def test_read_token_cannot_write(collaborator):
    client = api_client_for(collaborator, scope=TokenScope.READ)
    response = client.post("/api/v1/tokens", data={"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert body(response)["code"] == "token_read_only"
    assert ApiToken.objects.filter(user=collaborator).count() == 1


def test_write_token_creates_a_token_shown_once(collaborator):
    client = api_client_for(collaborator)
    response = client.post(
        "/api/v1/tokens",
        data={"name": "Rapport mensuel", "scope": "read", "days": 30},
        content_type="application/json",
    )
    assert response.status_code == 201
    data = body(response)
    assert data["token"].startswith("rls_")
    new = Client(HTTP_AUTHORIZATION=f"Bearer {data['token']}").get("/api/v1/me")
    assert new.status_code == 200
    token = ApiToken.objects.get(pk=data["id"])
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_invalid_payload_gets_a_json_error_and_saves_nothing(collaborator):
    client = api_client_for(collaborator)
    response = client.post(
        "/api/v1/tokens", data={"name": "", "days": 9999}, content_type="application/json"
    )
    assert response.status_code == 422
    assert {tuple(e["loc"][-1:]) for e in body(response)["errors"]} == {("name",), ("days",)}
    assert ApiToken.objects.filter(user=collaborator).count() == 1


def test_revoked_expired_and_deactivated_tokens_stop_working(collaborator, admin_user):
    revoked = token_create(user=collaborator, name="a")
    expired = token_create(user=collaborator, name="b")
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    api_client_for(collaborator).delete(f"/api/v1/tokens/{revoked.token.pk}")
    for issued in (revoked, expired):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get("/api/v1/me")
        assert response.status_code == 401

    live = token_create(user=collaborator, name="c")
    user_deactivate(user=collaborator, actor=admin_user)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {live.secret}").get("/api/v1/me").status_code == 401


def test_session_auth_requires_csrf_for_writes(collaborator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(collaborator)
    assert client.get("/api/v1/me").status_code == 200
    response = client.patch("/api/v1/me", data={"phone": "01 02"}, content_type="application/json")
    assert response.status_code == 403
    assert body(response)["code"] == "csrf_failed"
    collaborator.refresh_from_db()
    assert collaborator.phone == ""


def test_profile_update_cannot_change_role(collaborator):
    client = api_client_for(collaborator)
    response = client.patch(
        "/api/v1/me",
        data={"display_name": "Camille M.", "role": "admin"},
        content_type="application/json",
    )
    assert response.status_code == 200
    collaborator.refresh_from_db()
    assert collaborator.display_name == "Camille M."
    assert collaborator.role == Role.COLLABORATOR


def test_hidden_user_is_a_404_like_a_missing_one(collaborator):
    other = UserFactory()
    client = api_client_for(collaborator)
    hidden = client.get(f"/api/v1/users/{other.pk}")
    missing = client.get("/api/v1/users/999999")
    assert hidden.status_code == missing.status_code == 404
    assert body(hidden) == body(missing)


def test_org_units_are_listed_for_everyone_signed_in(collaborator):
    OrgUnitFactory(name="Direction financière")
    data = body(api_client_for(collaborator).get("/api/v1/org-units"))
    assert "Direction financière" in [unit["name"] for unit in data["items"]]
