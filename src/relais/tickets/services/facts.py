"""The reports' per-ticket fact rows (`TicketFact`), kept exact from the tickets' own writes.

`ticket_fact_sync` is the one hook: `lifecycle._save`, `ticket_open`, `ticket_rate` and the SLA
watch call it in their transaction, right after writing the ticket. `ticket_facts_rebuild`
recomputes every row from the tickets (the `relais reports-rebuild` command, bulk loads, and
the demo seeder); a test checks that both give the same rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery

from relais.accounts.models import User
from relais.tickets.models import Satisfaction, Ticket, TicketFact

# Columns copied from the ticket as they are.
COPIED = (
    "created_at",
    "first_responded_at",
    "resolved_at",
    "status",
    "priority",
    "channel",
    "team_id",
    "category_id",
    "first_response_breached",
    "resolution_breached",
    "reopen_count",
)
REQUESTER = ("org_unit_id", "site_id")
RATING = ("rating", "rated_at", "rating_commented")
FIELDS = (*COPIED, *REQUESTER, "has_sla", "first_response_seconds", "resolution_seconds", *RATING)


def _seconds(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(int((end - start).total_seconds()), 0)


def _values(ticket: Ticket) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(ticket, name) for name in COPIED}
    values["has_sla"] = ticket.first_response_target is not None
    values["first_response_seconds"] = _seconds(ticket.created_at, ticket.first_responded_at)
    values["resolution_seconds"] = _seconds(ticket.created_at, ticket.resolved_at)
    return values


def _rating_values(satisfaction: Satisfaction | None) -> dict[str, Any]:
    if satisfaction is None:
        return {"rating": None, "rated_at": None, "rating_commented": False}
    return {
        "rating": satisfaction.rating,
        "rated_at": satisfaction.created_at,
        "rating_commented": bool(satisfaction.comment),
    }


def ticket_fact_sync(ticket: Ticket, *, created: bool = False) -> None:
    """Bring the ticket's fact row up to date, in the caller's transaction: one UPDATE (the
    requester's org unit and site read by subqueries), or one INSERT for a new ticket."""
    values = _values(ticket)
    if created:
        requester = ticket.requester
        TicketFact.objects.create(
            ticket_id=ticket.pk,
            org_unit_id=requester.org_unit_id,
            site_id=requester.site_id,
            **values,
        )
        return
    person = User.objects.filter(pk=ticket.requester_id)
    updated = TicketFact.objects.filter(pk=ticket.pk).update(
        org_unit_id=Subquery(person.values("org_unit_id")[:1]),
        site_id=Subquery(person.values("site_id")[:1]),
        **values,
    )
    if not updated:  # a ticket written before facts existed, or bulk-loaded
        ticket_facts_rebuild(ticket_ids=[ticket.pk])


def ticket_fact_rate(satisfaction: Satisfaction) -> None:
    """A rating changes only the rating columns (the caller's ticket may be stale)."""
    updated = TicketFact.objects.filter(pk=satisfaction.ticket_id).update(
        **_rating_values(satisfaction)
    )
    if not updated:
        ticket_facts_rebuild(ticket_ids=[satisfaction.ticket_id])


def _fact_rows(tickets: Iterable[dict[str, Any]]) -> list[TicketFact]:
    rows = []
    for row in tickets:
        ticket = Ticket(
            **{k: row[k] for k in COPIED}, first_response_target=row["first_response_target"]
        )
        values = _values(ticket)
        values.update(
            {
                "rating": row["rating"],
                "rated_at": row["rated_at"],
                "rating_commented": bool(row["comment"]),
            }
        )
        rows.append(
            TicketFact(
                ticket_id=row["pk"],
                org_unit_id=row["requester__org_unit_id"],
                site_id=row["requester__site_id"],
                **values,
            )
        )
    return rows


def ticket_facts_fill_missing(*, batch: int = 5000) -> int:
    """Write the facts of tickets that have none (tickets from before the reports existed, or
    loaded in bulk); the nightly job and `relais run` call it, so an upgrade needs no step."""
    written = 0
    while True:
        missing = list(
            Ticket.objects.filter(fact__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not missing:
            return written
        written += ticket_facts_rebuild(ticket_ids=missing, batch=batch)


def ticket_facts_rebuild(*, ticket_ids: list[int] | None = None, batch: int = 5000) -> int:
    """Recompute fact rows from the tickets (all of them, or the given ones). Returns the
    number of rows written."""
    satisfaction = Satisfaction.objects.filter(ticket=OuterRef("pk"))
    source = Ticket.objects.order_by("pk").values(
        "pk",
        *COPIED,
        "first_response_target",
        "requester__org_unit_id",
        "requester__site_id",
        rating=Subquery(satisfaction.values("rating")[:1]),
        rated_at=Subquery(satisfaction.values("created_at")[:1]),
        comment=Subquery(satisfaction.values("comment")[:1]),
    )
    written = 0
    with transaction.atomic():
        if ticket_ids is None:
            TicketFact.objects.all().delete()
        else:
            source = source.filter(pk__in=ticket_ids)
            TicketFact.objects.filter(pk__in=ticket_ids).delete()
        last = 0
        while True:
            chunk = list(source.filter(pk__gt=last)[:batch])
            if not chunk:
                break
            TicketFact.objects.bulk_create(_fact_rows(chunk), batch_size=1000)
            written += len(chunk)
            last = chunk[-1]["pk"]
    return written
