"""Webhook delivery: Standard Webhooks signature, formats, retries policy and egress checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from relais.accounts.models import User
from relais.core.choices import OutboxKind, OutboxStatus
from relais.core.models import OutboxMessage
from relais.core.services import outbox_deliver, outbox_enqueue
from relais.monitoring import secrets
from relais.monitoring.models import AlertChannel
from relais.monitoring.webhooks import render
from tests.monitoring.servers import TargetServer

EVENT = {
    "type": "incident.down",
    "timestamp": "2026-11-02T09:00:00+00:00",
    "data": {
        "incident_id": 1,
        "service": "VPN",
        "title": "VPN est indisponible",
        "impact": "down",
        "status": "investigating",
        "started_at": "2026-11-02T09:00:00+00:00",
        "url": "http://relais.test/veille/incidents/1/",
    },
}
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()


@pytest.fixture(autouse=True)
def _loopback_receiver(settings: Any) -> None:
    settings.MONITORING_WEBHOOK_ALLOW_LOOPBACK = True


def channel(url: str, kind: str = "webhook") -> AlertChannel:
    return AlertChannel.objects.create(
        name="Récepteur", kind=kind, target=url, secret_encrypted=secrets.encrypt(SECRET)
    )


def send(ch: AlertChannel, fmt: str = "webhook") -> OutboxMessage:
    message = outbox_enqueue(
        kind=OutboxKind.WEBHOOK, payload={"channel_id": ch.pk, "format": fmt, "event": EVENT}
    )
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    return message


def test_signed_delivery_verifiable_by_the_receiver(target_server: TargetServer, db: Any) -> None:
    message = send(channel(target_server.url("/hook")))
    assert message.status == OutboxStatus.SENT
    received = target_server.received[-1]
    headers = {k.lower(): v for k, v in received["headers"].items()}
    assert headers["webhook-id"] == f"msg_{message.uid}"
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received["body"]
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert json.loads(received["body"])["type"] == "incident.down"


def test_retries_share_the_same_webhook_id(target_server: TargetServer, db: Any) -> None:
    message = send(channel(target_server.url("/status/500")))
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    outbox_deliver(message_id=message.pk)
    ids = {
        {k.lower(): v for k, v in r["headers"].items()}["webhook-id"]
        for r in target_server.received
    }
    assert ids == {f"msg_{message.uid}"}


def test_4xx_is_permanent_and_410_disables_the_channel(
    target_server: TargetServer, db: Any
) -> None:
    assert send(channel(target_server.url("/status/400"))).status == OutboxStatus.DEAD
    assert send(channel(target_server.url("/status/429"))).status == OutboxStatus.PENDING
    gone = channel(target_server.url("/status/410"))
    assert send(gone).status == OutboxStatus.DEAD
    gone.refresh_from_db()
    assert gone.is_enabled is False


def test_redirect_to_a_forbidden_address_is_refused(target_server: TargetServer, db: Any) -> None:
    target_server.redirect_to = "http://169.254.169.254/latest/meta-data/"
    message = send(channel(target_server.url("/redirect")))
    assert message.status == OutboxStatus.DEAD
    assert "egress policy" in message.last_error


def test_loopback_destination_refused_at_send_time(
    target_server: TargetServer, db: Any, settings: Any
) -> None:
    ch = channel(target_server.url("/hook"))
    settings.MONITORING_WEBHOOK_ALLOW_LOOPBACK = False
    assert send(ch).status == OutboxStatus.DEAD
    assert target_server.received == []


def test_teams_and_slack_formats() -> None:
    card = render("teams", EVENT)
    content = card["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard"
    assert content["body"][0]["text"] == "VPN: VPN est indisponible"
    slack = render("slack", EVENT)
    assert "VPN est indisponible" in slack["text"] and slack["blocks"]


def test_channel_secret_is_stored_encrypted(admin_user: User) -> None:
    from relais.monitoring import services

    ch = services.channel_create(
        actor=admin_user,
        name="SIEM",
        kind="webhook",
        target="https://93.184.215.14/h",
        signing_secret=SECRET,
    )
    stored = AlertChannel.objects.values_list("secret_encrypted", flat=True).get(pk=ch.pk)
    assert SECRET not in stored and secrets.decrypt_text(stored) == SECRET
