"""Every write on tickets: opening, replies and notes, updates, assignment, status changes,
reopening, rating, major incidents and merges. Views, the API, e-mail and tasks all call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.choices import Role
from relais.accounts.models import Team, User
from relais.core import faults
from relais.core.files import UploadRejected, store_upload
from relais.tickets import permissions
from relais.tickets.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    STATUS_TRANSITIONS,
    TYPE_PREFIXES,
    Channel,
    EventKind,
    Level,
    LinkKind,
    MessageKind,
    NotificationEvent,
    Priority,
    TicketStatus,
    TicketType,
)
from relais.tickets.config import DeskConfig, desk_config
from relais.tickets.events import INTERNAL_FIELDS, event_record
from relais.tickets.models import (
    Attachment,
    Category,
    ReferenceCounter,
    Satisfaction,
    Tag,
    TeamSettings,
    Ticket,
    TicketLink,
    TicketMessage,
)
from relais.tickets.services import clock, facts
from relais.tickets.services.notify import notify

MAX_ATTACHMENTS_PER_MESSAGE = 10


class ConflictError(Exception):
    """A stale edit: someone saved the ticket since the editor loaded it."""

    def __init__(self, ticket: Ticket, attempted: dict[str, Any]) -> None:
        super().__init__(f"{ticket.reference} is at version {ticket.version}")
        self.ticket = ticket
        self.attempted = attempted


# ---------------------------------------------------------------------------------------------
# Helpers


def priority_compute(*, impact: str, urgency: str, config: DeskConfig | None = None) -> Priority:
    return (config or desk_config()).priority(impact, urgency)


def reference_next(ticket_type: TicketType, *, year: int) -> str:
    """INC-2026-000123: a gap-free-enough sequence per type and year, safe under concurrency
    (the counter row is locked by the UPDATE until the surrounding transaction ends)."""
    key = f"{TYPE_PREFIXES[ticket_type]}-{year}"
    with connection.cursor() as cursor:
        # One statement: increment and read (SQLite ≥ 3.35 and PostgreSQL both return rows).
        cursor.execute(
            'UPDATE tickets_referencecounter SET value = value + 1 WHERE "key" = %s '
            "RETURNING value",
            [key],
        )
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(key=key, value=1)
            value = 1
        except IntegrityError:  # created meanwhile by another process
            return reference_next(ticket_type, year=year)
    else:
        value = row[0]
    return f"{key}-{value:06d}"


def _round_robin_agent(team_id: int, config: DeskConfig) -> User | None:
    if team_id not in config.round_robin_teams:
        return None
    settings_row = TeamSettings.objects.select_for_update().filter(team_id=team_id).first()
    if settings_row is None or not settings_row.round_robin:
        return None
    agents = list(
        User.objects.filter(
            teams__id=team_id, is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR]
        ).order_by("pk")
    )
    if not agents:
        return None
    last = settings_row.last_assigned_id
    following = [agent for agent in agents if last is None or agent.pk > last]
    chosen = following[0] if following else agents[0]
    settings_row.last_assigned = chosen
    settings_row.save(update_fields=["last_assigned"])
    return chosen


def _validate_extra(category: Category, extra: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in category.extra_fields:
        name = spec["name"]
        value = str(extra.get(name, "") or "").strip()
        if spec.get("required") and not value:
            errors[name] = _("This field is required.")
        elif value and spec.get("type") == "choice" and value not in spec.get("choices", []):
            errors[name] = _("Choose one of the proposed answers.")
        elif len(value) > 500:
            errors[name] = _("500 characters at most.")
        if value:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store_attachments(
    *,
    ticket: Ticket,
    message: TicketMessage | None,
    files: Sequence[UploadedFile],
    actor: User,
    internal: bool,
    channel: str,
) -> list[Attachment]:
    if len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise ValidationError(
            {
                "attachments": _("%(count)d files at most per message.")
                % {"count": MAX_ATTACHMENTS_PER_MESSAGE}
            }
        )
    stored = []
    for upload in files:
        try:
            result = store_upload(upload, folder="attachments")
        except UploadRejected as exc:
            raise ValidationError({"attachments": f"{upload.name}: {exc.message}"}) from exc
        # If the transaction rolls back, the file becomes an orphan: the periodic sweep
        # (tasks.attachments_sweep_orphans) removes it within a day.
        stored.append(
            Attachment.objects.create(
                ticket=ticket,
                message=message,
                is_internal=internal,
                uploaded_by=actor,
                storage_name=result.storage_name,
                original_name=result.original_name,
                content_type=result.content_type,
                size=result.size,
                sha256=result.sha256,
            )
        )
        event_record(
            ticket=ticket,
            kind=EventKind.ATTACHMENT_ADDED,
            actor=actor,
            channel=channel,
            new=result.original_name,
            internal=internal,
        )
    return stored


def _save_new_version(ticket: Ticket, fields: set[str]) -> None:
    """Save a change: a new version (so that stale edits are detected) and a new update time."""
    ticket.version += 1
    _save(ticket, fields | {"version"})


def _save(ticket: Ticket, fields: set[str]) -> None:
    ticket.updated_at = timezone.now()
    fields |= {"updated_at"}
    ticket.save(update_fields=sorted(fields))
    facts.ticket_fact_sync(ticket)


def _desk_recipients(ticket: Ticket) -> list[User]:
    if ticket.assignee_id:
        return [ticket.assignee] if ticket.assignee else []
    if ticket.team_id and ticket.team is not None:
        return list(ticket.team.members.filter(is_active=True))
    return []


def _requester_recipients(ticket: Ticket) -> list[User | None]:
    return [ticket.requester, *ticket.watchers.filter(role=Role.COLLABORATOR)]


# ---------------------------------------------------------------------------------------------
# Opening


@dataclass
class TicketDraft:
    category: Category
    title: str
    description: str
    impact: str = Level.MEDIUM
    urgency: str = Level.MEDIUM
    type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    tags: Sequence[str] = ()
    attachments: Sequence[UploadedFile] = ()


def ticket_open(
    *,
    actor: User,
    draft: TicketDraft,
    requester: User | None = None,
    channel: Channel = Channel.PORTAL,
    parent: Ticket | None = None,
    acknowledge: bool = True,
    watchers: Sequence[User] = (),
) -> Ticket:
    """Open a ticket, whatever the channel: validation, priority, routing, SLA, history,
    attachments and notifications, in one transaction. `acknowledge=False` sends the
    requester no acknowledgement (the e-mail channel's loop protection decides)."""
    requester = requester or actor
    if requester.pk != actor.pk and not permissions.is_desk(actor):
        raise PermissionDenied(_("Only the desk may open a ticket for someone else."))
    if not requester.is_active:
        raise ValidationError({"requester": _("This person's account is deactivated.")})
    title = draft.title.strip()
    description = draft.description.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give your request a title.")
    elif len(title) > 200:
        errors["title"] = _("200 characters at most.")
    if not description:
        errors["description"] = _("Describe the problem or the request.")
    elif len(description) > 50_000:
        errors["description"] = _("The description is too long.")
    if not draft.category.is_active:
        errors["category"] = _("This category is no longer available.")
    if draft.impact not in Level.values:
        errors["impact"] = _("Unknown value.")
    if draft.urgency not in Level.values:
        errors["urgency"] = _("Unknown value.")
    if draft.type is not None and draft.type not in TicketType.values:
        errors["type"] = _("Unknown value.")
    if errors:
        raise ValidationError(errors)
    extra = _validate_extra(draft.category, draft.extra)
    ticket_type = TicketType(draft.type or draft.category.default_type)

    now = timezone.now()
    config = desk_config()
    with transaction.atomic():
        ticket = Ticket(
            reference=reference_next(ticket_type, year=timezone.localdate(now).year),
            type=ticket_type,
            category=draft.category,
            title=title,
            description=description,
            extra=extra,
            requester=requester,
            created_by=actor,
            contact_name=draft.contact_name.strip()[:150],
            contact_phone=draft.contact_phone.strip()[:32],
            contact_email=draft.contact_email.strip()[:254],
            channel=channel,
            impact=draft.impact,
            urgency=draft.urgency,
            priority=config.priority(draft.impact, draft.urgency),
            team_id=config.routing_team_id(draft.category.pk),
            parent=parent,
            created_at=now,
            updated_at=now,
        )
        if ticket.team_id is not None:
            ticket.assignee = _round_robin_agent(ticket.team_id, config)
            ticket.status = TicketStatus.ASSIGNED if ticket.assignee else TicketStatus.NEW
        clock.sla_targets_apply(ticket, config)
        clock.sla_deadlines_refresh(ticket, config)
        ticket.save()
        facts.ticket_fact_sync(ticket, created=True)
        if draft.tags:
            ticket.tags.set(_tags(draft.tags))
        extra_watchers = [w for w in watchers if w.is_active and w.pk != requester.pk]
        if extra_watchers:
            ticket.watchers.add(*extra_watchers)
        event_record(
            ticket=ticket,
            kind=EventKind.CREATED,
            actor=actor,
            channel=channel,
            new={"status": ticket.status, "priority": ticket.priority},
        )
        if ticket.assignee_id:
            event_record(
                ticket=ticket,
                kind=EventKind.ASSIGNED,
                actor=None,
                channel=channel,
                field="assignee",
                new=ticket.assignee_id,
                internal=True,
            )
        if draft.attachments:
            _store_attachments(
                ticket=ticket,
                message=None,
                files=draft.attachments,
                actor=actor,
                internal=False,
                channel=channel,
            )
        if acknowledge:
            notify(NotificationEvent.ACKNOWLEDGEMENT, ticket, [requester], exclude_actor=False)
        if ticket.assignee_id:
            notify(NotificationEvent.ASSIGNED_TO_ME, ticket, [ticket.assignee], actor=actor)
        elif ticket.team_id:
            notify(
                NotificationEvent.ASSIGNED_TO_TEAM, ticket, _desk_recipients(ticket), actor=actor
            )
        faults.reached("ticket_open.before_commit")  # the database-failure test (SECURITY I1)
    return ticket


def _tags(names: Sequence[str]) -> list[Tag]:
    from django.utils.text import slugify

    tags = []
    for name in names:
        slug = slugify(name, allow_unicode=True)[:50]
        if slug:
            tag, _created = Tag.objects.get_or_create(name=slug)
            tags.append(tag)
    return tags


# ---------------------------------------------------------------------------------------------
# Conversation


def ticket_reply(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    internal: bool = False,
    channel: Channel = Channel.PORTAL,
    attachments: Sequence[UploadedFile] = (),
) -> TicketMessage:
    """A public reply or an internal note. A requester's reply wakes a ticket waiting for
    them; the first public reply from the desk stops the first-response clock."""
    action = "note" if internal else "reply"
    if not permissions.tickets.can(actor, action, ticket):
        raise PermissionDenied
    if attachments and not permissions.tickets.can(actor, "attach", ticket):
        raise PermissionDenied
    body = body.strip()
    if not body and not attachments:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > 50_000:
        raise ValidationError({"body": _("The message is too long.")})
    now = timezone.now()
    desk = permissions.tickets.works_on(actor, ticket) and permissions.is_desk(actor)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = TicketMessage.objects.create(
            ticket=locked,
            kind=MessageKind.NOTE if internal else MessageKind.REPLY,
            author=actor,
            body=body,
            channel=channel,
            created_at=now,
        )
        event_record(
            ticket=locked,
            kind=EventKind.NOTE_ADDED if internal else EventKind.REPLY_ADDED,
            actor=actor,
            channel=channel,
            new=message.pk,
            internal=internal,
        )
        if attachments:
            _store_attachments(
                ticket=locked,
                message=message,
                files=attachments,
                actor=actor,
                internal=internal,
                channel=channel,
            )
        changed: set[str] = set()
        if not internal and desk and locked.first_responded_at is None:
            locked.first_responded_at = now
            clock.sla_breach_check(locked, now=now)
            changed |= {"first_responded_at", "first_response_breached"}
        if not internal and not desk:
            if locked.status == TicketStatus.WAITING_REQUESTER:
                _set_status(
                    locked,
                    TicketStatus.IN_PROGRESS,
                    actor=actor,
                    channel=channel,
                    now=now,
                    changed=changed,
                )
            elif locked.status == TicketStatus.RESOLVED and permissions.tickets.may_reopen(locked):
                _reopen(locked, actor=actor, channel=channel, now=now, changed=changed)
        if changed:
            _save_new_version(locked, changed)
        else:
            _save(locked, changed)  # the update time still moves with a new message
        if not internal:
            if desk:
                notify(
                    NotificationEvent.AGENT_REPLY,
                    locked,
                    _requester_recipients(locked),
                    actor=actor,
                    body=body,
                )
                _propagate_to_children(locked, actor=actor, body=body)
            else:
                notify(
                    NotificationEvent.REQUESTER_REPLY,
                    locked,
                    _desk_recipients(locked),
                    actor=actor,
                    body=body,
                )
    ticket.refresh_from_db()
    return message


def ticket_acknowledge(*, ticket: Ticket) -> int:
    """Send the requester the acknowledgement of their ticket (when the channel that opened
    it had to wait before sending it: the e-mail channel threads it under the sender's mail)."""
    return notify(
        NotificationEvent.ACKNOWLEDGEMENT, ticket, [ticket.requester], exclude_actor=False
    )


def ticket_system_note(*, ticket: Ticket, body: str, channel: Channel) -> TicketMessage:
    """A note written by Relais itself (an out-of-office received by mail…): the desk sees
    it; nothing else moves (no status change, no notification)."""
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.NOTE, author=None, body=body[:50_000], channel=channel
    )
    event_record(
        ticket=ticket,
        kind=EventKind.NOTE_ADDED,
        actor=None,
        channel=channel,
        new=message.pk,
        internal=True,
    )
    return message


def ticket_delivery_failed(*, ticket: Ticket, address: str, detail: str) -> None:
    """A mail about the ticket could not be delivered: the desk sees it in the history."""
    event_record(
        ticket=ticket,
        kind=EventKind.DELIVERY_FAILED,
        channel=Channel.EMAIL,
        field="e-mail",
        new=f"{address}: {detail}".strip()[:500],
        internal=True,
    )


def _propagate_to_children(parent: Ticket, *, actor: User, body: str) -> None:
    """One public update on a major incident reaches every affected requester."""
    if not parent.is_major:
        return
    for child in parent.children.filter(status__in=OPEN_STATUSES).select_related("requester"):
        TicketMessage.objects.create(
            ticket=child, kind=MessageKind.REPLY, author=actor, body=body, channel=Channel.PORTAL
        )
        event_record(ticket=child, kind=EventKind.REPLY_ADDED, actor=actor, new=parent.reference)
        notify(NotificationEvent.AGENT_REPLY, child, [child.requester], actor=actor, body=body)


# ---------------------------------------------------------------------------------------------
# Changes


UPDATABLE_BY_DESK = frozenset(
    {
        "title",
        "description",
        "category",
        "type",
        "impact",
        "urgency",
        "team",
        "assignee",
        "status",
        "resolution",
        "tags",
        "contact_name",
        "contact_phone",
        "contact_email",
    }
)


def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    changes: dict[str, Any],
    expected_version: int | None,
    channel: Channel = Channel.PORTAL,
) -> Ticket:
    """Apply a set of field changes from the desk, atomically, refusing stale edits.

    `changes` holds model values (Category, Team and User instances for relations)."""
    if not permissions.tickets.can(actor, "update", ticket):
        raise PermissionDenied
    unknown = set(changes) - UPDATABLE_BY_DESK
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if expected_version is not None and locked.version != expected_version:
            raise ConflictError(locked, changes)
        changed: set[str] = set()
        if "assignee" in changes or "team" in changes:
            _assign(
                locked,
                actor=actor,
                channel=channel,
                changed=changed,
                team=changes.get("team", locked.team),
                assignee=changes.get("assignee", locked.assignee),
            )
        for name in (
            "title",
            "description",
            "contact_name",
            "contact_phone",
            "contact_email",
            "resolution",
        ):
            if name in changes:
                value = str(changes[name] or "").strip()
                if name == "title" and not value:
                    raise ValidationError({"title": _("Give the ticket a title.")})
                if getattr(locked, name) != value:
                    event_record(
                        ticket=locked,
                        kind=EventKind.FIELD_CHANGED,
                        actor=actor,
                        channel=channel,
                        field=name,
                        old=None if name == "description" else getattr(locked, name),
                        new=None if name == "description" else value,
                    )
                    setattr(locked, name, value)
                    changed.add(name)
        sla_inputs_changed = False
        for name in ("category", "type", "impact", "urgency"):
            if name in changes and getattr(locked, name) != changes[name]:
                value = changes[name]
                if name in {"impact", "urgency"} and value not in Level.values:
                    raise ValidationError({name: _("Unknown value.")})
                if name == "type" and value not in TicketType.values:
                    raise ValidationError({name: _("Unknown value.")})
                if name == "category" and not value.is_active:
                    raise ValidationError({name: _("This category is no longer available.")})
                event_record(
                    ticket=locked,
                    kind=EventKind.FIELD_CHANGED,
                    actor=actor,
                    channel=channel,
                    field=name,
                    old=getattr(locked, name),
                    new=value,
                    internal=name in INTERNAL_FIELDS,
                )
                setattr(locked, name, value)
                changed.add(name)
                sla_inputs_changed = True
        if sla_inputs_changed:
            new_priority = priority_compute(impact=locked.impact, urgency=locked.urgency)
            if new_priority != locked.priority:
                event_record(
                    ticket=locked,
                    kind=EventKind.FIELD_CHANGED,
                    actor=actor,
                    channel=channel,
                    field="priority",
                    old=locked.priority,
                    new=new_priority,
                )
                locked.priority = new_priority
                changed.add("priority")
            before = (locked.first_response_due, locked.resolution_due)
            clock.sla_targets_apply(locked)
            clock.sla_deadlines_refresh(locked)
            locked.sla_warned = False
            changed |= {
                "sla_calendar",
                "first_response_target",
                "resolution_target",
                "first_response_due",
                "resolution_due",
                "resolution_warn_at",
                "sla_warned",
            }
            if before != (locked.first_response_due, locked.resolution_due):
                event_record(
                    ticket=locked,
                    kind=EventKind.SLA_RECOMPUTED,
                    actor=actor,
                    channel=channel,
                    old=[_iso(v) for v in before],
                    new=[_iso(locked.first_response_due), _iso(locked.resolution_due)],
                    internal=True,
                )
        if "tags" in changes:
            new_tags = _tags(changes["tags"])
            old_names = sorted(locked.tags.values_list("name", flat=True))
            if old_names != sorted(t.name for t in new_tags):
                locked.tags.set(new_tags)
                event_record(
                    ticket=locked,
                    kind=EventKind.FIELD_CHANGED,
                    actor=actor,
                    channel=channel,
                    field="tags",
                    old=old_names,
                    new=sorted(t.name for t in new_tags),
                    internal=True,
                )
                changed.add("tags")
        if "status" in changes and changes["status"] != locked.status:
            _set_status(
                locked, changes["status"], actor=actor, channel=channel, now=now, changed=changed
            )
        if not changed:
            return locked
        changed.discard("tags")
        _save_new_version(locked, changed)
    return locked


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _record_assignment(
    ticket: Ticket,
    field: str,
    value: Team | User | None,
    *,
    actor: User | None,
    channel: str,
    changed: set[str],
) -> None:
    """Set the team or the agent, with its (internal) history row."""
    old = getattr(ticket, f"{field}_id")
    event_record(
        ticket=ticket,
        kind=EventKind.ASSIGNED,
        actor=actor,
        channel=channel,
        field=field,
        old=old,
        new=value.pk if value else None,
        internal=True,
    )
    setattr(ticket, field, value)
    changed.add(field)


def _assign(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    changed: set[str],
    team: Team | None,
    assignee: User | None,
) -> None:
    if assignee is not None:
        if assignee.role not in {Role.AGENT, Role.SUPERVISOR, Role.ADMIN} or not assignee.is_active:
            raise ValidationError({"assignee": _("Tickets are assigned to active desk members.")})
        if team is not None and not team.members.filter(pk=assignee.pk).exists():
            raise ValidationError({"assignee": _("This agent is not a member of the team.")})
    if team != ticket.team:
        _record_assignment(ticket, "team", team, actor=actor, channel=channel, changed=changed)
        if team is not None and assignee is None:
            notify(
                NotificationEvent.ASSIGNED_TO_TEAM,
                ticket,
                list(team.members.filter(is_active=True)),
                actor=actor,
            )
    if assignee != ticket.assignee:
        _record_assignment(
            ticket, "assignee", assignee, actor=actor, channel=channel, changed=changed
        )
        if assignee is not None:
            notify(NotificationEvent.ASSIGNED_TO_ME, ticket, [assignee], actor=actor)
            if ticket.status == TicketStatus.NEW:
                _set_status(
                    ticket,
                    TicketStatus.ASSIGNED,
                    actor=actor,
                    channel=channel,
                    now=timezone.now(),
                    changed=changed,
                )
        elif ticket.status == TicketStatus.ASSIGNED:
            _set_status(
                ticket,
                TicketStatus.NEW,
                actor=actor,
                channel=channel,
                now=timezone.now(),
                changed=changed,
            )


def _set_status(
    ticket: Ticket,
    status: str,
    *,
    actor: User | None,
    channel: str,
    now: Any,
    changed: set[str],
) -> None:
    old = ticket.status
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in STATUS_TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                % {"old": TicketStatus(old).label, "new": TicketStatus(status).label}
            }
        )
    if status == TicketStatus.ASSIGNED and ticket.assignee_id is None:
        raise ValidationError({"status": _("Assign an agent first.")})
    if status in PAUSED_STATUSES and old not in PAUSED_STATUSES:
        clock.sla_pause(ticket, now=now)
    elif old in PAUSED_STATUSES and status not in PAUSED_STATUSES:
        clock.sla_resume(ticket, now=now)
    ticket.status = status
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        clock.sla_deadlines_refresh(ticket)
        clock.sla_breach_check(ticket, now=now)
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            clock.sla_breach_check(ticket, now=now)
    else:
        clock.sla_deadlines_refresh(ticket)
    changed |= {
        "status",
        "resolved_at",
        "closed_at",
        "first_responded_at",
        "sla_paused_since",
        "first_response_due",
        "resolution_due",
        "resolution_warn_at",
        "resolution_breached",
        "first_response_breached",
    }
    event_record(
        ticket=ticket,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        channel=channel,
        field="status",
        old=old,
        new=status,
    )
    requesters = _requester_recipients(ticket)
    if status == TicketStatus.RESOLVED:
        notify(NotificationEvent.RESOLUTION, ticket, requesters, actor=actor)
        _resolve_children(ticket, actor=actor, now=now)
    elif status in {TicketStatus.WAITING_REQUESTER, TicketStatus.CLOSED}:
        notify(NotificationEvent.STATUS_CHANGE, ticket, requesters, actor=actor)


def _resolve_children(parent: Ticket, *, actor: User | None, now: Any) -> None:
    """Resolving a major incident resolves its children with the same resolution."""
    if not parent.is_major:
        return
    for child in parent.children.filter(status__in=OPEN_STATUSES).select_for_update():
        changed: set[str] = set()
        child.resolution = parent.resolution
        changed.add("resolution")
        _set_status(
            child,
            TicketStatus.RESOLVED,
            actor=actor,
            channel=Channel.PORTAL,
            now=now,
            changed=changed,
        )
        _save_new_version(child, changed)


def _reopen(ticket: Ticket, *, actor: User, channel: str, now: Any, changed: set[str]) -> None:
    old = ticket.status
    ticket.status = TicketStatus.ASSIGNED if ticket.assignee_id else TicketStatus.IN_PROGRESS
    if ticket.status == TicketStatus.ASSIGNED and not ticket.assignee_id:
        ticket.status = TicketStatus.NEW
    ticket.reopen_count += 1
    ticket.resolved_at = None
    ticket.closed_at = None
    ticket.sla_warned = False
    clock.sla_deadlines_refresh(ticket)
    changed |= {
        "status",
        "reopen_count",
        "resolved_at",
        "closed_at",
        "sla_warned",
        "resolution_due",
        "resolution_warn_at",
    }
    event_record(
        ticket=ticket,
        kind=EventKind.REOPENED,
        actor=actor,
        channel=channel,
        field="status",
        old=old,
        new=ticket.status,
    )
    notify(
        NotificationEvent.REQUESTER_REPLY,
        ticket,
        _desk_recipients(ticket),
        actor=actor,
        body=_("The requester reopened the ticket."),
    )


def ticket_reopen(
    *, ticket: Ticket, actor: User, reason: str, channel: Channel = Channel.PORTAL
) -> Ticket:
    if not permissions.tickets.can(actor, "reopen", ticket):
        raise PermissionDenied
    if ticket.status not in DONE_STATUSES:
        raise ValidationError(_("Only a resolved or closed ticket can be reopened."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the problem is not solved.")})
    now = timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        changed: set[str] = set()
        _reopen(locked, actor=actor, channel=channel, now=now, changed=changed)
        TicketMessage.objects.create(
            ticket=locked,
            kind=MessageKind.REPLY,
            author=actor,
            body=reason,
            channel=channel,
            created_at=now,
        )
        _save_new_version(locked, changed)
    return locked


def ticket_close(*, ticket: Ticket, actor: User, channel: Channel = Channel.PORTAL) -> Ticket:
    """The requester accepts the resolution (or the desk closes)."""
    if not permissions.tickets.can(actor, "close", ticket):
        raise PermissionDenied
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        changed: set[str] = set()
        _set_status(
            locked,
            TicketStatus.CLOSED,
            actor=actor,
            channel=channel,
            now=timezone.now(),
            changed=changed,
        )
        _save_new_version(locked, changed)
    return locked


def ticket_rate(*, ticket: Ticket, actor: User, rating: int, comment: str = "") -> Satisfaction:
    if not permissions.tickets.can(actor, "rate", ticket) or ticket.requester_id != actor.pk:
        raise PermissionDenied
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
    with transaction.atomic():
        satisfaction, _created = Satisfaction.objects.update_or_create(
            ticket=ticket, defaults={"rating": int(rating), "comment": comment.strip()[:2000]}
        )
        event_record(ticket=ticket, kind=EventKind.SATISFACTION, actor=actor, new=int(rating))
        facts.ticket_fact_rate(satisfaction)
    return satisfaction


def ticket_flag_major(*, ticket: Ticket, actor: User, major: bool = True) -> Ticket:
    if not permissions.tickets.can(actor, "flag_major", ticket):
        raise PermissionDenied
    if ticket.parent_id:
        raise ValidationError(_("A child ticket cannot be a major incident."))
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.is_major == major:
            return locked
        locked.is_major = major
        event_record(ticket=locked, kind=EventKind.MAJOR_FLAGGED, actor=actor, new=major)
        _save_new_version(locked, {"is_major"})
    return locked


def ticket_join_major(*, parent: Ticket, actor: User, comment: str = "") -> Ticket:
    """ "I am affected too": the person gets their own child ticket of the major incident, so
    they receive its updates and its resolution, instead of opening a duplicate."""
    if not parent.is_major or parent.status not in OPEN_STATUSES:
        raise ValidationError(_("This incident is not open."))
    existing = parent.children.filter(requester=actor).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        child = ticket_open(
            actor=actor,
            draft=TicketDraft(
                category=parent.category,
                title=parent.title,
                description=comment.strip() or _("I am affected by this incident too."),
                impact=parent.impact,
                urgency=parent.urgency,
                type=parent.type,
            ),
            parent=parent,
        )
        # The child follows the parent's handling, silently: the people handling a major
        # incident are not notified once per affected colleague.
        locked = Ticket.objects.select_for_update().get(pk=child.pk)
        changed: set[str] = set()
        if locked.team_id != parent.team_id:
            _record_assignment(
                locked, "team", parent.team, actor=None, channel=Channel.PORTAL, changed=changed
            )
        if locked.assignee_id != parent.assignee_id:
            _record_assignment(
                locked,
                "assignee",
                parent.assignee,
                actor=None,
                channel=Channel.PORTAL,
                changed=changed,
            )
        if changed:
            _save(locked, changed)
        event_record(ticket=parent, kind=EventKind.AFFECTED_ADDED, actor=actor, new=child.pk)
    child.refresh_from_db()
    return child


def ticket_link(
    *, source: Ticket, target: Ticket, actor: User | None, kind: LinkKind
) -> TicketLink:
    """Link two tickets. `actor=None` is Relais itself (the e-mail channel relating a new
    ticket to the one its mail seems to follow): no permission applies, the desk sees it."""
    if actor is not None and not (
        permissions.tickets.can(actor, "link", source)
        and permissions.tickets.can(actor, "view", target)
    ):
        raise PermissionDenied
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."))
    with transaction.atomic():
        link, created = TicketLink.objects.get_or_create(
            source=source, target=target, kind=kind, defaults={"created_by": actor}
        )
        if created:
            event_record(
                ticket=source,
                kind=EventKind.LINKED,
                actor=actor,
                field=kind,
                new=target.reference,
                internal=True,
            )
    return link


def ticket_merge(*, duplicate: Ticket, into: Ticket, actor: User) -> Ticket:
    """Close `duplicate` as a duplicate of `into`; its requester and watchers follow `into`."""
    if not (
        permissions.tickets.can(actor, "merge", duplicate)
        and permissions.tickets.can(actor, "update", into)
    ):
        raise PermissionDenied
    if duplicate.pk == into.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        ticket_link(source=duplicate, target=into, actor=actor, kind=LinkKind.DUPLICATE_OF)
        target = Ticket.objects.select_for_update().get(pk=into.pk)
        target.watchers.add(duplicate.requester, *duplicate.watchers.all())
        target.watchers.remove(target.requester)
        locked = Ticket.objects.select_for_update().get(pk=duplicate.pk)
        changed: set[str] = set()
        locked.resolution = _("Duplicate of %(ref)s.") % {"ref": target.reference}
        changed.add("resolution")
        if locked.status != TicketStatus.CLOSED:
            _set_status(
                locked,
                TicketStatus.CLOSED,
                actor=actor,
                channel=Channel.PORTAL,
                now=timezone.now(),
                changed=changed,
            )
        event_record(ticket=locked, kind=EventKind.MERGED, actor=actor, new=target.reference)
        _save_new_version(locked, changed)
    return target


def ticket_watch(*, ticket: Ticket, actor: User, watcher: User) -> None:
    if not permissions.tickets.can(actor, "watch", ticket):
        raise PermissionDenied
    if watcher.pk != actor.pk and not permissions.is_desk(actor):
        raise PermissionDenied
    with transaction.atomic():
        ticket.watchers.add(watcher)
        event_record(
            ticket=ticket, kind=EventKind.WATCHER_ADDED, actor=actor, new=watcher.pk, internal=True
        )


def tickets_auto_close(*, now: Any = None) -> int:
    """Periodic: resolved tickets close after the desk's delay."""
    from datetime import timedelta

    from relais.tickets.models import DeskSettings

    now = now or timezone.now()
    limit = now - timedelta(days=DeskSettings.load().auto_close_days)
    closed = 0
    for ticket_id in Ticket.objects.filter(
        status=TicketStatus.RESOLVED, resolved_at__lte=limit
    ).values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().get(pk=ticket_id)
            if locked.status != TicketStatus.RESOLVED:
                continue
            changed: set[str] = set()
            _set_status(
                locked, TicketStatus.CLOSED, actor=None, channel="", now=now, changed=changed
            )
            _save_new_version(locked, changed)
            closed += 1
    return closed


def attachments_sweep_orphans(*, older_than: Any) -> int:
    """Remove stored attachment files that no row references (a transaction that rolled back
    after the upload was written), once they are older than `older_than`."""
    from relais.core.files import sweep_orphans

    return sweep_orphans(
        folder="attachments",
        referenced=lambda name: Attachment.objects.filter(storage_name=name).exists(),
        older_than=older_than,
    )


def notification_preferences_set(*, user: User, muted: Sequence[str]) -> None:
    """Choose which ticket e-mails a person does not want (everything is on by default)."""
    from relais.tickets.models import NotificationPreference

    unknown = set(muted) - set(NotificationEvent.values)
    if unknown:
        raise ValidationError(_("Unknown notification."))
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"muted": sorted(set(muted))}
    )


BULK_LIMIT = 200


def tickets_bulk_change(
    *,
    actor: User,
    ticket_ids: Sequence[int],
    action: str,
    assignee: User | None = None,
    status: str = "",
) -> tuple[int, int]:
    """Assign or change the status of many tickets (supervisors and admins), each through
    `ticket_update` with its own checks. Returns (changed, refused)."""
    if not permissions.tickets.can(actor, "bulk"):
        raise PermissionDenied
    if action not in {"assign", "status"}:
        raise ValidationError({"action": _("Unknown action.")})
    done = failed = 0
    tickets = permissions.tickets.scope(actor).filter(pk__in=list(ticket_ids)[:BULK_LIMIT])
    for ticket in tickets.select_related("team"):
        if action == "assign":
            team = ticket.team
            if assignee is not None and (
                team is None or not team.members.filter(pk=assignee.pk).exists()
            ):
                # Handing a ticket to an agent of another team moves it to their team.
                team = assignee.teams.first() or team
            changes: dict[str, Any] = {"assignee": assignee, "team": team}
        else:
            changes = {"status": status}
        try:
            ticket_update(ticket=ticket, actor=actor, changes=changes, expected_version=None)
            done += 1
        except (ValidationError, PermissionDenied):
            failed += 1
    return done, failed
