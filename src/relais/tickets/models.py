"""Tickets: the service desk's data and invariants."""

from __future__ import annotations

from datetime import date, time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Team
from relais.core.models import TimeStampedModel
from relais.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    Level,
    LinkKind,
    MessageKind,
    Priority,
    TicketStatus,
    TicketType,
)


class BusinessCalendar(TimeStampedModel):
    """Opening hours per weekday (local wall-clock), public holidays and closures."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    # {"0": [["08:30", "12:30"], ["13:30", "18:00"]], ...}; weekday 0 = Monday.
    hours = models.JSONField(_("opening hours"))
    french_holidays = models.BooleanField(_("French public holidays are closed"), default=True)
    closed_dates = models.JSONField(_("other closed days"), default=list, blank=True)
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse hours the SLA arithmetic cannot use, when an admin saves them."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.core.exceptions import ValidationError

        from relais.tickets import sla

        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": _("Unknown time zone.")}) from exc
        try:
            sla.BusinessCalendar(
                timezone=zone, hours=self.parsed_hours(), closed_days=self.parsed_closed_dates()
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError(
                {
                    "hours": _(
                        "Opening hours must be, per weekday 0–6, ordered non-overlapping "
                        '["HH:MM", "HH:MM"] intervals ("00:00" as closing time means midnight).'
                    )
                }
            ) from exc

    def parsed_hours(self) -> dict[int, tuple[tuple[time, time], ...]]:
        return {
            int(day): tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in spans)
            for day, spans in self.hours.items()
        }

    def parsed_closed_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(value) for value in self.closed_dates)


class Category(TimeStampedModel):
    """A node of the category tree that guides the ticket form and routes tickets."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField(_("help text"), max_length=255, blank=True)
    default_type = models.CharField(
        _("default type"), max_length=16, choices=TicketType.choices, default=TicketType.INCIDENT
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team assigned automatically"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
    )
    # Extra questions asked by the form for this category:
    # [{"name": "application", "label": "Quelle application ?", "type": "text"|"choice",
    #   "required": true, "choices": ["…"]}]
    extra_fields = models.JSONField(_("extra fields"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")
        ]

    def __str__(self) -> str:
        if self.parent_id and self.parent is not None:
            return f"{self.parent.name} › {self.name}"
        return self.name


class PriorityRule(models.Model):
    """One cell of the impact × urgency matrix."""

    impact = models.CharField(_("impact"), max_length=8, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Level.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)

    class Meta:
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.impact} × {self.urgency} → {self.priority}"


class SlaPolicy(TimeStampedModel):
    """Targets in business minutes for one priority (optionally one category)."""

    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text=_("Empty: the team's calendar, else the default one."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "category"], name="sla_policy_unique_category"
            ),
            models.UniqueConstraint(
                fields=["priority"],
                condition=Q(category__isnull=True),
                name="sla_policy_unique_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority} {self.category or ''}".strip()


class DeskSettings(models.Model):
    """Desk-wide policy that administrators change (a single row)."""

    reopen_days = models.PositiveSmallIntegerField(
        _("days during which the requester may reopen"), default=10
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("days after which resolved tickets close"), default=7
    )
    sla_warning_percent = models.PositiveSmallIntegerField(_("SLA warning at (%)"), default=75)

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")

    def __str__(self) -> str:
        return str(_("Desk settings"))

    @classmethod
    def load(cls) -> DeskSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class TeamSettings(models.Model):
    """How a team receives tickets: its calendar and round-robin state."""

    team = models.OneToOneField(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="desk_settings"
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_settings",
    )
    round_robin = models.BooleanField(_("assign new tickets in turn"), default=False)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("team settings")
        verbose_name_plural = _("team settings")

    def __str__(self) -> str:
        return str(self.team)


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConfigVersion(models.Model):
    """A single row whose value changes with every change to the desk's reference data (see
    tickets.config): processes compare it with the snapshot they hold."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class ReferenceCounter(models.Model):
    """Sequences for readable references (one row per prefix and year)."""

    key = models.CharField(max_length=16, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=16, choices=TicketType.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="tickets"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    extra = models.JSONField(_("details"), default=dict, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opened_tickets",
    )
    # A tenant or anyone without an account, reported by the requester (a field agent).
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("watchers"),
        blank=True,
        related_name="watched_tickets",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    impact = models.CharField(_("impact"), max_length=8, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Level.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    is_major = models.BooleanField(_("major incident"), default=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Set by the retention job: content and requester removed (tickets.services.retention).
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    # Set by the retention job: moved to the intermediate archive (CNIL "archivage
    # intermédiaire"), out of the desk's sight, readable only by archive readers.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    # SLA clocks: targets are fixed when the ticket is opened (or its priority changes);
    # deadlines are recomputed from the targets and the pauses, None while paused.
    sla_calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_target = models.PositiveIntegerField(null=True, blank=True)
    resolution_target = models.PositiveIntegerField(null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # When the warning share of the resolution target will have been consumed.
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused_since = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    sla_warned = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="ticket_status_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_idx"),
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee_idx"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            models.Index(
                fields=["resolution_due"],
                name="ticket_resolution_due_idx",
                condition=Q(resolution_due__isnull=False),
            ),
            models.Index(
                fields=["resolution_warn_at"],
                name="ticket_warn_at_idx",
                condition=Q(resolution_warn_at__isnull=False),
            ),
            models.Index(fields=["priority", "-created_at"], name="ticket_priority_idx"),
            # The agent queues list open tickets, newest first, by team or by agent: partial
            # indexes over open tickets only stay small however large the history grows.
            models.Index(
                fields=["team", "-created_at"],
                name="ticket_open_team_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["assignee", "-created_at"],
                name="ticket_open_assignee_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["requester", "-created_at"],
                name="ticket_open_requester_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["-created_at"],
                name="ticket_open_created_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(fields=["category", "-created_at"], name="ticket_category_idx"),
            # Open major incidents, shown on every portal page and beside every suggestion:
            # the few major tickets, newest first (see selectors.open_major_incidents).
            models.Index(fields=["is_major", "-created_at"], name="ticket_major_idx"),
            # The archive list: archived tickets only, most recently closed first.
            models.Index(
                fields=["-closed_at"],
                name="ticket_archived_idx",
                condition=Q(archived_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        from relais.tickets.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES


class TicketMessage(models.Model):
    """A public reply or an internal note."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_messages",
    )
    body = models.TextField(_("message"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_internal(self) -> bool:
        return self.kind == MessageKind.NOTE


class Attachment(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        TicketMessage,
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    is_internal = models.BooleanField(_("internal"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_attachments",
    )
    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class TicketEvent(models.Model):
    """The ticket's history, written explicitly by the service that made the change."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_events",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    field = models.CharField(_("field"), max_length=32, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    # Events about internal notes, or only meaningful to the desk, are hidden from requesters.
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class SlaPause(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at__isnull=True), name="one_open_pause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.started_at:%Y-%m-%d %H:%M}"


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("link"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Satisfaction(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="satisfaction")
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="satisfaction_rating_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating}/5"


class CannedResponse(TimeStampedModel):
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
    )

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SavedView(TimeStampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique")]

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    """Events a person chose not to receive by e-mail (everything is on by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    muted = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}"

    def wants(self, event: str) -> bool:
        return event not in self.muted


class TicketFact(models.Model):
    """One narrow row per ticket for the reports (§ Reports in docs/architecture.md).

    Written only by `tickets.services.facts.ticket_fact_sync`, in the transaction of every
    ticket write, and recomputed from the tickets by `relais reports-rebuild`. The composite
    indexes start with the instant a report filters on and carry every filtered or measured
    column, so PostgreSQL answers the dashboards' aggregates from the indexes alone."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )
    created_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)
    rated_at = models.DateTimeField(null=True)
    # Wall-clock seconds from opening to the first response / to the (latest) resolution.
    first_response_seconds = models.PositiveIntegerField(null=True)
    resolution_seconds = models.PositiveIntegerField(null=True)
    status = models.CharField(max_length=24, choices=TicketStatus.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    team = models.ForeignKey(
        Team, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The requester's org unit and site (their direction is the org unit's root).
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    site = models.ForeignKey(
        "accounts.Site", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    has_sla = models.BooleanField(default=False)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(null=True)
    rating_commented = models.BooleanField(default=False)

    DIMENSIONS = ("team", "category", "priority", "org_unit", "site")

    class Meta:
        indexes = [
            models.Index(
                fields=[
                    "created_at",
                    "team",
                    "category",
                    "priority",
                    "org_unit",
                    "site",
                    "channel",
                ],
                name="fact_created_idx",
            ),
            models.Index(
                fields=[
                    "first_responded_at",
                    "team",
                    "category",
                    "priority",
                    "org_unit",
                    "site",
                    "has_sla",
                    "first_response_breached",
                    "first_response_seconds",
                ],
                name="fact_responded_idx",
                condition=Q(first_responded_at__isnull=False),
            ),
            models.Index(
                fields=[
                    "resolved_at",
                    "team",
                    "category",
                    "priority",
                    "org_unit",
                    "site",
                    "has_sla",
                    "resolution_breached",
                    "resolution_seconds",
                    "reopen_count",
                ],
                name="fact_resolved_idx",
                condition=Q(resolved_at__isnull=False),
            ),
            models.Index(
                fields=["created_at", "team", "category", "priority", "org_unit", "site"],
                name="fact_open_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=[
                    "rated_at",
                    "team",
                    "category",
                    "priority",
                    "org_unit",
                    "site",
                    "rating",
                    "rating_commented",
                ],
                name="fact_rated_idx",
                condition=Q(rated_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.ticket_id}"
