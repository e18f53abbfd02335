"""Ticket notifications, written to the outbox in the transaction of the change.

A requester-facing notification never carries internal content (notes, internal attachments,
assignment details) and never a login-free link: links open Relais, which asks to sign in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from relais.accounts.models import User
from relais.core.services import email_enqueue
from relais.core.text import render_text
from relais.mail import outbound
from relais.mail.quoting import REPLY_MARKER
from relais.tickets.choices import Channel, NotificationEvent
from relais.tickets.models import NotificationPreference, Ticket


def _subject(event: NotificationEvent, ticket: Ticket) -> str:
    subjects = {
        NotificationEvent.ACKNOWLEDGEMENT: _("[%(ref)s] Your request has been received"),
        NotificationEvent.AGENT_REPLY: _("[%(ref)s] New reply to your request"),
        NotificationEvent.STATUS_CHANGE: _("[%(ref)s] Your request is now: %(status)s"),
        NotificationEvent.RESOLUTION: _("[%(ref)s] Your request has been resolved"),
        NotificationEvent.ASSIGNED_TO_ME: _("[%(ref)s] Ticket assigned to you"),
        NotificationEvent.ASSIGNED_TO_TEAM: _("[%(ref)s] New ticket for your team"),
        NotificationEvent.REQUESTER_REPLY: _("[%(ref)s] The requester replied"),
        NotificationEvent.SLA_WARNING: _("[%(ref)s] SLA deadline approaching"),
        NotificationEvent.SLA_BREACH: _("[%(ref)s] SLA deadline missed"),
    }
    return subjects[event] % {"ref": ticket.reference, "status": ticket.get_status_display()}


def _muted(users: list[User]) -> dict[int, set[str]]:
    return {
        pref.user_id: set(pref.muted)
        for pref in NotificationPreference.objects.filter(user__in=users)
    }


# What the requester's side receives; a contact who wrote in by e-mail receives these too.
REQUESTER_EVENTS = frozenset(
    {
        NotificationEvent.ACKNOWLEDGEMENT,
        NotificationEvent.AGENT_REPLY,
        NotificationEvent.STATUS_CHANGE,
        NotificationEvent.RESOLUTION,
    }
)


@dataclass(frozen=True)
class _Recipient:
    address: str
    language: str
    short_name: str
    user: User | None = None


def _recipients(
    event: NotificationEvent,
    ticket: Ticket,
    users: Iterable[User | None],
    *,
    actor: User | None,
    exclude_actor: bool,
) -> list[_Recipient]:
    unique: dict[int, User] = {}
    for user in users:
        if user is None or not user.is_active or not user.email:
            continue
        if exclude_actor and actor is not None and user.pk == actor.pk:
            continue
        unique[user.pk] = user
    muted = _muted(list(unique.values())) if unique else {}
    found = [
        _Recipient(
            address=user.email,
            language=user.language or settings.LANGUAGE_CODE,
            short_name=user.get_short_name(),
            user=user,
        )
        for user in unique.values()
        if event not in muted.get(user.pk, set())
    ]
    if event in REQUESTER_EVENTS and ticket.channel == Channel.EMAIL and ticket.contact_email:
        found.append(
            _Recipient(
                address=ticket.contact_email,
                language=settings.LANGUAGE_CODE,
                short_name=ticket.contact_name or "",
            )
        )
    deliverable = outbound.deliverable({r.address for r in found})
    seen: set[str] = set()
    kept = []
    for recipient in found:
        key = recipient.address.lower()
        if key in deliverable and key not in seen:
            seen.add(key)
            kept.append(recipient)
    return kept


def notify(
    event: NotificationEvent,
    ticket: Ticket,
    recipients: Iterable[User | None],
    *,
    actor: User | None = None,
    body: str = "",
    exclude_actor: bool = True,
) -> int:
    """Queue one e-mail per recipient in their language, threaded on the ticket (Message-ID,
    In-Reply-To, References), with a "reply above this line" marker and an HTML part.
    Returns how many were queued."""
    people = _recipients(event, ticket, recipients, actor=actor, exclude_actor=exclude_actor)
    if not people:
        return 0
    url = settings.SITE_URL + reverse("tickets:detail", args=[ticket.reference])
    thread = outbound.thread_headers(ticket)
    reply_to = outbound.reply_to_address()
    for person in people:
        with translation.override(person.language):
            context: dict[str, Any] = {
                "event": event,
                "ticket": ticket,
                "short_name": person.short_name,
                "body": body,
                "url": url,
                "marker": str(REPLY_MARKER),
                "resolution": ticket.resolution if event == NotificationEvent.RESOLUTION else "",
            }
            text = render_text("tickets/email/notification.txt", context)
            html = render_to_string("tickets/email/notification.html", context)
            subject = _subject(event, ticket)
        headers = {"X-Relais-Ticket": ticket.reference, **thread}
        if reply_to:
            headers["Reply-To"] = reply_to
        message = email_enqueue(
            to=[person.address], subject=subject, text=text, html=html, headers=headers
        )
        outbound.remember(ticket=ticket, message=message, address=person.address)
    return len(people)
