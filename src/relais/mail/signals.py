"""Receivers: a ticket mail dead-lettered by the outbox shows on its ticket; a saved mailbox
refreshes the addresses we know as ours."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from relais.core.choices import OutboxKind
from relais.core.services import outbox_dead
from relais.mail.models import Mailbox
from relais.tickets.signals import ticket_anonymised


@receiver(outbox_dead, dispatch_uid="mail.outbound_failed")
def _outbound_failed(sender: Any, message: Any, error: str, **kwargs: Any) -> None:
    if message.kind != OutboxKind.EMAIL:
        return
    from relais.mail.services import outbound_failed

    outbound_failed(payload=message.payload, error=error)


@receiver(ticket_anonymised, dispatch_uid="mail.ticket_anonymised")
def _ticket_anonymised(sender: Any, ticket: Any, now: Any, **kwargs: Any) -> None:
    from relais.mail.services import ticket_mail_anonymise

    ticket_mail_anonymise(ticket=ticket, now=now)


@receiver(post_save, sender=Mailbox, dispatch_uid="mail.mailbox_saved")
@receiver(post_delete, sender=Mailbox, dispatch_uid="mail.mailbox_deleted")
def _mailbox_changed(sender: Any, **kwargs: Any) -> None:
    from relais.mail.outbound import forget_mailbox_addresses

    forget_mailbox_addresses()
