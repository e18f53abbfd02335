"""The screens: status pages, banner, incidents, configuration, subscriptions, heartbeat."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from relais.accounts.models import User
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.monitoring import services
from relais.monitoring.choices import CheckState, ServiceState
from relais.monitoring.executors import Outcome
from relais.monitoring.models import AllowListEntry, Check, Incident, Service, Subscription
from relais.tickets.models import Ticket
from tests.conftest import client_for
from tests.monitoring.conftest import http_check
from tests.monitoring.servers import TargetServer


def take_down(check: Check, *, detail: str = "ECONNREFUSED 10.20.3.4") -> None:
    now = timezone.now()
    services.results_record(
        results=[
            services.ProbeResult(
                check.pk,
                now + timedelta(seconds=n),
                Outcome(CheckState.DOWN, None, None, "refused", detail),
            )
            for n in range(3)
        ]
    )


def test_staff_status_page_and_query_count(
    agent: User, vpn_check: Check, admin_user: User, django_assert_max_num_queries: Any
) -> None:
    other = services.service_create(actor=admin_user, data={"name": "Messagerie"})
    for n in range(5):
        http_check(admin_user, other, f"http://127.0.0.1:9/{n}", name=f"c{n}")
    take_down(vpn_check)
    client = client_for(agent)
    with django_assert_max_num_queries(16):
        response = client.get("/veille/statut/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-service="VPN" data-state="down"' in page
    assert "VPN est indisponible" in page  # the open incident


def test_collaborators_do_not_see_the_staff_page(collaborator: User, db: Any) -> None:
    assert client_for(collaborator).get("/veille/statut/").status_code == 404
    assert client_for(None).get("/veille/statut/").status_code == 302


def test_public_page_shows_only_public_components_without_internals(
    client: Any, vpn_check: Check, admin_user: User, django_assert_max_num_queries: Any
) -> None:
    hidden = services.service_create(actor=admin_user, data={"name": "Paie (interne)"})
    http_check(admin_user, hidden, "http://127.0.0.1:9/", name="paie")
    take_down(vpn_check)
    response = client.get("/veille/statut-public/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "VPN" in page and "Paie (interne)" not in page
    assert "127.0.0.1" not in page and "ECONNREFUSED" not in page and "10.20.3.4" not in page
    assert "<svg" in page and "<title" in page  # uptime bars with text equivalents
    # Served from the cache afterwards: no query at all.
    with django_assert_max_num_queries(0):
        again = client.get("/veille/statut-public/")
    assert again.content.decode() == page
    data = client.get("/veille/statut-public.json").json()
    assert [c["name"] for c in data["components"]] == ["VPN"]
    assert data["status"] == "down"
    assert "127.0.0.1" not in json.dumps(data)


def test_banner_and_i_am_affected_on_the_portal(
    collaborator: User, vpn_check: Check, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(collaborator)
    assert "service-down-banner" not in client.get("/demandes/").content.decode()
    take_down(vpn_check)
    cache.clear()
    page = client.get("/demandes/").content.decode()
    assert "service-down-banner" in page and "VPN" in page
    incident = Incident.objects.get()
    assert "service-down-banner" in client.get("/demandes/nouvelle/").content.decode()
    response = client.post(f"/veille/incidents/{incident.pk}/je-suis-concerne/")
    child = Ticket.objects.get(requester=collaborator)
    assert child.parent_id == incident.ticket_id
    assert response.status_code == 302 and child.reference in response["Location"]


def test_agent_posts_public_update_and_internal_note(agent: User, vpn_check: Check) -> None:
    take_down(vpn_check)
    incident = Incident.objects.get()
    client = client_for(agent)
    url = f"/veille/incidents/{incident.pk}/"
    client.post(
        url, {"visibility": "public", "status": "identified", "body": "Lien opérateur coupé."}
    )
    client.post(url, {"visibility": "internal", "status": "", "body": "Ticket opérateur 4711."})
    incident.refresh_from_db()
    assert incident.status == "identified"
    public = client_for(None).get("/veille/statut-public/").content.decode()
    assert "Lien opérateur coupé." in public and "4711" not in public
    bad = client.post(url, {"visibility": "public", "status": "", "body": ""})
    assert bad.status_code == 200 and incident.updates.count() == 3


def test_only_admins_create_checks_and_secrets_are_never_shown(
    agent: User, admin_user: User, vpn_service: Service, target_server: TargetServer
) -> None:
    url = f"/veille/services/{vpn_service.pk}/nouveau-controle/"
    data = {
        "name": "Portail authentifié",
        "kind": "http",
        "target": target_server.url("/auth"),
        "interval_seconds": 60,
        "timeout_seconds": 5,
        "failures_before_down": 3,
        "successes_before_up": 1,
        "config": '{"expected_status": [200]}',
        "auth_kind": "bearer",
        "password": "tres-secret-9876",
        "grace_seconds": 300,
        "is_enabled": "on",
    }
    assert client_for(agent).post(url, data).status_code == 403
    assert not Check.objects.exists()
    client = client_for(admin_user)
    assert client.post(url, data).status_code == 302
    check = Check.objects.get()
    assert "tres-secret-9876" not in check.secret_encrypted
    assert AuditLogEntry.objects.filter(action=AuditAction.SECRET_CHANGE).count() == 1
    edit = client.get(f"/veille/controles/{check.pk}/modifier/").content.decode()
    assert "tres-secret-9876" not in edit
    api = client.get(f"/api/v1/monitoring/checks/{check.pk}").json()
    assert api["has_secret"] is True and "tres-secret-9876" not in json.dumps(api)


def test_check_form_refuses_a_forbidden_target_and_keeps_input(
    admin_user: User, vpn_service: Service
) -> None:
    response = client_for(admin_user).post(
        f"/veille/services/{vpn_service.pk}/nouveau-controle/",
        {
            "name": "Métadonnées",
            "kind": "http",
            "target": "http://169.254.169.254/latest/",
            "interval_seconds": 60,
            "timeout_seconds": 5,
            "failures_before_down": 3,
            "successes_before_up": 1,
            "grace_seconds": 300,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "169.254.169.254/latest/" in page  # the input is kept
    assert not Check.objects.exists()


def test_icmp_is_refused_with_a_clear_message_when_the_system_forbids_it(
    admin_user: User, vpn_service: Service
) -> None:
    from relais.monitoring.executors import icmp_supported

    if icmp_supported():
        pytest.skip("this system allows unprivileged ping")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="ping_group_range"):
        services.check_create(
            actor=admin_user,
            service=vpn_service,
            data={"name": "Ping", "kind": "icmp", "target": "10.20.0.1"},
        )


def test_allow_list_configuration_is_admin_only_and_audited(
    admin_user: User, supervisor: User
) -> None:
    data = {"action": "allow", "allow-kind": "cidr", "allow-value": "10.20.0.0/16"}
    assert client_for(supervisor).post("/veille/configuration/", data).status_code == 403
    assert not AllowListEntry.objects.exists()
    assert client_for(admin_user).post("/veille/configuration/", data).status_code == 302
    assert AllowListEntry.objects.get().value == "10.20.0.0/16"
    assert AuditLogEntry.objects.filter(action=AuditAction.MONITORING_CONFIG).exists()


def test_subscription_double_opt_in(
    client: Any, db: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/veille/statut-public/abonnement/", {"email": "locataire@exemple.fr"})
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None
    assert any(subscription.token in m.get_body().get_content() for m in smtp_server.messages)
    client.get(f"/veille/abonnement/{subscription.token}/confirmer/")
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None  # a GET changes nothing
    client.post(f"/veille/abonnement/{subscription.token}/confirmer/")
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    client.post(f"/veille/abonnement/{subscription.token}/desabonner/")
    assert not Subscription.objects.exists()


def test_heartbeat_url(client: Any, admin_user: User, vpn_service: Service) -> None:
    check = services.check_create(
        actor=admin_user,
        service=vpn_service,
        data={"name": "Sauvegarde", "kind": "heartbeat", "interval_seconds": 3600},
    )
    assert client.get(f"/veille/ping/{check.heartbeat_token}").content == b"OK\n"
    assert client.post("/veille/ping/nope").status_code == 404
    check.refresh_from_db()
    assert check.last_ping_at is not None and check.state == CheckState.UP


def test_ack_link(agent: User, vpn_check: Check, admin_user: User) -> None:
    rota = services.rota_create(
        actor=admin_user, name="Astreinte", starts_at=timezone.now(), members=[agent]
    )
    Service.objects.filter(pk=vpn_check.service_id).update(rota=rota)
    take_down(vpn_check)
    from relais.monitoring.models import Alert

    alert = Alert.objects.get()
    client = client_for(agent)
    assert client.get(f"/veille/alertes/{alert.ack_token}/").status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    client.post(f"/veille/alertes/{alert.ack_token}/")
    alert.refresh_from_db()
    assert alert.acknowledged_by == agent
    assert client.get("/veille/astreinte/").status_code == 200


def test_service_page_with_response_time_graph(agent: User, vpn_check: Check) -> None:
    now = timezone.now()
    services.results_record(
        results=[
            services.ProbeResult(
                vpn_check.pk, now - timedelta(minutes=n), Outcome("up", 10.0 + n, 200)
            )
            for n in range(5)
        ]
    )
    page = client_for(agent).get(f"/veille/services/{vpn_check.service_id}/").content.decode()
    assert "<polyline" in page
    assert Service.objects.get(pk=vpn_check.service_id).state == ServiceState.OPERATIONAL
