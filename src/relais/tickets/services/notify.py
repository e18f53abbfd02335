"""Ticket notifications, written to the outbox in the transaction of the change.

A requester-facing notification never carries internal content (notes, internal attachments,
assignment details) and never a login-free link: links open Relais, which asks to sign in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from relais.accounts.models import User
from relais.core.services import email_enqueue
from relais.core.text import render_text
from relais.tickets.choices import NotificationEvent
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


def notify(
    event: NotificationEvent,
    ticket: Ticket,
    recipients: Iterable[User | None],
    *,
    actor: User | None = None,
    body: str = "",
    exclude_actor: bool = True,
) -> int:
    """Queue one e-mail per recipient in their language. Returns how many were queued."""
    unique: dict[int, User] = {}
    for user in recipients:
        if user is None or not user.is_active or not user.email:
            continue
        if exclude_actor and actor is not None and user.pk == actor.pk:
            continue
        unique[user.pk] = user
    if not unique:
        return 0
    muted = _muted(list(unique.values()))
    url = settings.SITE_URL + reverse("tickets:detail", args=[ticket.reference])
    queued = 0
    for user in unique.values():
        if event in muted.get(user.pk, set()):
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            context: dict[str, Any] = {
                "event": event,
                "ticket": ticket,
                "recipient": user,
                "body": body,
                "url": url,
                "resolution": ticket.resolution if event == NotificationEvent.RESOLUTION else "",
            }
            text = render_text("tickets/email/notification.txt", context)
            subject = _subject(event, ticket)
        email_enqueue(
            to=[user.email],
            subject=subject,
            text=text,
            headers={"X-Relais-Ticket": ticket.reference},
        )
        queued += 1
    return queued
