"""The portal, the new-ticket form, the ticket page and the agent queue, through HTML."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import Role
from relais.tickets.choices import Level, TicketStatus
from relais.tickets.models import Attachment, Category, SavedView, Ticket
from relais.tickets.services import ticket_reply, ticket_update
from tests.factories import UserFactory
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db


def client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def test_guided_form_opens_a_ticket_with_an_attachment(requester, vpn_category, tmp_path):
    c = client(requester)
    choose = c.get(reverse("tickets:new"))
    assert choose.status_code == 200
    assert "Connexion &amp; VPN" in choose.content.decode()
    form = c.get(reverse("tickets:new") + f"?categorie={vpn_category.pk}")
    assert form.status_code == 200
    response = c.post(
        reverse("tickets:new") + f"?categorie={vpn_category.pk}",
        {
            "category": vpn_category.pk,
            "title": "VPN coupé",
            "description": "Depuis 9 h",
            "impact": Level.LOW,
            "urgency": Level.HIGH,
            "attachments": [SimpleUploadedFile("erreur.txt", b"Erreur 809", "text/plain")],
        },
    )
    ticket = Ticket.objects.get(title="VPN coupé")
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.reference])
    assert ticket.requester == requester
    assert Attachment.objects.get(ticket=ticket).original_name == "erreur.txt"


def test_form_errors_keep_what_was_typed(requester):
    category = Category.objects.get(name="Dysfonctionnement")
    response = client(requester).post(
        reverse("tickets:new") + f"?categorie={category.pk}",
        {
            "category": category.pk,
            "title": "Erreur d'enregistrement",
            "description": "",
            "impact": Level.LOW,
            "urgency": Level.LOW,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Erreur d&#x27;enregistrement" in html
    assert not Ticket.objects.exists()


def test_refused_upload_is_a_form_error_and_saves_nothing(requester, vpn_category):
    response = client(requester).post(
        reverse("tickets:new") + f"?categorie={vpn_category.pk}",
        {
            "category": vpn_category.pk,
            "title": "x",
            "description": "y",
            "impact": Level.LOW,
            "urgency": Level.LOW,
            "attachments": [
                SimpleUploadedFile("x.svg", b"<svg><script>alert(1)</script></svg>", "image/png")
            ],
        },
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_stale_edit_shows_a_conflict_with_both_values(ticket, team_agent, vpn_team):
    second = UserFactory(role=Role.AGENT, display_name="Deuxième Agent")
    vpn_team.members.add(second)
    loaded_version = ticket.version
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.IN_PROGRESS},
        expected_version=loaded_version,
    )
    response = client(second).post(
        reverse("tickets:edit", args=[ticket.reference]),
        {
            "version": loaded_version,
            "status": TicketStatus.WAITING_THIRD_PARTY,
            "team": vpn_team.pk,
            "assignee": second.pk,
            "category": ticket.category_id,
            "type": ticket.type,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this ticket" in html or "Quelqu" in html
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.assignee is None


def test_queue_filters_and_unknown_filters(ticket, team_agent, requester, vpn_category):
    open_ticket(
        requester, vpn_category, title="Imprimante en panne", impact=Level.HIGH, urgency=Level.HIGH
    )
    c = client(team_agent)
    page = c.get(reverse("tickets:queue"), {"queue": "team", "priority": "P1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Imprimante en panne" in html
    assert "Le VPN se déconnecte" not in html
    assert (
        c.get(reverse("tickets:queue"), {"requester__password__startswith": "a"}).status_code == 400
    )
    assert c.get(reverse("tickets:queue"), {"ordering": "-id;select 1"}).status_code == 400


def test_collaborator_has_no_queue(requester):
    assert client(requester).get(reverse("tickets:queue")).status_code == 404


def test_saved_view_and_bulk_assignment(ticket, team_agent, vpn_team, requester, vpn_category):
    supervisor = UserFactory(role=Role.SUPERVISOR)
    second = open_ticket(requester, vpn_category)
    c = client(supervisor)
    c.post(
        reverse("tickets:saved_view_create"),
        {"name": "VPN urgents", "query": "queue=all&priority=P4"},
    )
    assert SavedView.objects.get(owner=supervisor).query == "queue=all&priority=P4"
    response = c.post(
        reverse("tickets:bulk"),
        {
            "tickets": [ticket.pk, second.pk],
            "action": "assign",
            "assignee": team_agent.pk,
        },
    )
    assert response.status_code == 302
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {team_agent.pk}
    # Agents cannot use bulk actions.
    assert (
        client(team_agent)
        .post(
            reverse("tickets:bulk"),
            {
                "tickets": [ticket.pk],
                "action": "status",
                "status": TicketStatus.CLOSED,
            },
        )
        .status_code
        == 403
    )


def test_page_query_counts_do_not_grow_with_rows(
    team_agent, requester, vpn_category, django_assert_max_num_queries
):
    for index in range(3):
        open_ticket(requester, vpn_category, title=f"Ticket {index}")
    agent_client, requester_client = client(team_agent), client(requester)
    limits = {}
    for label, c, url in (
        ("queue", agent_client, reverse("tickets:queue") + "?queue=all"),
        ("portal", requester_client, reverse("tickets:portal")),
        ("api", agent_client, "/api/v1/tickets?queue=all"),
    ):
        c.get(url)  # warm caches (session, desk settings)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            assert c.get(url).status_code == 200
        limits[label] = len(few)
    for index in range(30):
        ticket = open_ticket(requester, vpn_category, title=f"Autre {index}")
        ticket_reply(ticket=ticket, actor=team_agent, body="ok")
    for label, c, url in (
        ("queue", agent_client, reverse("tickets:queue") + "?queue=all"),
        ("portal", requester_client, reverse("tickets:portal")),
        ("api", agent_client, "/api/v1/tickets?queue=all"),
    ):
        c.get(url)  # warm again: cached choice lists live 60 s, a slow machine outlasts that
        with django_assert_max_num_queries(limits[label]):
            assert c.get(url).status_code == 200
    assert max(limits.values()) <= 15


def test_ticket_page_query_count_is_bounded(ticket, team_agent, django_assert_max_num_queries):
    for index in range(10):
        ticket_reply(
            ticket=ticket, actor=team_agent, body=f"message {index}", internal=index % 2 == 0
        )
    c = client(team_agent)
    c.get(reverse("tickets:detail", args=[ticket.reference]))
    with django_assert_max_num_queries(12):
        response = c.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200


def test_muted_notifications_are_not_sent(requester, vpn_category, team_agent):
    from relais.core.models import OutboxMessage
    from relais.tickets.services import ticket_reply

    c = client(requester)
    page = c.get(reverse("tickets:notifications")).content.decode()
    assert 'value="agent_reply" checked' in page
    assert "sla_warning" not in page  # desk-only events are not offered to requesters
    c.post(reverse("tickets:notifications"), {"events": ["acknowledgement", "resolution"]})
    ticket = open_ticket(requester, vpn_category)
    ticket_reply(ticket=ticket, actor=team_agent, body="Réponse")
    subjects = [
        m.payload["subject"]
        for m in OutboxMessage.objects.all()
        if requester.email in m.payload["to"]
    ]
    assert len(subjects) == 1  # the acknowledgement only, not the agent's reply


def test_desk_links_tickets_adds_watchers_and_tags(ticket, team_agent, requester, vpn_category):
    from relais.tickets.models import TicketLink

    other = open_ticket(requester, vpn_category, title="Autre")
    colleague = UserFactory(email="collegue@relais.test")
    c = client(team_agent)
    url = reverse("tickets:detail", args=[ticket.reference])
    c.post(
        reverse("tickets:add_link", args=[ticket.reference]),
        {"kind": "related", "target": other.reference.lower()},
    )
    assert TicketLink.objects.filter(source=ticket, target=other, kind="related").exists()
    c.post(
        reverse("tickets:add_watcher", args=[ticket.reference]), {"email": "collegue@relais.test"}
    )
    assert colleague in ticket.watchers.all()
    ticket.refresh_from_db()
    c.post(
        reverse("tickets:edit", args=[ticket.reference]),
        {
            "version": ticket.version,
            "status": ticket.status,
            "team": ticket.team_id,
            "category": ticket.category_id,
            "type": ticket.type,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "tags": "vpn, Télétravail",
        },
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["télétravail", "vpn"]
    page = c.get(url).content.decode()
    assert other.reference in page
    assert "vpn, télétravail" in page or "télétravail, vpn" in page
    # A requester cannot add watchers for others.
    response = client(requester).post(
        reverse("tickets:add_watcher", args=[ticket.reference]), {"email": "collegue@relais.test"}
    )
    assert response.status_code == 403
