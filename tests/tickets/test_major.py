"""Major incidents: affected people join, one update reaches all, resolution cascades;
duplicates are merged; resolved tickets close by themselves; orphan files are swept."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from relais.core.files import store_upload
from relais.core.models import OutboxMessage
from relais.tickets.choices import LinkKind, TicketStatus
from relais.tickets.models import Ticket, TicketLink
from relais.tickets.services import (
    attachments_sweep_orphans,
    ticket_flag_major,
    ticket_join_major,
    ticket_merge,
    ticket_reply,
    ticket_update,
    tickets_auto_close,
)
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db


def test_major_incident_updates_and_resolution_reach_every_affected_person(
    ticket, team_agent, requester
):
    ticket_flag_major(ticket=ticket, actor=team_agent)
    ticket.refresh_from_db()
    affected = [UserFactory() for _ in range(3)]
    children = [ticket_join_major(parent=ticket, actor=person) for person in affected]
    assert ticket_join_major(parent=ticket, actor=affected[0]) == children[0]  # idempotent
    assert ticket.children.count() == 3

    OutboxMessage.objects.all().delete()
    ticket_reply(ticket=ticket, actor=team_agent, body="Le fournisseur intervient.")
    recipients = {address for m in OutboxMessage.objects.all() for address in m.payload["to"]}
    assert {p.email for p in affected} | {requester.email} <= recipients
    for child in children:
        assert child.messages.filter(body="Le fournisseur intervient.").exists()

    ticket.refresh_from_db()
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED, "resolution": "Lien rétabli."},
        expected_version=ticket.version,
    )
    for child in Ticket.objects.filter(parent=ticket):
        assert child.status == TicketStatus.RESOLVED
        assert child.resolution == "Lien rétabli."


def test_portal_offers_i_am_affected_instead_of_a_new_ticket(ticket, team_agent):
    ticket_flag_major(ticket=ticket, actor=team_agent)
    colleague = UserFactory()
    client = client_for(colleague)
    page = client.get(reverse("tickets:new")).content.decode()
    assert ticket.title in page
    response = client.post(reverse("tickets:join_major", args=[ticket.reference]))
    child = Ticket.objects.get(parent=ticket, requester=colleague)
    assert response["Location"] == reverse("tickets:detail", args=[child.reference])


def test_cannot_join_a_resolved_or_ordinary_ticket(ticket, team_agent):
    with pytest.raises(ValidationError):
        ticket_join_major(parent=ticket, actor=UserFactory())


def test_merge_closes_the_duplicate_and_moves_its_requester(ticket, requester, vpn_category):
    supervisor = UserFactory(role="supervisor")
    colleague = UserFactory()
    duplicate = open_ticket(colleague, vpn_category)
    ticket_merge(duplicate=duplicate, into=ticket, actor=supervisor)
    duplicate.refresh_from_db()
    assert duplicate.status == TicketStatus.CLOSED
    assert ticket.reference in duplicate.resolution
    assert TicketLink.objects.filter(
        source=duplicate, target=ticket, kind=LinkKind.DUPLICATE_OF
    ).exists()
    assert colleague in ticket.watchers.all()
    # The colleague now follows the surviving ticket.
    assert (
        client_for(colleague).get(reverse("tickets:detail", args=[ticket.reference])).status_code
        == 200
    )


def test_resolved_tickets_close_after_the_delay(ticket, team_agent):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=ticket.version,
    )
    assert tickets_auto_close() == 0
    assert tickets_auto_close(now=timezone.now() + timedelta(days=8)) == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert tickets_auto_close(now=timezone.now() + timedelta(days=8)) == 0


def test_orphan_files_are_swept_but_referenced_ones_kept(ticket, team_agent, settings):
    ticket_reply(
        ticket=ticket,
        actor=team_agent,
        body="fichier",
        attachments=[SimpleUploadedFile("a.txt", b"kept")],
    )
    orphan = store_upload(SimpleUploadedFile("b.txt", b"orphan"), folder="attachments")
    old = time.time() - 2 * 86400
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        for name in files:
            os.utime(os.path.join(root, name), (old, old))
    assert attachments_sweep_orphans(older_than=timedelta(hours=24)) == 1
    assert not os.path.exists(os.path.join(settings.MEDIA_ROOT, orphan.storage_name))
    assert attachments_sweep_orphans(older_than=timedelta(hours=24)) == 0
