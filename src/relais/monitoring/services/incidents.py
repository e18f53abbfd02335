"""Incidents: opened and resolved automatically by state changes, updated by agents (public
updates and internal notes), tied to a major-incident ticket through tickets.services."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.monitoring.choices import (
    IncidentImpact,
    IncidentStatus,
    ServiceState,
    UpdateVisibility,
)
from relais.monitoring.models import Incident, IncidentUpdate, Service
from relais.monitoring.permissions import is_staff
from relais.monitoring.public_cache import public_outputs_changed

if TYPE_CHECKING:
    from relais.accounts.models import User
    from relais.tickets.models import Ticket

logger = logging.getLogger(__name__)


def _default_language_text(message: Promise, **params: str) -> str:
    """Automatic timeline texts are written once, in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params


def incident_open_auto(
    *, service: Service, impact: str, at: datetime
) -> tuple[Incident, bool, bool]:
    """The service's open automatic incident, opened if needed. Returns (incident, opened,
    worsened). At most one per service, whatever the probers and restarts."""
    impact = IncidentImpact.DOWN if impact == ServiceState.DOWN else IncidentImpact.DEGRADED
    existing = Incident.objects.filter(
        service=service, is_automatic=True, resolved_at__isnull=True
    ).first()
    if existing is not None:
        if existing.impact == IncidentImpact.DEGRADED and impact == IncidentImpact.DOWN:
            existing.impact = IncidentImpact.DOWN
            existing.save(update_fields=["impact", "updated_at"])
            _timeline(
                existing,
                _default_language_text(gettext_lazy("%(name)s is down."), name=service.name),
            )
            return existing, False, True
        return existing, False, False
    if impact == IncidentImpact.DOWN:
        title = _default_language_text(gettext_lazy("%(name)s is down"), name=service.name)
    else:
        title = _default_language_text(gettext_lazy("%(name)s is degraded"), name=service.name)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                service=service, title=title, impact=impact, started_at=at, is_automatic=True
            )
    except IntegrityError:
        # Another prober opened it a moment ago.
        incident = Incident.objects.get(
            service=service, is_automatic=True, resolved_at__isnull=True
        )
        return incident, False, False
    _timeline(
        incident,
        _default_language_text(
            gettext_lazy("We are investigating a problem with %(name)s."), name=service.name
        ),
        status=IncidentStatus.INVESTIGATING,
    )
    _major_ticket_open(incident)
    _subscribers_notify(incident, incident.updates.first())
    return incident, True, False


def incident_resolve_auto(*, service: Service, at: datetime) -> Incident | None:
    incident = Incident.objects.filter(
        service=service, is_automatic=True, resolved_at__isnull=True
    ).first()
    if incident is None:
        return None
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = at
    incident.save(update_fields=["status", "resolved_at", "updated_at"])
    update = _timeline(
        incident,
        _default_language_text(gettext_lazy("%(name)s works again."), name=service.name),
        status=IncidentStatus.RESOLVED,
    )
    _major_ticket_resolve(incident, at=at)
    _subscribers_notify(incident, update)
    return incident


def _timeline(
    incident: Incident,
    body: str,
    *,
    status: str = "",
    visibility: str = UpdateVisibility.PUBLIC,
    author: User | None = None,
) -> IncidentUpdate:
    return IncidentUpdate.objects.create(
        incident=incident, visibility=visibility, status=status, body=body, author=author
    )


def _major_ticket_open(incident: Incident) -> None:
    """Open the major-incident ticket, as the administrator who set the service up, in the
    service's category. Without them the incident stays without a ticket (agents link one)."""
    from relais.tickets import services as ticket_services
    from relais.tickets.choices import Channel, Level

    service = incident.service
    creator = service.created_by
    if service.ticket_category is None or creator is None or not creator.is_active:
        return
    try:
        with transaction.atomic():
            ticket = ticket_services.ticket_open(
                actor=creator,
                draft=ticket_services.TicketDraft(
                    category=service.ticket_category,
                    title=incident.title,
                    description=_default_language_text(
                        gettext_lazy(
                            "Opened by the service watch: %(name)s is unavailable since %(at)s."
                        ),
                        name=service.name,
                        at=timezone.localtime(incident.started_at).strftime("%d/%m/%Y %H:%M"),
                    ),
                    impact=Level.HIGH,
                    urgency=Level.HIGH,
                ),
                channel=Channel.MONITORING,
            )
            ticket = ticket_services.ticket_flag_major(ticket=ticket, actor=creator)
    except (ValidationError, PermissionDenied):
        logger.warning("could not open the major-incident ticket", extra={"incident": incident.pk})
        return
    incident.ticket = ticket
    incident.save(update_fields=["ticket", "updated_at"])


def _major_ticket_resolve(incident: Incident, *, at: datetime) -> None:
    """The service works again: its major-incident ticket is resolved through the tickets
    services (history entry, requesters told, the tickets of people who joined it resolved
    with it), as the administrator who set the service up. A ticket an agent already
    resolved, closed or cannot be resolved by them stays as it is."""
    from relais.tickets import services as ticket_services
    from relais.tickets.choices import OPEN_STATUSES, Channel, TicketStatus

    ticket = incident.ticket
    actor = incident.service.created_by
    if ticket is None or ticket.status not in OPEN_STATUSES:
        return
    if actor is None or not actor.is_active:
        logger.warning("major-incident ticket left open", extra={"incident": incident.pk})
        return
    resolution = _default_language_text(
        gettext_lazy("Resolved by the service watch: %(name)s works again since %(at)s."),
        name=incident.service.name,
        at=timezone.localtime(at).strftime("%d/%m/%Y %H:%M"),
    )
    try:
        with transaction.atomic():
            ticket_services.ticket_update(
                ticket=ticket,
                actor=actor,
                changes={"status": TicketStatus.RESOLVED, "resolution": resolution},
                expected_version=None,
                channel=Channel.MONITORING,
            )
    except (ValidationError, PermissionDenied):
        logger.warning(
            "could not resolve the major-incident ticket", extra={"incident": incident.pk}
        )


def incident_create(
    *, actor: User, service: Service, title: str, body: str, impact: str = IncidentImpact.DOWN
) -> Incident:
    """An agent declares an incident the probes did not see."""
    if not is_staff(actor):
        raise PermissionDenied
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the incident a title.")
    if not body.strip():
        errors["body"] = _("Say what is happening.")
    if impact not in IncidentImpact.values:
        errors["impact"] = _("Unknown value.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = Incident.objects.create(
            service=service, title=title.strip()[:200], impact=impact, created_by=actor
        )
        update = _timeline(
            incident, body.strip(), status=IncidentStatus.INVESTIGATING, author=actor
        )
        _subscribers_notify(incident, update)
        public_outputs_changed()
    return incident


def incident_update_add(
    *, actor: User, incident: Incident, body: str, visibility: str, status: str = ""
) -> IncidentUpdate:
    """A public update (investigating, identified, monitoring, resolved) or an internal note."""
    if not is_staff(actor):
        raise PermissionDenied
    body = body.strip()
    errors = {}
    if not body:
        errors["body"] = _("Write the update.")
    elif len(body) > 5000:
        errors["body"] = _("5,000 characters at most.")
    if visibility not in UpdateVisibility.values:
        errors["visibility"] = _("Unknown value.")
    if status and status not in IncidentStatus.values:
        errors["status"] = _("Unknown value.")
    if visibility == UpdateVisibility.INTERNAL and status:
        errors["status"] = _("An internal note does not change the status.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.resolved_at is not None and status and status != IncidentStatus.RESOLVED:
            raise ValidationError({"status": _("This incident is resolved.")})
        update = _timeline(locked, body, status=status, visibility=visibility, author=actor)
        if status:
            locked.status = status
            if status == IncidentStatus.RESOLVED and locked.resolved_at is None:
                locked.resolved_at = timezone.now()
            locked.save(update_fields=["status", "resolved_at", "updated_at"])
        if visibility == UpdateVisibility.PUBLIC:
            _subscribers_notify(locked, update)
            public_outputs_changed()
    return update


def incident_link_ticket(*, actor: User, incident: Incident, ticket: Ticket) -> Incident:
    """Tie the incident to an existing ticket, flagged major through the tickets services."""
    from relais.tickets import services as ticket_services

    if not is_staff(actor):
        raise PermissionDenied
    with transaction.atomic():
        if not ticket.is_major:
            ticket = ticket_services.ticket_flag_major(ticket=ticket, actor=actor)
        incident.ticket = ticket
        incident.save(update_fields=["ticket", "updated_at"])
    return incident


def incident_join(*, actor: User, incident: Incident) -> Ticket:
    """ "I am affected": the person joins the major incident (tickets.services)."""
    from relais.tickets import services as ticket_services

    if incident.ticket is None or incident.resolved_at is not None:
        raise ValidationError(_("This incident has no open ticket to join."))
    return ticket_services.ticket_join_major(parent=incident.ticket, actor=actor)


def _subscribers_notify(incident: Incident, update: IncidentUpdate | None) -> None:
    """Public updates of public services reach the confirmed subscribers."""
    from relais.monitoring.services.subscriptions import subscribers_mail

    if update is None or not incident.service.is_public:
        return
    if update.visibility != UpdateVisibility.PUBLIC:
        return
    service, title = incident.service.name, incident.title
    subscribers_mail(
        template="monitoring/email/incident_update",
        context={"service": service, "title": title, "body": update.body},
        subject=lambda: f"[{service}] {title}",
    )
