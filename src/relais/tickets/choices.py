from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Request")


TYPE_PREFIXES = {TicketType.INCIDENT: "INC", TicketType.REQUEST: "DEM"}


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_REQUESTER = "waiting_requester", _("Waiting for requester")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting for third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Sorted, so that every query lists them in the order of the partial indexes' condition:
# SQLite uses a partial index only when the query repeats its terms (a set's order varies
# from one process to the next with string hashing).
OPEN_STATUSES: tuple[str, ...] = tuple(
    sorted(
        {
            TicketStatus.NEW,
            TicketStatus.ASSIGNED,
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_REQUESTER,
            TicketStatus.WAITING_THIRD_PARTY,
        }
    )
)
PAUSED_STATUSES = frozenset({TicketStatus.WAITING_REQUESTER, TicketStatus.WAITING_THIRD_PARTY})
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

# Which status changes the desk may make. Reopening (resolved/closed → in progress) is its own
# action with its own rule (the requester may reopen within N days).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset(
        {
            TicketStatus.ASSIGNED,
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_REQUESTER,
            TicketStatus.WAITING_THIRD_PARTY,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.ASSIGNED: frozenset(
        {
            TicketStatus.NEW,
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_REQUESTER,
            TicketStatus.WAITING_THIRD_PARTY,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.IN_PROGRESS: frozenset(
        {
            TicketStatus.ASSIGNED,
            TicketStatus.WAITING_REQUESTER,
            TicketStatus.WAITING_THIRD_PARTY,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.WAITING_REQUESTER: frozenset(
        {
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_THIRD_PARTY,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.WAITING_THIRD_PARTY: frozenset(
        {
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_REQUESTER,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset(),
}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    MONITORING = "monitoring", _("Monitoring")
    API = "api", _("API")


class Level(models.TextChoices):
    """Impact and urgency."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 — critical")
    P2 = "P2", _("P2 — high")
    P3 = "P3", _("P3 — normal")
    P4 = "P4", _("P4 — low")


# The seed matrix (admins edit it): impact × urgency → priority.
DEFAULT_PRIORITY_MATRIX = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P4,
}


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    RELATED = "related", _("Related to")


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket opened")
    FIELD_CHANGED = "field_changed", _("Field changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    REPLY_ADDED = "reply_added", _("Reply added")
    NOTE_ADDED = "note_added", _("Internal note added")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    REOPENED = "reopened", _("Reopened")
    LINKED = "linked", _("Linked")
    MERGED = "merged", _("Merged")
    MAJOR_FLAGGED = "major_flagged", _("Flagged as major incident")
    AFFECTED_ADDED = "affected_added", _("Affected person added")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_RECOMPUTED = "sla_recomputed", _("SLA recomputed")
    SATISFACTION = "satisfaction", _("Satisfaction rated")
    WATCHER_ADDED = "watcher_added", _("Watcher added")
    DELIVERY_FAILED = "delivery_failed", _("E-mail delivery failed")
    ARCHIVED = "archived", _("Moved to the archive")


class SlaKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class NotificationEvent(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("My ticket was received")
    AGENT_REPLY = "agent_reply", _("An agent replied to my ticket")
    STATUS_CHANGE = "status_change", _("The status of my ticket changed")
    RESOLUTION = "resolution", _("My ticket was resolved")
    ASSIGNED_TO_ME = "assigned_to_me", _("A ticket was assigned to me")
    ASSIGNED_TO_TEAM = "assigned_to_team", _("A ticket was assigned to my team")
    REQUESTER_REPLY = "requester_reply", _("A requester replied on a ticket I handle")
    SLA_WARNING = "sla_warning", _("A ticket I handle is close to its SLA deadline")
    SLA_BREACH = "sla_breach", _("A ticket I handle breached its SLA")
