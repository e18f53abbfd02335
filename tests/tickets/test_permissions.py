"""Ticket permission matrix through HTML and API (tests/permissions/tickets.yaml), the
internal-note canary (SECURITY.md A4) and requester-side limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import Role, TokenScope
from relais.accounts.services import token_create
from relais.core.models import OutboxMessage
from relais.tickets.choices import MessageKind, TicketStatus
from relais.tickets.models import Attachment
from relais.tickets.services import ticket_reply
from tests.factories import UserFactory
from tests.matrix import load_matrix

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def html(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: Any) -> Client:
    secret = token_create(user=user, name="t", scope=TokenScope.WRITE).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def people(requester, team_agent, other_agent) -> dict[str, Any]:
    return {
        "requester": requester,
        "collaborator": UserFactory(role=Role.COLLABORATOR),
        "team_agent": team_agent,
        "other_agent": other_agent,
        "supervisor": UserFactory(role=Role.SUPERVISOR),
        "admin": UserFactory(role=Role.ADMIN),
    }


def _allowed(spec: Any, name: str) -> bool:
    return spec == "all" or (isinstance(spec, list) and name in spec)


def test_ticket_permission_matrix(people, ticket, team_agent):
    ticket_reply(
        ticket=ticket,
        actor=team_agent,
        body="public reply",
        attachments=[SimpleUploadedFile("capture.png", PNG, "image/png")],
    )
    ticket_reply(
        ticket=ticket,
        actor=team_agent,
        body="internal note",
        internal=True,
        attachments=[SimpleUploadedFile("secret.png", PNG, "image/png")],
    )
    public = Attachment.objects.get(original_name="capture.png")
    internal = Attachment.objects.get(original_name="secret.png")
    ref = ticket.reference
    matrix = load_matrix("tickets")
    failures: list[str] = []
    cells = 0

    def check(
        who: str, action: str, channel: str, response: Any, allowed: bool, denied: tuple[int, ...]
    ) -> None:
        nonlocal cells
        cells += 1
        ok = response.status_code < 400 if allowed else response.status_code in denied
        if not ok:
            failures.append(f"{who} {action} via {channel}: {response.status_code}")

    for who, user in people.items():
        spec = matrix["ticket"]
        visible = _allowed(spec["view"][who], "vpn_ticket")
        denied_view = (404,)
        denied_action = (403,) if visible else (404,)
        check(
            who,
            "view",
            "html",
            html(user).get(reverse("tickets:detail", args=[ref])),
            visible,
            denied_view,
        )
        check(who, "view", "api", api(user).get(f"/api/v1/tickets/{ref}"), visible, denied_view)
        check(
            who,
            "history",
            "api",
            api(user).get(f"/api/v1/tickets/{ref}/history"),
            _allowed(spec["history"][who], "vpn_ticket"),
            denied_view,
        )
        for action, path, body in (
            ("reply", "replies", {"body": f"reply from {who}"}),
            ("note", "notes", {"body": f"note from {who}"}),
        ):
            allowed = _allowed(spec[action][who], "vpn_ticket")
            check(
                who,
                action,
                "api",
                api(user).post(
                    f"/api/v1/tickets/{ref}/{path}", data=body, content_type="application/json"
                ),
                allowed,
                denied_action,
            )
            form = {
                "body": f"{action} html from {who}",
                "internal": "on" if action == "note" else "",
            }
            response = html(user).post(reverse("tickets:reply", args=[ref]), form)
            if action == "note" and visible and not allowed:
                # A requester ticking "internal" is refused and writes nothing.
                check(who, action, "html", response, False, (403,))
            else:
                check(who, action, "html", response, allowed, denied_action)
        ticket.refresh_from_db()
        update_allowed = _allowed(spec["update"][who], "vpn_ticket")
        check(
            who,
            "update",
            "api",
            api(user).patch(
                f"/api/v1/tickets/{ref}",
                data={"title": f"Titre {who}"},
                content_type="application/json",
            ),
            update_allowed,
            denied_action,
        )
        ticket.refresh_from_db()
        check(
            who,
            "update",
            "html",
            html(user).post(
                reverse("tickets:edit", args=[ref]),
                {
                    "version": ticket.version,
                    "status": ticket.status,
                    "category": ticket.category_id,
                    "type": ticket.type,
                    "impact": ticket.impact,
                    "urgency": ticket.urgency,
                    "team": ticket.team_id,
                },
            ),
            update_allowed,
            denied_action,
        )
        for name, attachment in (("public", public), ("internal", internal)):
            allowed = _allowed(matrix["attachment"]["download"][who], name)
            check(
                who,
                f"download {name}",
                "html",
                html(user).get(reverse("tickets:attachment", args=[attachment.pk])),
                allowed,
                (404,),
            )

    assert not failures, "\n".join(failures)
    assert cells == 6 * 11


def test_internal_note_canary_never_reaches_the_requester(
    ticket, team_agent, requester, smtp_server, django_capture_on_commit_callbacks
):
    canary = "CANARY-7f3a9c"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=team_agent, body="Réponse publique")
        ticket_reply(
            ticket=ticket,
            actor=team_agent,
            body=f"Note {canary}",
            internal=True,
            attachments=[SimpleUploadedFile(f"{canary}.png", PNG, "image/png")],
        )

    collected = []
    page = html(requester).get(reverse("tickets:detail", args=[ticket.reference]))
    collected.append(page.content.decode())
    portal = html(requester).get(reverse("tickets:portal"))
    collected.append(portal.content.decode())
    client = api(requester)
    for path in ("", "/messages", "/history", "/attachments"):
        collected.append(client.get(f"/api/v1/tickets/{ticket.reference}{path}").content.decode())
    collected.append(client.get("/api/v1/tickets").content.decode())
    collected += [
        m.get_content() if not m.is_multipart() else m.as_string()
        for m in smtp_server.messages
        if requester.email in m["To"]
    ]
    collected += [
        json.dumps(m.payload)
        for m in OutboxMessage.objects.all()
        if requester.email in m.payload["to"]
    ]

    for text in collected:
        assert canary not in text
    messages = json.loads(client.get(f"/api/v1/tickets/{ticket.reference}/messages").content)
    assert messages["count"] == 1
    assert [m["kind"] for m in messages["items"]] == [MessageKind.REPLY]
    attachments = json.loads(client.get(f"/api/v1/tickets/{ticket.reference}/attachments").content)
    assert attachments == []
    assert "1 message" in portal.content.decode()


def test_requester_may_not_patch_or_rate_someone_elses_ticket(ticket, requester, vpn_category):
    other = UserFactory(role=Role.COLLABORATOR)
    ticket.watchers.add(other)
    response = api(other).put(
        f"/api/v1/tickets/{ticket.reference}/satisfaction",
        data={"rating": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not hasattr(ticket, "satisfaction") or ticket.satisfaction is None


def test_closed_ticket_refuses_new_replies(ticket, team_agent, requester):
    from relais.tickets.services import ticket_update

    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.CLOSED},
        expected_version=ticket.version,
    )
    response = html(requester).post(
        reverse("tickets:reply", args=[ticket.reference]), {"body": "encore"}
    )
    assert response.status_code == 403
    assert not ticket.messages.filter(body="encore").exists()


def test_visible_ids_is_the_scope_for_every_role(people, ticket, vpn_category, team_agent):
    """The search's fast form of the scope (a UNION for collaborators) holds exactly the
    tickets `scope` holds, for each kind of person."""
    from relais.tickets.permissions import TicketPolicy
    from relais.tickets.services import ticket_watch
    from tests.tickets.conftest import open_ticket

    policy = TicketPolicy()
    collaborator = people["collaborator"]
    open_ticket(collaborator, vpn_category, title="Le sien")
    watched = open_ticket(people["requester"], vpn_category, title="Suivi")
    ticket_watch(ticket=watched, actor=team_agent, watcher=collaborator)
    for name, user in people.items():
        expected = set(policy.scope(user).values_list("pk", flat=True))
        assert set(policy.visible_ids(user).values_list("pk", flat=True)) == expected, name
    assert len(set(policy.visible_ids(collaborator).values_list("pk", flat=True))) == 2


def test_search_keyed_scope_is_the_scope_of_a_collaborator_and_of_an_agent(
    people, ticket, vpn_category, team_agent, other_team
):
    """The search finds a collaborator's or an agent's tickets as "holding one of their scope
    keys, or watched": exactly their scope; who sees everything gets no such filter."""
    from relais.search.registry import source
    from relais.tickets.models import Ticket
    from relais.tickets.permissions import TicketPolicy
    from relais.tickets.services import ticket_update, ticket_watch
    from tests.tickets.conftest import open_ticket

    collaborator = people["collaborator"]
    open_ticket(collaborator, vpn_category, title="Le sien")
    watched = open_ticket(people["requester"], vpn_category, title="Suivi")
    ticket_watch(ticket=watched, actor=team_agent, watcher=collaborator)
    ticket_watch(ticket=watched, actor=team_agent, watcher=people["other_agent"])
    elsewhere = open_ticket(collaborator, vpn_category, title="Ailleurs")
    ticket_update(
        ticket=elsewhere,
        actor=people["supervisor"],
        changes={"team": other_team},
        expected_version=None,
    )
    opened = open_ticket(team_agent, vpn_category, title="Ouvert pour un autre")
    Ticket.objects.filter(pk=opened.pk).update(
        requester=collaborator, created_by=team_agent, team=other_team, assignee=None
    )
    untriaged = open_ticket(collaborator, vpn_category, title="Sans équipe")
    Ticket.objects.filter(pk=untriaged.pk).update(team=None, assignee=None)
    tickets = source("ticket")
    policy = TicketPolicy()
    everything = list(policy.scope(people["supervisor"]))
    for name in ("collaborator", "requester", "team_agent", "other_agent"):
        user = people[name]
        keyed = tickets.keyed_scope(user)
        assert keyed is not None, name
        by_keys = {t.pk for t in everything if set(policy.index_keys(t)) & set(keyed.keys)}
        others = set(keyed.others.values_list("ticket_id", flat=True))
        assert by_keys | others == set(policy.scope(user).values_list("pk", flat=True)), name
    assert tickets.keyed_scope(people["supervisor"]) is None
