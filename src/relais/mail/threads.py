"""Which ticket an inbound message belongs to, if any.

A message joins a ticket only when (1) its In-Reply-To or References name a Message-ID tied to
that ticket — one we sent (unguessable), our thread root (signed), or one we already filed on
it (a person replying to their own earlier mail) — and (2) its sender takes part in the ticket.
A subject tag such as "[INC-2026-000123]" is never enough: anyone can type it.
"""

from __future__ import annotations

from dataclasses import dataclass

from relais.accounts.models import User
from relais.mail.models import MailReference
from relais.mail.outbound import reference_from_root_id
from relais.mail.parsing import ParsedMail
from relais.tickets import permissions
from relais.tickets.models import Ticket


@dataclass(frozen=True)
class Thread:
    ticket: Ticket
    via: str  # the Message-ID that tied the message to the ticket


def find_thread(parsed: ParsedMail) -> Thread | None:
    ids = parsed.thread_ids
    if not ids:
        return None
    references = {
        ref.message_id: ref
        for ref in MailReference.objects.filter(message_id__in=ids).select_related("ticket")
    }
    roots = {mid: reference_from_root_id(mid) for mid in ids}
    root_tickets = {
        t.reference: t
        for t in Ticket.objects.filter(reference__in=[r for r in roots.values() if r])
    }
    for mid in ids:  # nearest first: In-Reply-To, then References from the newest
        if mid in references:
            return Thread(references[mid].ticket, mid)
        reference = roots.get(mid)
        if reference and reference in root_tickets:
            return Thread(root_tickets[reference], mid)
    return None


def is_participant(ticket: Ticket, *, address: str, user: User | None) -> bool:
    """The sender takes part in the ticket: its requester, opener or a watcher, its contact,
    someone of the desk who works on it, or the address one of our mails on it went to."""
    address = address.lower()
    if ticket.contact_email and ticket.contact_email.lower() == address:
        return True
    if user is not None and user.is_active:
        if user.pk in {ticket.requester_id, ticket.created_by_id}:
            return True
        if ticket.watchers.filter(pk=user.pk).exists():
            return True
        if permissions.is_desk(user) and permissions.tickets.works_on(user, ticket):
            return True
    return MailReference.objects.filter(ticket=ticket, outbound=True, address=address).exists()
