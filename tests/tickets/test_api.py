"""The tickets API: create, list with filters, retrieve, optimistic concurrency, messages."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from relais.accounts.choices import Role, TokenScope
from relais.accounts.services import token_create
from relais.tickets.choices import Channel, TicketStatus
from relais.tickets.models import Category, Ticket
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def api(user, scope=TokenScope.WRITE) -> Client:  # type: ignore[no-untyped-def]
    return Client(
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t', scope=scope).secret}"
    )


def body(response) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(response.content)


def test_requester_creates_and_reads_a_ticket(requester, vpn_category):
    client = api(requester)
    response = client.post(
        "/api/v1/tickets",
        data={
            "category_id": vpn_category.pk,
            "title": "VPN",
            "description": "Coupé",
            "impact": "low",
            "urgency": "high",
            "channel": "phone",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    data = body(response)
    assert data["reference"].startswith("INC-")
    assert data["requester"]["id"] == requester.pk
    assert data["channel"] == Channel.API  # a collaborator cannot claim another channel
    detail = client.get(f"/api/v1/tickets/{data['reference']}")
    assert detail.status_code == 200
    assert detail["ETag"] == f'"v{data["version"]}"'


def test_create_refuses_unknown_and_inactive_references(requester, vpn_category):
    client = api(requester)
    Category.objects.filter(pk=vpn_category.pk).update(is_active=False)
    response = client.post(
        "/api/v1/tickets",
        data={
            "category_id": vpn_category.pk,
            "title": "VPN",
            "description": "Coupé",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert body(response)["code"] == "invalid"
    other = UserFactory()
    response = client.post(
        "/api/v1/tickets",
        data={
            "category_id": Category.objects.filter(is_active=True).first().pk,
            "title": "x",
            "description": "y",
            "requester_id": other.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_list_uses_the_queue_filters_and_refuses_unknown_ones(ticket, team_agent, requester):
    client = api(team_agent)
    data = body(client.get("/api/v1/tickets", {"queue": "team", "status": "new"}))
    assert [t["reference"] for t in data["items"]] == [ticket.reference]
    assert data["count"] == 1
    assert body(client.get("/api/v1/tickets", {"status": "resolved"}))["count"] == 0
    bad = client.get("/api/v1/tickets", {"requester__password__startswith": "a"})
    assert bad.status_code == 400
    assert client.get("/api/v1/tickets", {"ordering": "password"}).status_code == 422
    # The requester's list holds their own ticket only.
    other = UserFactory()
    assert body(api(other).get("/api/v1/tickets"))["count"] == 0
    assert body(api(requester).get("/api/v1/tickets"))["count"] == 1


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(ticket, team_agent):
    client = api(team_agent)
    etag = client.get(f"/api/v1/tickets/{ticket.reference}")["ETag"]
    first = client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        data={"status": "in_progress"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert first.status_code == 200
    assert first["ETag"] != etag
    stale = client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        data={"assignee_id": team_agent.pk},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert body(stale)["code"] == "precondition_failed"
    ticket.refresh_from_db()
    assert ticket.assignee is None
    old_version = body(client.get(f"/api/v1/tickets/{ticket.reference}"))["version"] - 1
    conflict = client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        data={"assignee_id": team_agent.pk, "version": old_version},
        content_type="application/json",
    )
    assert conflict.status_code == 409


def test_patch_checks_every_referenced_object(ticket, team_agent, other_agent, other_team):
    client = api(team_agent)
    response = client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        data={"assignee_id": other_agent.pk},
        content_type="application/json",
    )
    assert response.status_code == 400  # not a member of the ticket's team
    response = client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        data={"team_id": 999999},
        content_type="application/json",
    )
    assert response.status_code == 400
    response = client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        data={"reference": "X"},
        content_type="application/json",
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.team.code == "reseau-vpn"
    assert ticket.reference != "X"


def test_read_only_token_cannot_reply(ticket, requester):
    response = api(requester, TokenScope.READ).post(
        f"/api/v1/tickets/{ticket.reference}/replies",
        data={"body": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ticket.messages.exists()


def test_replies_notes_and_attachments(ticket, team_agent, requester):
    agent = api(team_agent)
    reply = agent.post(
        f"/api/v1/tickets/{ticket.reference}/replies",
        data={"body": "Redémarrez"},
        content_type="application/json",
    )
    assert reply.status_code == 201
    note = agent.post(
        f"/api/v1/tickets/{ticket.reference}/notes",
        data={"body": "Compte KO"},
        content_type="application/json",
    )
    assert note.status_code == 201
    upload = api(requester).post(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        data={"files": [SimpleUploadedFile("log.txt", b"erreur 691")], "body": "Le journal"},
    )
    assert upload.status_code == 201, upload.content
    assert body(upload)["attachments"][0]["original_name"] == "log.txt"
    kinds = [
        m["kind"] for m in body(agent.get(f"/api/v1/tickets/{ticket.reference}/messages"))["items"]
    ]
    assert kinds == ["reply", "note", "reply"]
    history = body(api(requester).get(f"/api/v1/tickets/{ticket.reference}/history"))
    assert all(e["kind"] != "note_added" for e in history["items"])


def test_satisfaction_through_the_api(ticket, team_agent, requester):
    from relais.tickets.services import ticket_update

    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=ticket.version,
    )
    client = api(requester)
    assert (
        client.put(
            f"/api/v1/tickets/{ticket.reference}/satisfaction",
            data={"rating": 9},
            content_type="application/json",
        ).status_code
        == 422
    )
    response = client.put(
        f"/api/v1/tickets/{ticket.reference}/satisfaction",
        data={"rating": 4, "comment": "Bien"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert body(client.get(f"/api/v1/tickets/{ticket.reference}/satisfaction"))["rating"] == 4


def test_agent_of_another_team_gets_404_everywhere(ticket, other_agent):
    client = api(other_agent)
    for path in ("", "/messages", "/history", "/attachments", "/satisfaction"):
        assert client.get(f"/api/v1/tickets/{ticket.reference}{path}").status_code == 404
    assert (
        client.patch(
            f"/api/v1/tickets/{ticket.reference}",
            data={"title": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert body(client.get("/api/v1/tickets", {"queue": "all"}))["count"] == 0


def test_supervisor_sees_everything(ticket):
    supervisor = UserFactory(role=Role.SUPERVISOR)
    assert body(api(supervisor).get("/api/v1/tickets"))["count"] == 1


def test_links_and_watchers_through_the_api(ticket, team_agent, requester, vpn_category):
    from tests.tickets.conftest import open_ticket

    other = open_ticket(requester, vpn_category, title="Autre")
    client = api(team_agent)
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/links",
        data={"target": other.reference, "kind": "duplicate_of"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert body(response)["target"] == other.reference
    links = body(client.get(f"/api/v1/tickets/{other.reference}/links"))
    assert [(link["source"], link["kind"]) for link in links] == [
        (ticket.reference, "duplicate_of")
    ]
    assert body(api(requester).get(f"/api/v1/tickets/{ticket.reference}/links")) == []
    colleague = UserFactory()
    assert (
        client.post(
            f"/api/v1/tickets/{ticket.reference}/watchers",
            data={"user_id": colleague.pk},
            content_type="application/json",
        ).status_code
        == 204
    )
    assert colleague in ticket.watchers.all()
    refused = api(requester).post(
        f"/api/v1/tickets/{ticket.reference}/watchers",
        data={"user_id": colleague.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403
