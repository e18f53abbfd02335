"""Alerts: the on-call rota decides who is called; e-mail and webhooks leave through the
outbox; escalation when nobody acknowledges in time; reminders while the incident lasts.

Alerts are written only when a service changes state (never per result), so a prober that
restarts with the persisted state sends nothing new; maintenance and flapping hold them back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.core.choices import OutboxKind
from relais.core.services import email_enqueue, outbox_enqueue
from relais.monitoring.choices import AlertKind, ChannelKind, IncidentStatus
from relais.monitoring.models import (
    Alert,
    AlertChannel,
    Incident,
    OnCallOverride,
    OnCallRota,
    RotaMember,
)
from relais.monitoring.permissions import is_staff

if TYPE_CHECKING:
    from relais.accounts.models import User


def on_call(rota: OnCallRota | None, at: datetime, *, offset: int = 0) -> User | None:
    """Who is on duty at `at`: an override if one covers it, else the week's member.
    `offset` 1 gives the next person (escalation)."""
    if rota is None:
        return None
    overrides = (
        list(
            OnCallOverride.objects.filter(rota=rota, starts_at__lte=at, ends_at__gt=at)
            .select_related("user")
            .order_by("-starts_at")[:1]
        )
        if offset == 0
        else []
    )
    members = [m.user for m in RotaMember.objects.filter(rota=rota).select_related("user")]
    return on_duty(rota, members, overrides, at, offset=offset)


def on_duty(
    rota: OnCallRota,
    members: list[User],
    overrides: list[OnCallOverride],
    at: datetime,
    *,
    offset: int = 0,
) -> User | None:
    """The rule of `on_call` on loaded rows (members in rotation order, any overrides)."""
    if offset == 0:
        covering = sorted(
            (o for o in overrides if o.starts_at <= at < o.ends_at and o.user.is_active),
            key=lambda o: o.starts_at,
            reverse=True,
        )
        if covering:
            return covering[0].user
    active = [u for u in members if u.is_active]
    if not active:
        return None
    weeks = max(0, int((at - rota.starts_at).total_seconds() // (7 * 86400)))
    return active[(weeks + offset) % len(active)]


def rota_schedule(rota: OnCallRota, start: datetime, weeks: int = 6) -> list[dict[str, Any]]:
    """The coming weeks' duty, overrides included, for the team to see."""
    rows = []
    week = timedelta(days=7)
    elapsed = max(0, int((start - rota.starts_at).total_seconds() // week.total_seconds()))
    for n in range(weeks):
        begins = rota.starts_at + (elapsed + n) * week
        rows.append({"starts_at": begins, "ends_at": begins + week, "user": on_call(rota, begins)})
    return rows


def _event(incident: Incident, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "type": f"incident.{kind}",
        "timestamp": at.isoformat(),
        "data": {
            "incident_id": incident.pk,
            "service": incident.service.name,
            "title": incident.title,
            "impact": incident.impact,
            "status": incident.status,
            "started_at": incident.started_at.isoformat(),
            "url": settings.SITE_URL + incident.get_absolute_url(),
        },
    }


def _subject(incident: Incident, kind: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        labels: dict[str, str] = {
            AlertKind.DOWN: _("DOWN"),
            AlertKind.DEGRADED: _("DEGRADED"),
            AlertKind.RECOVERED: _("RECOVERED"),
            AlertKind.REMINDER: _("REMINDER"),
            AlertKind.ESCALATION: _("ESCALATION"),
        }
        return f"[{labels.get(kind, kind)}] {incident.service.name}: {incident.title}"


def _mail(alert: Alert, to: list[str]) -> None:
    incident = alert.incident
    ack = settings.SITE_URL + reverse("monitoring:ack", args=[alert.ack_token])
    with translation.override(settings.LANGUAGE_CODE):
        text = "\n".join(
            [
                _subject(incident, alert.kind),
                "",
                _("Since: %(at)s") % {"at": timezone.localtime(incident.started_at)},
                _("Incident: %(url)s") % {"url": settings.SITE_URL + incident.get_absolute_url()},
                ""
                if alert.kind == AlertKind.RECOVERED
                else _("Acknowledge: %(url)s") % {"url": ack},
            ]
        )
    email_enqueue(to=to, subject=_subject(incident, alert.kind), text=text)


def alerts_send(*, incident: Incident, kind: str, at: datetime) -> Alert | None:
    """One alert for one state change: the on-call person by e-mail, and every channel.
    Nothing during a maintenance window of the service."""
    from relais.monitoring.services.results import active_maintenance_service_ids

    if incident.service_id in active_maintenance_service_ids(at):
        return None
    recipient = on_call(incident.service.rota, at)
    alert = Alert.objects.create(incident=incident, kind=kind, recipient=recipient, created_at=at)
    addresses = [recipient.email] if recipient is not None else []
    if not addresses and incident.service.rota and incident.service.rota.fallback_email:
        addresses = [incident.service.rota.fallback_email]
    if addresses:
        _mail(alert, addresses)
    _channels_send(incident, kind, at)
    return alert


def _channels_send(incident: Incident, kind: str, at: datetime) -> None:
    event = _event(incident, kind, at)
    for channel in AlertChannel.objects.filter(is_enabled=True):
        if channel.kind == ChannelKind.EMAIL:
            email_enqueue(
                to=[channel.target],
                subject=_subject(incident, kind),
                text=f"{_subject(incident, kind)}\n\n{event['data']['url']}",
            )
        else:
            outbox_enqueue(
                kind=OutboxKind.WEBHOOK,
                payload={"channel_id": channel.pk, "format": channel.kind, "event": event},
            )


def alert_acknowledge(*, actor: User, alert: Alert) -> Alert:
    """Anyone on the staff may take the alert; later reminders and escalation stop."""
    if not is_staff(actor):
        raise PermissionDenied
    with transaction.atomic():
        Alert.objects.filter(incident=alert.incident, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=actor
        )
        alert.refresh_from_db()
    return alert


def _unacked_open(now: datetime) -> list[Alert]:
    return list(
        Alert.objects.filter(
            acknowledged_at__isnull=True,
            kind__in=(AlertKind.DOWN, AlertKind.DEGRADED),
            incident__resolved_at__isnull=True,
        )
        .exclude(incident__status=IncidentStatus.RESOLVED)
        .select_related("incident__service__rota", "recipient")
        .order_by("created_at")[:500]
    )


def alerts_escalate_due(*, now: datetime | None = None) -> int:
    """Alerts nobody acknowledged within the service's delay go to the next person on the
    rota and to the team address. Idempotent: an alert escalates once."""
    now = now or timezone.now()
    count = 0
    for alert in _unacked_open(now):
        service = alert.incident.service
        if alert.escalated_at or alert.created_at > now - timedelta(
            minutes=service.escalation_minutes
        ):
            continue
        with transaction.atomic():
            updated = Alert.objects.filter(pk=alert.pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not updated:
                continue
            nxt = on_call(service.rota, now, offset=1)
            escalation = Alert.objects.create(
                incident=alert.incident, kind=AlertKind.ESCALATION, recipient=nxt, created_at=now
            )
            to = [u.email for u in (nxt, alert.recipient) if u is not None]
            if service.rota and service.rota.fallback_email:
                to.append(service.rota.fallback_email)
            if to:
                _mail(escalation, sorted(set(to)))
            _channels_send(alert.incident, AlertKind.ESCALATION, now)
            count += 1
    return count


def alerts_remind_due(*, now: datetime | None = None) -> int:
    """While an incident lasts unacknowledged, remind its recipient every reminder period."""
    now = now or timezone.now()
    count = 0
    for alert in _unacked_open(now):
        service = alert.incident.service
        if not service.reminder_minutes or alert.recipient is None:
            continue
        last = alert.last_reminder_at or alert.created_at
        if last > now - timedelta(minutes=service.reminder_minutes):
            continue
        with transaction.atomic():
            updated = (
                Alert.objects.filter(pk=alert.pk)
                .filter(last_reminder_at=alert.last_reminder_at)
                .update(last_reminder_at=now)
            )
            if not updated:
                continue
            reminder = Alert(
                incident=alert.incident, kind=AlertKind.REMINDER, ack_token=alert.ack_token
            )
            _mail(reminder, [alert.recipient.email])
            count += 1
    return count
