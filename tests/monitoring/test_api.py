"""The API: same services and policies as the screens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from relais.accounts.models import User
from relais.monitoring import services
from relais.monitoring.models import Check, CheckResult, Service
from tests.conftest import api_client_for
from tests.factories import UserFactory
from tests.monitoring.conftest import http_check
from tests.monitoring.servers import TargetServer


def test_admin_creates_a_check_and_agents_cannot(
    admin_user: User, agent: User, vpn_service: Service, target_server: TargetServer
) -> None:
    body = {
        "name": "Portail",
        "kind": "http",
        "target": target_server.url("/ok"),
        "config": {"keyword": "tout va bien"},
        "interval_seconds": 30,
    }
    url = f"/api/v1/monitoring/services/{vpn_service.pk}/checks"
    refused = api_client_for(agent).post(url, body, content_type="application/json")
    assert refused.status_code == 403 and not Check.objects.exists()
    created = api_client_for(admin_user).post(url, body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["config"] == {"keyword": "tout va bien"}


def test_bad_input_is_a_400_with_a_message(admin_user: User, vpn_service: Service) -> None:
    client = api_client_for(admin_user)
    url = f"/api/v1/monitoring/services/{vpn_service.pk}/checks"
    response = client.post(
        url,
        {"name": "x", "kind": "http", "target": "http://169.254.169.254/"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["target"]
    too_fast = client.post(
        url,
        {"name": "x", "kind": "tcp", "target": "127.0.0.1:80", "interval_seconds": 5},
        content_type="application/json",
    )
    assert too_fast.status_code == 422
    assert not Check.objects.exists()


def test_lists_paginate_with_bounded_queries(
    admin_user: User, agent: User, vpn_service: Service, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        http_check(admin_user, vpn_service, f"http://127.0.0.1:9/{n}", name=f"c{n:02}")
    client = api_client_for(agent)
    with django_assert_max_num_queries(8):
        page = client.get("/api/v1/monitoring/checks?page_size=10&page=2").json()
    assert page["count"] == 30 and len(page["items"]) == 10
    assert page["items"][0]["name"] == "c10"


def test_collaborators_see_nothing(collaborator: User, vpn_check: Check) -> None:
    client = api_client_for(collaborator)
    assert client.get("/api/v1/monitoring/services").json()["count"] == 0
    assert client.get(f"/api/v1/monitoring/checks/{vpn_check.pk}").status_code == 404
    assert client.get(f"/api/v1/monitoring/checks/{vpn_check.pk}/results").status_code == 404


def test_incident_and_updates_over_the_api(agent: User, vpn_service: Service) -> None:
    client = api_client_for(agent)
    created = client.post(
        "/api/v1/monitoring/incidents",
        {"service_id": vpn_service.pk, "title": "Lenteurs VPN", "body": "Analyse en cours."},
        content_type="application/json",
    )
    assert created.status_code == 201
    incident_id = created.json()["id"]
    update = client.post(
        f"/api/v1/monitoring/incidents/{incident_id}/updates",
        {"body": "Résolu par l'opérateur.", "status": "resolved"},
        content_type="application/json",
    )
    assert update.status_code == 201
    detail = client.get(f"/api/v1/monitoring/incidents/{incident_id}").json()
    assert detail["status"] == "resolved" and detail["resolved_at"]


def test_maintenance_over_the_api_is_admin_only(
    admin_user: User, agent: User, vpn_service: Service
) -> None:
    start = timezone.now() + timedelta(days=1)
    body = {
        "title": "Migration messagerie",
        "service_ids": [vpn_service.pk],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    url = "/api/v1/monitoring/maintenances"
    assert api_client_for(agent).post(url, body, content_type="application/json").status_code == 403
    assert (
        api_client_for(admin_user).post(url, body, content_type="application/json").status_code
        == 201
    )
    assert api_client_for(agent).get(url).json()["items"][0]["service_ids"] == [vpn_service.pk]


def test_remote_prober_reports_with_its_token(admin_user: User, vpn_check: Check) -> None:
    _prober, token = services.remote_prober_create(actor=admin_user, location="agence-nord")
    body = {
        "results": [
            {
                "check_id": vpn_check.pk,
                "at": timezone.now().isoformat(),
                "state": "up",
                "latency_ms": 12.5,
            },
            {"check_id": 999999, "at": timezone.now().isoformat(), "state": "up"},
        ]
    }
    url = "/api/v1/monitoring/probers/results"
    anonymous = Client().post(url, body, content_type="application/json")
    assert anonymous.status_code == 401
    ok = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        url, body, content_type="application/json"
    )
    assert ok.json() == {"recorded": 1}
    assert CheckResult.objects.get().location == "agence-nord"


def test_rotas_are_read_by_the_team_and_written_by_administrators(
    admin_user: User, agent: User, collaborator: User, django_assert_max_num_queries: Any
) -> None:
    first = UserFactory(role="agent", display_name="Alice Martin", email="alice@relais.test")
    second = UserFactory(role="agent", display_name="Bruno Petit", email="bruno@relais.test")
    start = timezone.now() - timedelta(days=8)  # the second week has begun
    body = {"name": "Réseau", "starts_at": start.isoformat(), "member_ids": [first.pk, second.pk]}
    admin = api_client_for(admin_user)
    refused = api_client_for(agent).post("/api/v1/monitoring/rotas", body, "application/json")
    assert refused.status_code == 403
    created = admin.post("/api/v1/monitoring/rotas", body, "application/json")
    assert created.status_code == 201, created.json()
    rota_id = created.json()["id"]
    team = api_client_for(agent)
    rota = team.get(f"/api/v1/monitoring/rotas/{rota_id}").json()
    assert [m["display_name"] for m in rota["members"]] == ["Alice Martin", "Bruno Petit"]
    assert rota["on_duty"]["display_name"] == "Bruno Petit"
    assert (
        api_client_for(collaborator).get(f"/api/v1/monitoring/rotas/{rota_id}").status_code == 404
    )

    # Bruno is away: Alice replaces him; removing the replacement gives the week back.
    override = admin.post(
        f"/api/v1/monitoring/rotas/{rota_id}/overrides",
        {
            "user_id": first.pk,
            "starts_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "ends_at": (timezone.now() + timedelta(days=2)).isoformat(),
            "reason": "Congés",
        },
        "application/json",
    )
    assert override.status_code == 201, override.json()
    assert team.get(f"/api/v1/monitoring/rotas/{rota_id}").json()["on_duty"]["id"] == first.pk
    removed = admin.delete(f"/api/v1/monitoring/rotas/{rota_id}/overrides/{override.json()['id']}")
    assert removed.status_code == 204
    assert team.get(f"/api/v1/monitoring/rotas/{rota_id}").json()["on_duty"]["id"] == second.pk

    # The order of the rotation changes with a PUT; a requester cannot be put on call.
    reordered = admin.put(
        f"/api/v1/monitoring/rotas/{rota_id}",
        {**body, "member_ids": [second.pk, first.pk]},
        "application/json",
    )
    assert reordered.json()["on_duty"]["id"] == first.pk
    wrong = admin.put(
        f"/api/v1/monitoring/rotas/{rota_id}",
        {**body, "member_ids": [collaborator.pk]},
        "application/json",
    )
    assert wrong.status_code == 400
    for n in range(12):
        services.rota_create(
            actor=admin_user, name=f"Rota {n:02}", starts_at=start, members=[first, second]
        )
    with django_assert_max_num_queries(8):
        page = team.get("/api/v1/monitoring/rotas?page_size=10").json()
    assert page["count"] == 13 and len(page["items"]) == 10


def test_alert_channels_are_for_administrators_and_secrets_never_come_back(
    admin_user: User, agent: User, collaborator: User
) -> None:
    admin = api_client_for(admin_user)
    body = {
        "name": "Équipe",
        "kind": "webhook",
        "target": "https://93.184.215.14/relais",  # a public address (not contacted)
        "signing_secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
    }
    created = admin.post("/api/v1/monitoring/channels", body, "application/json")
    assert created.status_code == 201, created.json()
    channel = created.json()
    assert channel["has_secret"] is True and "signing_secret" not in channel
    assert "c2VjcmV0" not in created.content.decode()
    url = f"/api/v1/monitoring/channels/{channel['id']}"
    assert api_client_for(agent).get(url).status_code == 403
    assert api_client_for(collaborator).get(url).status_code == 404
    assert api_client_for(agent).get("/api/v1/monitoring/channels").status_code == 403
    changed = admin.put(
        url, {**body, "signing_secret": "", "is_enabled": False}, "application/json"
    )
    assert changed.json()["is_enabled"] is False and changed.json()["has_secret"] is True
    kind = admin.put(url, {**body, "kind": "email"}, "application/json")
    assert kind.status_code == 400
    private = admin.put(url, {**body, "target": "http://10.0.0.5/hook"}, "application/json")
    assert private.status_code == 400
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404


def test_a_service_with_incidents_keeps_its_history(admin_user: User, vpn_check: Check) -> None:
    from relais.monitoring.executors import Outcome

    for n in range(3):  # failures before down: an incident opens
        at = timezone.now() + timedelta(seconds=n)
        services.results_record(results=[services.ProbeResult(vpn_check.pk, at, Outcome("down"))])
    response = api_client_for(admin_user).delete(
        f"/api/v1/monitoring/services/{vpn_check.service_id}"
    )
    assert response.status_code == 400
    assert "désactivez plutôt ses contrôles" in response.json()["detail"]
    assert Service.objects.filter(pk=vpn_check.service_id).exists()
