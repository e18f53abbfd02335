"""Webhook delivery for the outbox (OutboxKind.WEBHOOK): generic JSON signed per Standard
Webhooks, a Microsoft Teams card or a Slack message.

The destination is re-validated at send time and at every redirect (public addresses only,
at most 3 hops) and the connection goes to the address that was validated, so a DNS answer
that changes in between cannot redirect it (SECURITY.md C1–C3). Every retry of a message
carries the same webhook-id (the outbox row's uid).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any

from relais.core.choices import OutboxKind
from relais.core.outbox import PermanentDeliveryError, register
from relais.monitoring import secrets
from relais.monitoring.targets import (
    ForbiddenDestination,
    RedirectGuard,
    TooManyRedirects,
    public_destination,
)

if TYPE_CHECKING:
    from relais.core.models import OutboxMessage

TIMEOUT = 10


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` over `id.timestamp.body`, key = the secret after `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def render(fmt: str, event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]
    headline = f"{data['service']}: {data['title']}"
    if fmt == "teams":
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {
                                "type": "TextBlock",
                                "text": headline,
                                "weight": "Bolder",
                                "wrap": True,
                            },
                            {
                                "type": "FactSet",
                                "facts": [
                                    {"title": "Event", "value": event["type"]},
                                    {"title": "Impact", "value": data["impact"]},
                                    {"title": "Since", "value": data["started_at"]},
                                ],
                            },
                        ],
                        "actions": [
                            {"type": "Action.OpenUrl", "title": "Relais", "url": data["url"]}
                        ],
                    },
                }
            ],
        }
    if fmt == "slack":
        text = f"*{event['type']}* — {headline} (<{data['url']}|Relais>)"
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    return event


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a validated address, with SNI and certificate checks on the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to a public address, following at most 3 redirects, each re-validated."""
    try:
        guard = RedirectGuard(url, public_destination)
        destination = guard.destination
        while destination is not None:
            cls = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
            connection = cls(
                destination.host, str(destination.addresses[0]), destination.port, TIMEOUT
            )
            try:
                connection.request(
                    "POST",
                    destination.path,
                    body=body,
                    headers={**headers, "Host": destination.netloc},
                )
                response = connection.getresponse()
                response.read(65536)
                status = response.status
                location = response.getheader("Location")
            finally:
                connection.close()
            destination = guard.follow(status, location)
    except ForbiddenDestination as exc:
        raise PermanentDeliveryError("destination refused by the egress policy") from exc
    except TooManyRedirects as exc:
        raise PermanentDeliveryError("too many redirects") from exc
    return status


@register(OutboxKind.WEBHOOK)
def deliver_webhook(message: OutboxMessage) -> None:
    from relais.monitoring.models import AlertChannel

    payload = message.payload
    channel = AlertChannel.objects.filter(pk=payload.get("channel_id"), is_enabled=True).first()
    if channel is None:
        raise PermanentDeliveryError("the channel no longer exists or is disabled")
    body = json.dumps(render(payload.get("format", "webhook"), payload["event"])).encode()
    timestamp = int(time.time())
    msg_id = f"msg_{message.uid}"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Relais-Veille/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
    }
    secret = secrets.decrypt_text(channel.secret_encrypted)
    if secret:
        headers["webhook-signature"] = sign(secret, msg_id, timestamp, body)
    status = post(channel.target, body, headers)
    if 200 <= status < 300:
        return
    if status == 410:
        AlertChannel.objects.filter(pk=channel.pk).update(is_enabled=False)
        raise PermanentDeliveryError("HTTP 410: the receiver is gone; channel disabled")
    if 400 <= status < 500 and status not in (408, 429):
        raise PermanentDeliveryError(f"HTTP {status}")
    raise RuntimeError(f"HTTP {status}")
