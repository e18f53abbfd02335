"""Service watch: services and their checks, results and rollups, incidents, maintenance
windows, on-call rota and alerts, status-page subscriptions."""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.core.models import TimeStampedModel
from relais.monitoring.choices import (
    AlertKind,
    AllowKind,
    AuthKind,
    ChannelKind,
    CheckKind,
    CheckState,
    ErrorCode,
    IncidentImpact,
    IncidentStatus,
    ServiceState,
    UpdateVisibility,
)


def _token() -> str:
    return secrets.token_urlsafe(24)


class ComponentGroup(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("component group")
        verbose_name_plural = _("component groups")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Service(TimeStampedModel):
    """A business service (Messagerie, VPN…) shown on the status pages."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.ForeignKey(
        ComponentGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_public = models.BooleanField(
        _("shown on the public status page"), default=False, db_index=True
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ServiceState.choices, default=ServiceState.UNKNOWN
    )
    state_since = models.DateTimeField(_("state since"), default=timezone.now)
    # "Require two locations to agree before DOWN": how many probing locations must see the
    # check down.
    locations_required = models.PositiveSmallIntegerField(
        _("locations that must agree before down"), default=1
    )
    rota = models.ForeignKey(
        "OnCallRota",
        verbose_name=_("on-call rota"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    escalation_minutes = models.PositiveIntegerField(_("escalate after (minutes)"), default=15)
    reminder_minutes = models.PositiveIntegerField(_("remind every (minutes)"), default=60)
    ticket_category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category of the major-incident ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("monitoring:service", args=[self.pk])


class Check(TimeStampedModel):
    # 4-byte key: results and rollups repeat it millions of times (PostgreSQL row width).
    id = models.AutoField(primary_key=True)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="checks"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CheckKind.choices)
    # URL (http), host:port (tcp, tls), host name (dns), host (icmp); empty for heartbeats.
    target = models.CharField(_("target"), max_length=500, blank=True)
    # Kind-specific options (expected status, keyword, JSON field, DNS record…), validated by
    # services.check_config_clean.
    config = models.JSONField(_("options"), default=dict, blank=True)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"), default=60)
    timeout_seconds = models.FloatField(_("timeout (seconds)"), default=10)
    failures_before_down = models.PositiveSmallIntegerField(_("failures before down"), default=3)
    successes_before_up = models.PositiveSmallIntegerField(_("successes before up"), default=1)
    auth_kind = models.CharField(
        _("authentication"), max_length=8, choices=AuthKind.choices, default="", blank=True
    )
    # Fernet token (relais.monitoring.secrets); never shown back.
    secret_encrypted = models.TextField(blank=True, editable=False)
    heartbeat_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    heartbeat_cron = models.CharField(_("cron expression"), max_length=100, blank=True)
    grace_seconds = models.PositiveIntegerField(_("grace (seconds)"), default=300)
    is_enabled = models.BooleanField(_("enabled"), default=True)

    state = models.CharField(
        _("state"), max_length=16, choices=CheckState.choices, default=CheckState.UNKNOWN
    )
    state_since = models.DateTimeField(_("state since"), default=timezone.now)
    # Per location: {"local": {"state": "up", "failures": 0, "successes": 3}}.
    location_states = models.JSONField(default=dict, editable=False)
    # Recent state changes (ISO times) for flapping detection.
    recent_changes = models.JSONField(default=list, editable=False)
    is_flapping = models.BooleanField(_("flapping"), default=False)
    last_result_at = models.DateTimeField(_("last result"), null=True, blank=True)
    last_latency_ms = models.FloatField(null=True, blank=True, editable=False)
    last_error_code = models.CharField(
        max_length=24, choices=ErrorCode.choices, blank=True, editable=False
    )
    last_ping_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["service", "name"]
        indexes = [models.Index(fields=["is_enabled", "kind"], name="mon_check_enabled_kind")]

    def __str__(self) -> str:
        return f"{self.service} — {self.name}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    def is_stale(self, now: object = None) -> bool:
        """No result for two intervals: the page must say "unknown", never "operational"."""
        now = now or timezone.now()
        if self.kind == CheckKind.HEARTBEAT:
            return False
        if self.last_result_at is None:
            return True
        return (now - self.last_result_at).total_seconds() > 2 * self.interval_seconds  # type: ignore[operator]


class CheckResult(models.Model):
    """One probe. Kept MONITORING_RAW_RETENTION_DAYS days; the rollups keep the history.

    Millions of rows: each byte counts (docs/benchmarks.md, "Database after a simulated
    year"). The natural key (time, check, location) is the primary key, so there is no id
    column and no index of its own; it leads with the time because results arrive in time
    order: PostgreSQL then fills the index pages at the right edge (≈ 90 % full) where a
    (check, time) key splits pages half-empty. Reads of one check use the small index on the
    check (deduplicated by PostgreSQL). Columns are ordered for PostgreSQL's alignment: the
    common row (an UP result with empty texts) fits 24 bytes of data."""

    pk = models.CompositePrimaryKey("at", "check_ref_id", "location")
    # Whole seconds (SQLite stores the time as text: no microseconds to write).
    at = models.DateTimeField(_("time"))
    check_ref = models.ForeignKey(
        Check,
        on_delete=models.CASCADE,
        related_name="results",
        db_column="check_id",
        db_index=False,
    )
    # Whole milliseconds: SQLite stores a small integer in 1–2 bytes instead of 8.
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=CheckState.choices)
    error_code = models.CharField(_("error"), max_length=24, choices=ErrorCode.choices, blank=True)
    # Short internal detail for the staff (never on the public page); empty on success.
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    # Empty for this installation's own probers; a remote prober's location otherwise.
    location = models.CharField(_("location"), max_length=50, blank=True, default="")

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["-at"]
        indexes = [models.Index(fields=["check_ref"], name="mon_result_check")]

    def __str__(self) -> str:
        return f"{self.check_ref_id} {self.at:%Y-%m-%d %H:%M:%S} {self.state}"


# One hour of a check inside DailyRollup.hours: results, failures, p50 and p95 latency (ms),
# four unsigned 16-bit numbers (latencies never exceed the 60 s timeout; 0xFFFF = none).
HOUR_SLOT = struct.Struct("<HHHH")
NO_LATENCY = 0xFFFF


@dataclass(frozen=True)
class HourSlot:
    total: int
    failures: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None

    @property
    def uptime(self) -> float | None:
        return 100.0 * (self.total - self.failures) / self.total if self.total else None


def _u16(value: int | None, ceiling: int = 0xFFFF) -> int:
    return NO_LATENCY if value is None else max(0, min(int(value), ceiling))


def hours_pack(slots: list[HourSlot | None]) -> bytes:
    """Slot n = the n-th hour after the day's local midnight (23 to 25 hours a day)."""
    while slots and slots[-1] is None:
        slots = slots[:-1]
    return b"".join(
        HOUR_SLOT.pack(0, 0, NO_LATENCY, NO_LATENCY)
        if slot is None
        else HOUR_SLOT.pack(
            _u16(slot.total),
            _u16(slot.failures),
            _u16(slot.latency_p50_ms, NO_LATENCY - 1),
            _u16(slot.latency_p95_ms, NO_LATENCY - 1),
        )
        for slot in slots
    )


def hours_unpack(data: bytes | memoryview) -> list[HourSlot | None]:
    slots: list[HourSlot | None] = []
    for total, failures, p50, p95 in HOUR_SLOT.iter_unpack(bytes(data)):
        slots.append(
            HourSlot(
                total,
                failures,
                None if p50 == NO_LATENCY else p50,
                None if p95 == NO_LATENCY else p95,
            )
            if total
            else None
        )
    return slots


def day_start(day: date) -> datetime:
    """The day's local midnight, as an aware time (hour slots count from it)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class DailyRollup(models.Model):
    """A check's day (local time): totals, failures, p50/p95 latency, and its hourly rollups
    packed in `hours` (8 bytes an hour). Kept MONITORING_ROLLUP_RETENTION_DAYS (2 years).

    One row a day instead of one an hour: PostgreSQL spends ~28 bytes of header and line
    pointer per row plus an index entry, more than an hour's figures themselves; 24 hourly
    rows of 200 checks for a year weighed ~150 MB, the packed hours ~15 MB. The key leads
    with the day for the same reason as the results' (rows arrive day after day)."""

    pk = models.CompositePrimaryKey("day", "check_ref_id")
    day = models.DateField()
    check_ref = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="+", db_index=False)
    total = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    latency_p50_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_p95_ms = models.PositiveIntegerField(null=True, blank=True)
    hours = models.BinaryField(default=b"", blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.check_ref_id} {self.day}"

    @property
    def uptime(self) -> float | None:
        if not self.total:
            return None
        return 100.0 * (self.total - self.failures) / self.total

    def hour_slots(self) -> list[HourSlot | None]:
        return hours_unpack(self.hours or b"")

    def hours_set(self, slots: list[HourSlot | None]) -> None:
        """Store the hours and make the day's figures theirs: p50 is the median of the hourly
        medians and p95 the highest hourly p95 (an upper bound: exact enough, and cheap)."""
        self.hours = hours_pack(slots)
        filled = [s for s in slots if s is not None]
        self.total = sum(s.total for s in filled)
        self.failures = sum(s.failures for s in filled)
        p50s = sorted(s.latency_p50_ms for s in filled if s.latency_p50_ms is not None)
        p95s = [s.latency_p95_ms for s in filled if s.latency_p95_ms is not None]
        self.latency_p50_ms = p50s[(len(p50s) - 1) // 2] if p50s else None
        self.latency_p95_ms = max(p95s) if p95s else None


class Incident(TimeStampedModel):
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(_("title"), max_length=200)
    impact = models.CharField(
        _("impact"), max_length=16, choices=IncidentImpact.choices, default=IncidentImpact.DOWN
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=IncidentStatus.choices,
        default=IncidentStatus.INVESTIGATING,
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    is_automatic = models.BooleanField(_("opened by the prober"), default=False)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("major-incident ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["service", "status"], name="mon_incident_open")]
        constraints = [
            # At most one open automatic incident per service, whatever the number of probers
            # or restarts (no duplicate incidents).
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(is_automatic=True, resolved_at__isnull=True),
                name="mon_incident_one_open_auto",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def get_absolute_url(self) -> str:
        return reverse("monitoring:incident", args=[self.pk])


class IncidentUpdate(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    visibility = models.CharField(_("visibility"), max_length=16, choices=UpdateVisibility.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, blank=True
    )
    body = models.TextField(_("message"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.visibility} {self.created_at:%Y-%m-%d %H:%M}"


class Maintenance(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    services = models.ManyToManyField(Service, verbose_name=_("services"), related_name="+")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the status-page subscribers were told it is planned, and that it started.
    announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    start_announced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="mon_maint_window")]

    def __str__(self) -> str:
        return self.title


class OnCallRota(models.Model):
    """Weekly rotation: member n is on duty during week n (mod members) after `starts_on`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    starts_at = models.DateTimeField(_("first handover"))
    fallback_email = models.EmailField(_("team address"), blank=True)

    class Meta:
        verbose_name = _("on-call rota")
        verbose_name_plural = _("on-call rotas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RotaMember(models.Model):
    rota = models.ForeignKey(OnCallRota, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rota", "user"], name="mon_rota_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rota_id}:{self.user_id}"


class OnCallOverride(models.Model):
    """Someone else is on duty for a while (absence, holiday)."""

    rota = models.ForeignKey(OnCallRota, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.rota_id}:{self.user_id} {self.starts_at:%Y-%m-%d}"


class AlertChannel(models.Model):
    """Where alerts go besides the on-call person's e-mail: a team address or a webhook."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    target = models.CharField(_("address or URL"), max_length=500)
    # Standard Webhooks signing secret (whsec_…), encrypted; never shown back.
    secret_encrypted = models.TextField(blank=True, editable=False)
    is_enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("alert channel")
        verbose_name_plural = _("alert channels")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ack_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="mon_alert_unacked",
                condition=models.Q(acknowledged_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.incident_id}"


class AllowListEntry(models.Model):
    """What checks may target (SECURITY.md C4): networks and DNS domains (whole labels)."""

    kind = models.CharField(_("kind"), max_length=8, choices=AllowKind.choices)
    value = models.CharField(_("value"), max_length=255)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("allowed target")
        verbose_name_plural = _("allowed targets")
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="mon_allow_unique")]

    def __str__(self) -> str:
        return self.value


class RemoteProber(models.Model):
    """A prober in another network zone, reporting results through the API with its token."""

    location = models.CharField(_("location"), max_length=50, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("remote prober")
        verbose_name_plural = _("remote probers")
        ordering = ["location"]

    def __str__(self) -> str:
        return self.location


class Subscription(models.Model):
    """A person who asked for status-page updates by e-mail (double opt-in)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    # The language of the page they subscribed from: their mails are written in it.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return self.email
