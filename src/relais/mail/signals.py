"""Receivers: a ticket mail dead-lettered by the outbox shows on its ticket."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from relais.core.choices import OutboxKind
from relais.core.services import outbox_dead


@receiver(outbox_dead, dispatch_uid="mail.outbound_failed")
def _outbound_failed(sender: Any, message: Any, error: str, **kwargs: Any) -> None:
    if message.kind != OutboxKind.EMAIL:
        return
    from relais.mail.services import outbound_failed

    outbound_failed(payload=message.payload, error=error)
