"""SECURITY.md A4, the webhook channel: an internal note on the major-incident ticket (its
text and its attachment's name) reaches no webhook payload, in any format, at any step of
the incident."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from relais.accounts.models import User
from relais.core.choices import OutboxKind
from relais.core.models import OutboxMessage
from relais.monitoring import services
from relais.monitoring.models import Check, Incident
from relais.monitoring.webhooks import render
from relais.tickets.models import Ticket
from relais.tickets.services import ticket_reply
from tests.monitoring.test_state_machine import T0, feed

CANARY = "CANARY-note-90b4"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


def test_no_webhook_payload_carries_an_internal_note(
    admin_user: User, vpn_check: Check, django_capture_on_commit_callbacks: Any
) -> None:
    for kind in ("webhook", "teams", "slack"):
        services.channel_create(
            actor=admin_user, name=kind, kind=kind, target=f"https://93.184.215.14/{kind}"
        )
    feed(vpn_check, "DDD")
    incident = Incident.objects.get()
    ticket = Ticket.objects.get(pk=incident.ticket_id)
    ticket_reply(
        ticket=ticket,
        actor=admin_user,
        body=f"Cause probable : {CANARY}",
        internal=True,
        attachments=[SimpleUploadedFile(f"{CANARY}.png", PNG, "image/png")],
    )
    feed(vpn_check, "DDDD", start=T0 + timedelta(minutes=5))
    feed(vpn_check, "UUU", start=T0 + timedelta(minutes=10))
    rows = list(OutboxMessage.objects.filter(kind=OutboxKind.WEBHOOK))
    assert {row.payload["event"]["type"] for row in rows} >= {"incident.down"}
    assert len(rows) >= 6  # down and recovered, to each of the three channels
    for row in rows:
        body = json.dumps(render(row.payload.get("format", "webhook"), row.payload["event"]))
        assert CANARY not in body and CANARY not in json.dumps(row.payload)
