"""Reads of the e-mail channel used by other apps' pages."""

from __future__ import annotations

from relais.mail.choices import Outcome
from relais.mail.models import InboundMessage
from relais.tickets.choices import Channel
from relais.tickets.models import Ticket


def opening_mail(ticket: Ticket) -> InboundMessage | None:
    """The mail that opened the ticket, if it came by e-mail (one query, only then)."""
    if ticket.channel != Channel.EMAIL:
        return None
    return (
        InboundMessage.objects.filter(ticket=ticket, outcome=Outcome.CREATED)
        .only("pk")
        .order_by("pk")
        .first()
    )
