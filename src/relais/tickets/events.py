"""History writers: every change to a ticket leaves one row, written by the service that made it
(who, what, old → new, channel). Values are codes, never translated labels."""

from __future__ import annotations

from typing import Any

from relais.tickets.choices import EventKind
from relais.tickets.models import Ticket, TicketEvent


def _code(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def event_record(
    *,
    ticket: Ticket,
    kind: EventKind,
    actor: Any = None,
    channel: str = "",
    field: str = "",
    old: Any = None,
    new: Any = None,
    internal: bool = False,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        channel=channel,
        field=field,
        old_value=_code(old),
        new_value=_code(new),
        is_internal=internal,
    )


# Fields whose changes the requester does not see in their timeline.
INTERNAL_FIELDS = frozenset({"team", "assignee", "tags", "impact", "urgency", "is_major"})
