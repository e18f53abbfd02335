"""Reads of tickets shared by the HTML views and the API, starting from the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from relais.accounts.models import User
from relais.tickets import permissions
from relais.tickets.choices import OPEN_STATUSES, MessageKind, TicketStatus
from relais.tickets.filters import Queue, apply_filters
from relais.tickets.models import (
    Attachment,
    Category,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
)

# The columns a list shows (queue page and API list): loading whole rows costs more than the
# query itself at volume.
LIST_FIELDS = (
    "reference",
    "type",
    "title",
    "status",
    "priority",
    "impact",
    "urgency",
    "channel",
    "is_major",
    "version",
    "created_at",
    "updated_at",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "sla_paused_since",
    "first_response_breached",
    "resolution_breached",
    "team_id",
    "parent_id",
    "category_id",
    "requester_id",
    "assignee_id",
)


def ticket_list(*, viewer: Any, filters: dict[str, Any]) -> QuerySet[Ticket]:
    # Related rows come from small IN (…) queries rather than joins: on PostgreSQL, planning
    # a seven-way join with the visibility OR costs ~10 ms, more than running it.
    # The "mine" and "my teams" queues of a desk member are subsets of what they may see:
    # starting from them, rather than from the visibility OR, lets PostgreSQL answer from the
    # partial indexes on open tickets alone (index-only counts).
    # (Both queues hold open tickets only, never archived ones.)
    if permissions.is_desk(viewer) and filters.get("queue") in {Queue.MINE, Queue.TEAM}:
        base = Ticket.objects.all()
    elif _not_closed(filters):
        base = permissions.tickets.scope_not_closed(viewer)
    else:
        base = permissions.tickets.scope(viewer)
    # What a row shows of related rows is attached to the page by `with_list_relations`.
    qs = base.only(*LIST_FIELDS)
    return apply_filters(qs, filters, viewer)


def _not_closed(filters: dict[str, Any]) -> bool:
    """The filters keep closed tickets out (so archived ones too)."""
    if filters.get("queue") in {Queue.MINE, Queue.TEAM, Queue.UNASSIGNED, Queue.BREACHING}:
        return True
    if filters.get("open") is True:
        return True
    statuses = filters.get("status") or []
    return bool(statuses) and TicketStatus.CLOSED not in statuses


def with_list_relations(tickets: Any) -> list[Ticket]:
    """A page of `ticket_list` with what its rows show: the requester's and the assignee's
    names in one query, the category (with its parent) and the team from the desk's
    reference data, which every process keeps in memory (`tickets.config`)."""
    from relais.tickets.config import desk_config

    page = list(tickets)
    people_ids = {t.requester_id for t in page} | {t.assignee_id for t in page if t.assignee_id}
    people = (
        {u.pk: u for u in User.objects.filter(pk__in=people_ids).only("display_name")}
        if people_ids
        else {}
    )
    config = desk_config()
    for ticket in page:
        Ticket.requester.field.set_cached_value(ticket, people.get(ticket.requester_id))
        Ticket.assignee.field.set_cached_value(
            ticket, people.get(ticket.assignee_id) if ticket.assignee_id else None
        )
        _attach_reference_data(ticket, config)
    return page


def _attach_reference_data(ticket: Ticket, config: Any) -> None:
    """The ticket's category (with its parent) and team from the desk snapshot instead of a
    join: shared instances, read-only."""
    category = config.categories.get(ticket.category_id)
    if category is not None:
        Ticket.category.field.set_cached_value(ticket, category)
    Ticket.team.field.set_cached_value(
        ticket, config.teams.get(ticket.team_id) if ticket.team_id else None
    )


def portal_tickets(*, viewer: Any, open_only: bool | None = None) -> QuerySet[Ticket]:
    """A person's own requests (requested, opened for them, or watched)."""
    qs = (
        # requested, opened or watched: a union of indexed lookups, not an OR over every ticket
        Ticket.objects.filter(pk__in=permissions.tickets.own_ids(viewer), archived_at__isnull=True)
        .select_related("category", "category__parent")
        .annotate(public_replies=Count("messages", filter=Q(messages__kind=MessageKind.REPLY)))
        .order_by("-updated_at", "-id")
    )
    if open_only is True:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif open_only is False:
        qs = qs.exclude(status__in=OPEN_STATUSES)
    return qs


def ticket_detail(*, viewer: Any, reference: str) -> Ticket:
    """The ticket if the viewer may see it (404 otherwise), with what its page needs."""
    from django.http import Http404

    from relais.tickets.config import desk_config

    # Fetched by its unique reference, then checked with the policy's one-ticket answer:
    # cheaper than planning the visibility OR into a join. The joins are kept to the rows
    # every page shows; category and team come from the desk snapshot (each join costs
    # PostgreSQL planning time: 9 tables planned in 1.6 ms for 0.2 ms of execution).
    ticket = (
        Ticket.objects.select_related(
            "requester__org_unit",
            "requester__site",
            "assignee",
            "satisfaction",
        )
        .filter(reference=reference)
        .first()
    )
    if ticket is None or not permissions.tickets.visible(viewer, ticket):
        raise Http404
    _attach_reference_data(ticket, desk_config())
    return ticket


def ticket_messages(*, viewer: Any, ticket: Ticket) -> QuerySet[TicketMessage]:
    visible_attachments = Attachment.objects.all()
    if not permissions.is_desk(viewer):
        visible_attachments = visible_attachments.filter(is_internal=False)
    return (
        permissions.messages.scope_for_ticket(viewer, ticket)
        .select_related("author", "inbound_mail")
        .defer("inbound_mail__original_text", "inbound_mail__original_html")
        .prefetch_related(Prefetch("attachments", queryset=visible_attachments))
    )


def ticket_thread(*, viewer: Any, ticket: Ticket) -> tuple[list[TicketMessage], list[Attachment]]:
    """The ticket page's conversation in two queries: the messages the viewer may see, each
    with its visible attachments in `shown_attachments`, and the attachments of the opening
    message. The caller has already checked that the viewer sees the ticket."""
    thread = list(
        permissions.messages.scope_for_ticket(viewer, ticket)
        .select_related("author", "inbound_mail")
        .defer("inbound_mail__original_text", "inbound_mail__original_html")
    )
    by_message: dict[int, TicketMessage] = {}
    for message in thread:
        message.shown_attachments = []  # type: ignore[attr-defined]
        by_message[message.pk] = message
    files = Attachment.objects.filter(ticket=ticket).order_by("created_at", "id")
    if not permissions.is_desk(viewer):
        files = files.filter(is_internal=False)
    opening: list[Attachment] = []
    for attachment in files:
        if attachment.message_id is None:
            opening.append(attachment)
        elif attachment.message_id in by_message:
            by_message[attachment.message_id].shown_attachments.append(attachment)  # type: ignore[attr-defined]
    return thread, opening


def ticket_links(*, ticket: Ticket) -> list[TicketLink]:
    """Links from and to the ticket in one query, outgoing first; a linked ticket in the
    archive is left out (the desk no longer sees it, not even its reference)."""
    links = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket))
        .filter(source__archived_at__isnull=True, target__archived_at__isnull=True)
        .select_related("source", "target")
        .only("kind", "created_at", "source__reference", "target__reference")
        .order_by("created_at", "id")
    )
    return sorted(links, key=lambda link: link.source_id != ticket.pk)


def ticket_attachments(*, viewer: Any, ticket: Ticket) -> QuerySet[Attachment]:
    return permissions.attachments.scope(viewer).filter(ticket=ticket)


def ticket_history(*, viewer: Any, ticket: Ticket) -> QuerySet[TicketEvent]:
    qs = ticket.events.select_related("actor")
    if not permissions.is_desk(viewer):
        qs = qs.filter(is_internal=False)
    return qs


def requester_open_tickets(*, ticket: Ticket, limit: int = 5) -> list[Ticket]:
    return list(
        Ticket.objects.filter(requester_id=ticket.requester_id, status__in=OPEN_STATUSES)
        .exclude(pk=ticket.pk)
        .only("reference", "title", "status", "priority", "created_at")
        .order_by("-created_at")[:limit]
    )


def open_major_incidents() -> list[Ticket]:
    return list(
        # `is_major IN (true)` rather than `is_major`: SQLite only uses an index for a
        # comparison, and the bare column is how Django writes `is_major=True` there.
        Ticket.objects.filter(is_major__in=[True], status__in=OPEN_STATUSES, parent__isnull=True)
        .only("reference", "title", "created_at", "status")
        .order_by("-created_at")[:5]
    )


def category_tree() -> list[Category]:
    """Active categories, parents first, for the guided form."""
    return list(
        Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent__position", "parent__name", "position", "name")
    )


# --- The intermediate archive (read-only, archive readers only) ---------------------------------


def archive_list(*, viewer: Any, reference: str = "") -> QuerySet[Ticket]:
    """Archived tickets, most recently closed first (nothing for a viewer without the grant)."""
    qs = (
        permissions.archive.scope(viewer, "list")
        .select_related("category", "requester")
        .only(
            "reference",
            "type",
            "title",
            "status",
            "priority",
            "created_at",
            "closed_at",
            "archived_at",
            "category__name",
            "requester__display_name",
        )
    )
    if reference:
        qs = qs.filter(reference__iexact=reference)
    return qs.order_by("-closed_at", "-id")


def archive_ticket(*, viewer: Any, reference: str) -> Ticket:
    """One archived ticket if the viewer reads the archive; 404 otherwise, as if missing."""
    from django.http import Http404

    ticket = (
        permissions.archive.scope(viewer, "view")
        .select_related("category", "requester", "created_by", "assignee", "team")
        .filter(reference=reference)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def archive_record(
    *, ticket: Ticket
) -> tuple[list[TicketMessage], list[TicketEvent], list[Attachment]]:
    """The whole record of an archived ticket, internal notes and history included (the
    caller has checked the archive policy): three queries."""
    thread = list(ticket.messages.select_related("author").order_by("created_at", "id"))
    history = list(ticket.events.select_related("actor").order_by("created_at", "id"))
    files = list(
        Attachment.objects.filter(ticket=ticket)
        .only("original_name", "size", "is_internal", "created_at", "message_id")
        .order_by("created_at", "id")
    )
    return thread, history, files
