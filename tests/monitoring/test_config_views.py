"""Administrators' screens: services, channels, remote probers, replacements; staff declare
incidents and link the major-incident ticket."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from relais.accounts.models import User
from relais.monitoring import services
from relais.monitoring.models import (
    AlertChannel,
    Incident,
    Maintenance,
    OnCallOverride,
    OnCallRota,
    RemoteProber,
    Service,
)
from relais.tickets.models import Category
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.tickets.conftest import open_ticket


def test_admin_creates_and_edits_a_service(admin_user: User, agent: User) -> None:
    data = {
        "action": "service",
        "service-name": "Portail RH",
        "service-group": "Applications métier",
        "service-is_public": "on",
        "service-locations_required": 1,
        "service-escalation_minutes": 15,
        "service-reminder_minutes": 60,
    }
    assert client_for(agent).post("/veille/configuration/", data).status_code == 403
    response = client_for(admin_user).post("/veille/configuration/", data)
    service = Service.objects.get()
    assert response["Location"] == f"/veille/services/{service.pk}/"
    assert service.group is not None and service.group.name == "Applications métier"
    assert service.is_public
    edit = client_for(admin_user).post(
        f"/veille/services/{service.pk}/modifier/",
        {
            "name": "Portail RH",
            "group": "",
            "locations_required": 2,
            "escalation_minutes": 30,
            "reminder_minutes": 0,
        },
    )
    assert edit.status_code == 302
    service.refresh_from_db()
    assert (service.is_public, service.locations_required, service.group) == (False, 2, None)
    assert client_for(agent).get(f"/veille/services/{service.pk}/modifier/").status_code == 403


def test_duplicate_service_name_is_a_form_error(admin_user: User, vpn_service: Service) -> None:
    response = client_for(admin_user).post(
        "/veille/configuration/",
        {
            "action": "service",
            "service-name": "vpn",
            "service-locations_required": 1,
            "service-escalation_minutes": 15,
            "service-reminder_minutes": 60,
        },
    )
    assert response.status_code == 200
    assert Service.objects.count() == 1


def test_webhook_channel_secret_never_shown_and_remote_prober_token_shown_once(
    admin_user: User,
) -> None:
    client = client_for(admin_user)
    client.post(
        "/veille/configuration/",
        {
            "action": "channel",
            "channel-name": "SIEM",
            "channel-kind": "webhook",
            "channel-target": "https://93.184.215.14/hook",
            "channel-signing_secret": "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ=",
        },
    )
    assert AlertChannel.objects.get().name == "SIEM"
    page = client.get("/veille/configuration/").content.decode()
    assert "c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ" not in page
    refused = client.post(
        "/veille/configuration/",
        {
            "action": "channel",
            "channel-name": "Interne",
            "channel-kind": "webhook",
            "channel-target": "http://10.0.0.5/hook",
        },
    )
    assert refused.status_code == 200 and AlertChannel.objects.count() == 1

    shown = client.post(
        "/veille/configuration/", {"action": "prober", "prober-location": "agence-nord"}
    ).content.decode()
    prober = RemoteProber.objects.get()
    token = shown.split("<code>rlp_", 1)[1].split("</code>", 1)[0]
    assert services.remote_prober_authenticate("rlp_" + token) == prober
    assert "rlp_" + token not in client.get("/veille/configuration/").content.decode()


def test_agent_declares_an_incident_and_links_a_ticket(
    team_agent: User, vpn_service: Service, vpn_category: Category, collaborator: User
) -> None:
    client = client_for(team_agent)
    response = client.post(
        f"/veille/services/{vpn_service.pk}/declarer-incident/",
        {"title": "Lenteurs VPN", "impact": "degraded", "body": "Analyse en cours."},
    )
    incident = Incident.objects.get()
    assert response["Location"] == f"/veille/incidents/{incident.pk}/"
    assert not incident.is_automatic and incident.impact == "degraded"
    ticket = open_ticket(collaborator, vpn_category)
    linked = client.post(
        f"/veille/incidents/{incident.pk}/", {"action": "link", "reference": ticket.reference}
    )
    assert linked.status_code == 302
    incident.refresh_from_db()
    ticket.refresh_from_db()
    assert incident.ticket_id == ticket.pk and ticket.is_major
    unknown = client.post(
        f"/veille/incidents/{incident.pk}/", {"action": "link", "reference": "INC-1999-000001"}
    )
    assert unknown.status_code == 200


def test_admin_adds_a_replacement_the_team_sees(admin_user: User, agent: User) -> None:
    rota = services.rota_create(
        actor=admin_user, name="Astreinte DSI", starts_at=timezone.now(), members=[admin_user]
    )
    start = timezone.now().replace(microsecond=0)
    data = {
        "rota": rota.pk,
        "user": agent.pk,
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
        "reason": "Congés",
    }
    assert client_for(agent).post("/veille/astreinte/", data).status_code == 403
    assert client_for(admin_user).post("/veille/astreinte/", data).status_code == 302
    assert OnCallOverride.objects.get().user == agent
    page = client_for(agent).get("/veille/astreinte/").content.decode()
    assert "Congés" in page
    backwards = {**data, "ends_at": (start - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")}
    assert client_for(admin_user).post("/veille/astreinte/", backwards).status_code == 200
    assert OnCallOverride.objects.count() == 1


def test_admin_sets_up_the_weekly_rotation_in_a_form(admin_user: User, agent: User) -> None:
    alice = UserFactory(role="agent", display_name="Alice Martin", email="alice@relais.test")
    bruno = UserFactory(role="agent", display_name="Bruno Petit", email="bruno@relais.test")
    client = client_for(admin_user)
    start = timezone.localtime() - timedelta(days=8)
    data = {
        "name": "Réseau",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "members": "alice@relais.test\nbruno@relais.test\ninconnu@relais.test",
        "fallback_email": "reseau@relais.test",
    }
    refused = client.post("/veille/astreinte/nouvelle/", data)
    assert (
        "Pas un membre de l’équipe informatique : inconnu@relais.test" in refused.content.decode()
    )
    assert not OnCallRota.objects.exists()
    data["members"] = "bruno@relais.test\nALICE@relais.test\n"
    assert client.post("/veille/astreinte/nouvelle/", data).status_code == 302
    rota = OnCallRota.objects.get()
    assert [m.user for m in rota.members.all()] == [bruno, alice]
    # Week two has begun: Alice is on duty; the team sees it.
    page = client_for(agent).get("/veille/astreinte/").content.decode()
    assert "Alice Martin" in page and "Modifier la rotation" not in page
    # The order changes on the edit page; the rota is deleted from it too.
    edit = f"/veille/astreinte/{rota.pk}/modifier/"
    assert "bruno@relais.test\nalice@relais.test" in client.get(edit).content.decode()
    client.post(edit, {**data, "members": "alice@relais.test\nbruno@relais.test"})
    assert [m.user for m in rota.members.all()] == [alice, bruno]
    assert client_for(agent).post(edit, {"action": "delete"}).status_code == 403
    assert client.post(edit, {"action": "delete"}).status_code == 302
    assert not OnCallRota.objects.exists()


def test_admin_removes_a_replacement(admin_user: User, agent: User) -> None:
    rota = services.rota_create(
        actor=admin_user, name="Réseau", starts_at=timezone.now(), members=[agent]
    )
    override = services.rota_override_add(
        actor=admin_user,
        rota=rota,
        user=admin_user,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=1),
    )
    data = {"action": "remove_override", "override": override.pk}
    assert client_for(agent).post("/veille/astreinte/", data).status_code == 403
    assert client_for(admin_user).post("/veille/astreinte/", data).status_code == 302
    assert not OnCallOverride.objects.exists()


def test_admin_edits_and_deletes_a_maintenance_window(
    admin_user: User, vpn_service: Service
) -> None:
    start = timezone.now() + timedelta(days=2)
    maintenance = services.maintenance_create(
        actor=admin_user,
        title="Bascule",
        services=[vpn_service],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    client = client_for(admin_user)
    url = f"/veille/maintenances/{maintenance.pk}/modifier/"
    local = timezone.localtime(start)
    client.post(
        url,
        {
            "title": "Bascule prolongée",
            "services": [vpn_service.pk],
            "starts_at": local.strftime("%Y-%m-%d %H:%M"),
            "ends_at": (local + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"),
        },
    )
    maintenance.refresh_from_db()
    assert maintenance.title == "Bascule prolongée"
    assert maintenance.ends_at - maintenance.starts_at == timedelta(hours=3)
    assert client.post(url, {"action": "delete"}).status_code == 302
    assert not Maintenance.objects.exists()
