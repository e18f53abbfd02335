"""The threading side of the mail we send about tickets.

Every ticket mail carries our own Message-ID (`<o.<uuid4>@domain>`, from the outbox) which we
remember against the ticket, and References to the ticket's thread root
(`<t.<reference>.<signature>@domain>`, an HMAC of the reference: stable, unguessable, nothing
stored). A reply that quotes either is recognised as belonging to the ticket — provided its
sender is a participant (relais.mail.threads).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from email.utils import parseaddr
from typing import TYPE_CHECKING

from django.conf import settings

from relais.core.outbox import email_message_id
from relais.mail.models import Correspondent, Mailbox, MailReference

if TYPE_CHECKING:
    from relais.core.models import OutboxMessage
    from relais.tickets.models import Ticket

_ROOT = re.compile(r"^<t\.([a-z]{3}-\d{4}-\d{6,})\.([0-9a-f]{20})@([^>]+)>$")


def _signature(reference: str) -> str:
    key = hashlib.sha256(b"relais-mail-thread:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, reference.lower().encode(), hashlib.sha256).hexdigest()[:20]


def thread_root_id(ticket: Ticket) -> str:
    reference = ticket.reference.lower()
    return f"<t.{reference}.{_signature(reference)}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


def reference_from_root_id(message_id: str) -> str | None:
    """The ticket reference a thread-root Message-ID names, if the signature is ours."""
    match = _ROOT.match(message_id.strip().lower())
    if not match:
        return None
    reference, signature, _domain = match.groups()
    if not hmac.compare_digest(signature, _signature(reference)):
        return None
    return reference.upper()


def thread_headers(ticket: Ticket) -> dict[str, str]:
    """In-Reply-To and References for a new mail on the ticket: the root, and the last
    message that came in by mail (so that the requester's client threads our answer under
    their own mail)."""
    root = thread_root_id(ticket)
    last_inbound = (
        MailReference.objects.filter(ticket=ticket, outbound=False)
        .order_by("-created_at", "-pk")
        .values_list("message_id", flat=True)
        .first()
    )
    if last_inbound:
        return {"In-Reply-To": last_inbound, "References": f"{root} {last_inbound}"}
    return {"In-Reply-To": root, "References": root}


def remember(*, ticket: Ticket, message: OutboxMessage, address: str) -> None:
    MailReference.objects.create(
        message_id=email_message_id(message),
        ticket=ticket,
        outbound=True,
        address=address.lower()[:254],
    )


# The mailboxes' addresses, which every message and every notification needs: kept for
# MAILBOX_ADDRESSES_TTL seconds, and forgotten at once in the process that saves or deletes a
# mailbox (relais.mail.signals); other processes (the poller, the worker) see the change within
# the TTL. Our own mail is recognised by its Auto-Submitted header meanwhile.
MAILBOX_ADDRESSES_TTL = 30.0
_mailbox_addresses: tuple[float, list[tuple[str, bool]]] | None = None


def mailbox_addresses() -> list[tuple[str, bool]]:
    """(address, active) of every mailbox, oldest first."""
    global _mailbox_addresses
    now = time.monotonic()
    if _mailbox_addresses is None or now - _mailbox_addresses[0] > MAILBOX_ADDRESSES_TTL:
        addresses = [
            (address.lower(), active)
            for address, active in Mailbox.objects.order_by("pk").values_list(
                "address", "is_active"
            )
        ]
        _mailbox_addresses = (now, addresses)
    return _mailbox_addresses[1]


def forget_mailbox_addresses() -> None:
    global _mailbox_addresses
    _mailbox_addresses = None


def own_addresses() -> set[str]:
    """Every address that is ours: mail from one of them is a loop."""
    addresses = {address for address, _active in mailbox_addresses()}
    for value in (settings.MAIL_DESK_ADDRESS, settings.DEFAULT_FROM_EMAIL):
        address = parseaddr(value or "")[1].lower()
        if address:
            addresses.add(address)
    return addresses


def reply_to_address() -> str:
    """Where answers to our mail must go: the desk's address, if there is one."""
    if settings.MAIL_DESK_ADDRESS:
        return str(settings.MAIL_DESK_ADDRESS)
    return next((address for address, active in mailbox_addresses() if active), "")


def deliverable(addresses: Iterable[str]) -> set[str]:
    """The addresses (lowercased) we may send to: not a reserved `.invalid` one, not one
    whose mail bounces (until mail from it arrives again)."""
    wanted = {a.lower() for a in addresses if a and not a.lower().endswith(".invalid")}
    if not wanted:
        return set()
    blocked = set(
        Correspondent.objects.filter(address__in=wanted, bouncing_since__isnull=False).values_list(
            "address", flat=True
        )
    )
    return wanted - blocked
