"""SLA clocks of tickets: targets from the policies, deadlines in business time, pauses while
waiting, warnings and breaches. The arithmetic itself is the pure module `tickets.sla`."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from relais.tickets import sla
from relais.tickets.choices import (
    OPEN_STATUSES,
    EventKind,
    NotificationEvent,
    SlaKind,
)
from relais.tickets.config import DeskConfig, desk_config
from relais.tickets.events import event_record
from relais.tickets.models import (
    BusinessCalendar,
    SlaPause,
    SlaPolicy,
    Ticket,
)
from relais.tickets.services import facts

_DEFAULT = sla.BusinessCalendar.french()


@lru_cache(maxsize=64)
def _calendar_cached(pk: int, updated_at: datetime) -> sla.BusinessCalendar:
    calendar = BusinessCalendar.objects.get(pk=pk)
    hours = calendar.parsed_hours()
    extra = calendar.parsed_closed_dates()
    if calendar.french_holidays:
        return sla.BusinessCalendar.french(
            hours=hours, extra_closed=extra, timezone=calendar.timezone
        )
    from zoneinfo import ZoneInfo

    return sla.BusinessCalendar(
        timezone=ZoneInfo(calendar.timezone), hours=hours, closed_days=extra
    )


def calendar_arithmetic(calendar: BusinessCalendar | None) -> sla.BusinessCalendar:
    if calendar is None:
        return _DEFAULT
    return _calendar_cached(calendar.pk, calendar.updated_at)


def policy_for(ticket: Ticket, config: DeskConfig | None = None) -> SlaPolicy | None:
    """The most specific policy: the ticket's category, then its ancestors, then the default."""
    return (config or desk_config()).policy(ticket.priority, ticket.category_id)


def calendar_for(
    ticket: Ticket, policy: SlaPolicy | None, config: DeskConfig | None = None
) -> BusinessCalendar | None:
    """The policy's calendar, else the team's, else the default one."""
    if policy is not None and policy.calendar_id:
        return policy.calendar
    config = config or desk_config()
    if ticket.team_id and ticket.team_id in config.team_calendars:
        return config.team_calendars[ticket.team_id]
    return config.default_calendar


def _pauses(ticket: Ticket) -> list[sla.Pause]:
    return [sla.Pause(start=p.started_at, end=p.ended_at) for p in ticket.sla_pauses.all()]


def sla_targets_apply(ticket: Ticket, config: DeskConfig | None = None) -> None:
    """Fix the targets for the ticket's current priority and category (on opening, and when
    either changes). Paused time already recorded is kept: deadlines are recomputed from the
    opening with every pause, never from scratch."""
    config = config or desk_config()
    policy = policy_for(ticket, config)
    ticket.sla_calendar = calendar_for(ticket, policy, config)
    ticket.first_response_target = policy.first_response_minutes if policy else None
    ticket.resolution_target = policy.resolution_minutes if policy else None


def sla_deadlines_refresh(ticket: Ticket, config: DeskConfig | None = None) -> None:
    """Recompute the due dates from the targets and the pauses (None while paused)."""
    calendar = calendar_arithmetic(ticket.sla_calendar)
    pauses = _pauses(ticket) if ticket.pk else []
    if ticket.first_response_target is not None and ticket.first_responded_at is None:
        ticket.first_response_due = sla.sla_deadline_compute(
            calendar,
            start=ticket.created_at,
            target=timedelta(minutes=ticket.first_response_target),
            pauses=pauses,
        )
    elif ticket.first_response_target is None:
        ticket.first_response_due = None
    if ticket.resolution_target is not None and ticket.status in OPEN_STATUSES:
        target = timedelta(minutes=ticket.resolution_target)
        ticket.resolution_due = sla.sla_deadline_compute(
            calendar, start=ticket.created_at, target=target, pauses=pauses
        )
        warn_share = (config or desk_config()).settings.sla_warning_percent / 100
        ticket.resolution_warn_at = sla.sla_deadline_compute(
            calendar, start=ticket.created_at, target=target * warn_share, pauses=pauses
        )
    elif ticket.resolution_target is None:
        ticket.resolution_due = ticket.resolution_warn_at = None


def sla_pause(ticket: Ticket, *, now: datetime) -> None:
    if ticket.sla_paused_since is None:
        SlaPause.objects.create(ticket=ticket, started_at=now)
        ticket.sla_paused_since = now


def sla_resume(ticket: Ticket, *, now: datetime) -> None:
    if ticket.sla_paused_since is not None:
        SlaPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
        ticket.sla_paused_since = None


def sla_breach_check(ticket: Ticket, *, now: datetime) -> None:
    """Mark a breach when a due date is passed at the moment it is met (late response or
    resolution), so that it counts even if the periodic check did not run in between."""
    if (
        ticket.first_response_due
        and ticket.first_responded_at
        and ticket.first_responded_at > ticket.first_response_due
    ):
        ticket.first_response_breached = True
    if ticket.resolution_due and ticket.resolved_at and ticket.resolved_at > ticket.resolution_due:
        ticket.resolution_breached = True


def sla_watch(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Periodic: warn at the configured share of the resolution target, record breaches, and
    notify the people handling the ticket. Idempotent (flags on the ticket)."""
    from relais.tickets.services.notify import notify

    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0}
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES, sla_paused_since__isnull=True)

    breached_ids = list(
        open_tickets.filter(resolution_breached=False, resolution_due__lte=now).values_list(
            "pk", flat=True
        )[:batch]
    ) + list(
        open_tickets.filter(
            first_response_breached=False,
            first_responded_at__isnull=True,
            first_response_due__lte=now,
        ).values_list("pk", flat=True)[:batch]
    )
    for ticket_id in dict.fromkeys(breached_ids):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("assignee", "team")
                .get(pk=ticket_id)
            )
            kinds = []
            if (
                not ticket.resolution_breached
                and ticket.resolution_due
                and ticket.resolution_due <= now
            ):
                ticket.resolution_breached = True
                kinds.append(SlaKind.RESOLUTION)
            if (
                not ticket.first_response_breached
                and ticket.first_responded_at is None
                and ticket.first_response_due
                and ticket.first_response_due <= now
            ):
                ticket.first_response_breached = True
                kinds.append(SlaKind.FIRST_RESPONSE)
            if not kinds:
                continue
            ticket.save(update_fields=["resolution_breached", "first_response_breached"])
            facts.ticket_fact_sync(ticket)
            for kind in kinds:
                event_record(ticket=ticket, kind=EventKind.SLA_BREACHED, new=kind, internal=True)
            notify(NotificationEvent.SLA_BREACH, ticket, _handlers(ticket))
            counts["breached"] += 1

    # Warning: the configured share of the resolution target is consumed (its instant is
    # precomputed in business time whenever the deadlines are refreshed).
    warn_ids = list(
        open_tickets.filter(
            sla_warned=False, resolution_breached=False, resolution_warn_at__lte=now
        ).values_list("pk", flat=True)[:batch]
    )
    for ticket_id in warn_ids:
        with transaction.atomic():
            updated = Ticket.objects.filter(pk=ticket_id, sla_warned=False).update(sla_warned=True)
            if not updated:
                continue
            ticket = Ticket.objects.select_related("assignee", "team").get(pk=ticket_id)
            event_record(
                ticket=ticket,
                kind=EventKind.SLA_WARNING,
                new=desk_config().settings.sla_warning_percent,
                internal=True,
            )
            notify(NotificationEvent.SLA_WARNING, ticket, _handlers(ticket))
            counts["warned"] += 1
    return counts


def _handlers(ticket: Ticket) -> list[Any]:
    if ticket.assignee_id:
        return [ticket.assignee]
    if ticket.team_id:
        return list(ticket.team.members.filter(is_active=True))  # type: ignore[union-attr]
    return []
