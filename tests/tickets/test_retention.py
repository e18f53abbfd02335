"""Closed tickets are archived after TICKET_ARCHIVE_YEARS and anonymised after
TICKET_RETENTION_YEARS (time-travelled: the job runs "years later"); what reports need stays.
The archive itself (who sees what, resumability) is tested in test_archive.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from relais.mail.models import InboundMessage
from relais.mail.services import ingest
from relais.search.models import SearchEntry
from relais.tickets.choices import TicketStatus
from relais.tickets.models import Attachment, Satisfaction, Ticket
from relais.tickets.services import ticket_reply, tickets_retention_run
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


def _closed(ticket: Ticket, years_ago: float) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        status=TicketStatus.CLOSED, closed_at=timezone.now() - timedelta(days=365 * years_ago)
    )


def test_old_closed_tickets_lose_their_content_and_requester_once(  # type: ignore[no-untyped-def]
    requester, vpn_category, team_agent, settings, django_capture_on_commit_callbacks: Any
):
    settings.TICKET_ARCHIVE_YEARS = 2
    settings.TICKET_RETENTION_YEARS = 5
    with django_capture_on_commit_callbacks(execute=True):
        old = open_ticket(
            requester,
            vpn_category,
            title="Le PC de Mme Durand ne démarre plus",
            attachments=[SimpleUploadedFile("capture.png", PNG, content_type="image/png")],
        )
        ticket_reply(ticket=old, actor=requester, body="Mon numéro : 06 12 34 56 78")
        mail = ingest(
            f"From: Camille Martin <{requester.email}>\r\nTo: support@relais.test\r\n"
            "Subject: Re\r\nMessage-ID: <ret-1@client.example>\r\n\r\nEncore moi.\r\n".encode()
        ).inbound
        InboundMessage.objects.filter(pk=mail.pk).update(ticket=old)
    Satisfaction.objects.create(ticket=old, rating=2, comment="Mme Durand attend toujours")
    recent = open_ticket(requester, vpn_category, title="Imprimante")
    still_open = open_ticket(requester, vpn_category, title="Écran")
    _closed(old, 6)
    _closed(recent, 4)
    Ticket.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=3000))
    stored = Attachment.objects.get(ticket=old).storage_name
    assert SearchEntry.objects.filter(kind="ticket", object_id=old.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_retention_run() == (2, 1)  # old and recent archived, old anonymised
    old.refresh_from_db()
    assert old.reference and old.category_id == vpn_category.pk  # what reports need stays
    assert old.status == TicketStatus.CLOSED and old.closed_at and old.anonymised_at
    assert "Durand" not in old.title and old.description == ""
    assert old.requester.email == "anonyme@relais.invalid" and not old.requester.is_active
    assert all(m.body == "" for m in old.messages.all())
    assert not Attachment.objects.filter(ticket=old).exists()
    assert not default_storage.exists(stored)
    assert Satisfaction.objects.get(ticket=old).rating == 2
    assert Satisfaction.objects.get(ticket=old).comment == ""
    assert not SearchEntry.objects.filter(kind="ticket", object_id=old.pk).exists()
    mail.refresh_from_db()
    assert mail.sender == "" and mail.raw_purged_at and not default_storage.exists(mail.raw_name)
    for kept in (recent, still_open):
        kept.refresh_from_db()
        assert kept.anonymised_at is None and kept.requester_id == requester.pk
    assert recent.archived_at is not None and still_open.archived_at is None
    # Idempotent: the next night finds nothing to do.
    assert tickets_retention_run() == (0, 0)


def test_retention_zero_keeps_everything(requester, vpn_category, settings):  # type: ignore[no-untyped-def]
    settings.TICKET_RETENTION_YEARS = 0
    ticket = open_ticket(requester, vpn_category)
    _closed(ticket, 30)
    assert tickets_retention_run() == (1, 0)  # archived (TICKET_ARCHIVE_YEARS), never deleted
    ticket.refresh_from_db()
    assert ticket.anonymised_at is None and ticket.title != "Demande anonymisée"
