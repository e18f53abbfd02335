"""Ticket services. Every write on tickets goes through these functions."""

from relais.tickets.services.clock import sla_watch
from relais.tickets.services.lifecycle import (
    ConflictError,
    TicketDraft,
    attachments_sweep_orphans,
    priority_compute,
    reference_next,
    ticket_close,
    ticket_flag_major,
    ticket_join_major,
    ticket_link,
    ticket_merge,
    ticket_open,
    ticket_rate,
    ticket_reopen,
    ticket_reply,
    ticket_update,
    ticket_watch,
    tickets_auto_close,
)

__all__ = [
    "ConflictError",
    "TicketDraft",
    "attachments_sweep_orphans",
    "priority_compute",
    "reference_next",
    "sla_watch",
    "ticket_close",
    "ticket_flag_major",
    "ticket_join_major",
    "ticket_link",
    "ticket_merge",
    "ticket_open",
    "ticket_rate",
    "ticket_reopen",
    "ticket_reply",
    "ticket_update",
    "ticket_watch",
    "tickets_auto_close",
]
