"""From results to states, incidents, tickets and alerts (monitoring.services)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from freezegun import freeze_time

from relais.accounts.models import User
from relais.core.choices import OutboxKind
from relais.core.models import OutboxMessage
from relais.monitoring import services
from relais.monitoring.choices import AlertKind, CheckState, IncidentStatus, ServiceState
from relais.monitoring.executors import Outcome
from relais.monitoring.models import Alert, Check, Incident, Service
from relais.tickets import services as ticket_services
from relais.tickets.choices import EventKind, TicketStatus
from relais.tickets.models import Ticket
from tests.factories import UserFactory
from tests.smtp import SmtpServer

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(0))


def feed(check: Check, states: str, *, start: datetime = T0, location: str = "") -> None:
    """`states` like "UUDDD": one result per letter, 30 s apart."""
    letters = {"U": CheckState.UP, "D": CheckState.DOWN, "G": CheckState.DEGRADED}
    for n, letter in enumerate(states):
        services.results_record(
            results=[
                services.ProbeResult(
                    check.pk,
                    start + timedelta(seconds=30 * n),
                    Outcome(letters[letter], 12.0, 200 if letter == "U" else None),
                    location,
                )
            ]
        )


def mailed(smtp_server: SmtpServer) -> set[str]:
    return {
        address.strip()
        for message in smtp_server.messages
        for address in str(message["To"]).split(",")
    }


@pytest.fixture
def on_call_person(admin_user: User, vpn_service: Service) -> User:
    person = UserFactory(role="agent", email="astreinte@relais.test")
    backup = UserFactory(role="agent", email="renfort@relais.test")
    rota = services.rota_create(
        actor=admin_user,
        name="Astreinte réseau",
        starts_at=T0 - timedelta(days=1),
        members=[person, backup],
        fallback_email="reseau@relais.test",
    )
    Service.objects.filter(pk=vpn_service.pk).update(rota=rota)
    return person


def test_failures_before_down_and_successes_before_up(vpn_check: Check) -> None:
    feed(vpn_check, "UDD")
    vpn_check.refresh_from_db()
    assert vpn_check.state == CheckState.UP  # two failures: not yet
    feed(vpn_check, "D", start=T0 + timedelta(minutes=2))
    vpn_check.refresh_from_db()
    assert vpn_check.state == CheckState.DOWN
    feed(vpn_check, "U", start=T0 + timedelta(minutes=3))
    vpn_check.refresh_from_db()
    assert vpn_check.state == CheckState.DOWN  # one success of two
    feed(vpn_check, "U", start=T0 + timedelta(minutes=4))
    vpn_check.refresh_from_db()
    assert vpn_check.state == CheckState.UP


def test_an_outage_opens_one_incident_with_a_major_ticket_and_alerts_the_on_call_person(
    vpn_check: Check,
    on_call_person: User,
    smtp_server: SmtpServer,
    collaborator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        feed(vpn_check, "UDDD")
    service = Service.objects.get(pk=vpn_check.service_id)
    assert service.state == ServiceState.DOWN
    incident = Incident.objects.get(service=service)
    assert incident.is_automatic and incident.status == IncidentStatus.INVESTIGATING
    ticket = Ticket.objects.get(pk=incident.ticket_id)
    assert ticket.is_major and ticket.channel == "monitoring"
    alert = Alert.objects.get(incident=incident)
    assert (alert.kind, alert.recipient) == (AlertKind.DOWN, on_call_person)
    assert "astreinte@relais.test" in mailed(smtp_server)

    # More failures, a prober restart replaying the same state: nothing new.
    feed(vpn_check, "DDDD", start=T0 + timedelta(minutes=5))
    assert Incident.objects.filter(service=service).count() == 1
    assert Alert.objects.filter(incident=incident).count() == 1

    # "I am affected" links the person to the major incident through the tickets services.
    child = services.incident_join(actor=collaborator, incident=incident)
    assert child.parent_id == ticket.pk and child.requester == collaborator

    feed(vpn_check, "UU", start=T0 + timedelta(minutes=10))
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_at is not None
    assert list(Alert.objects.filter(incident=incident).values_list("kind", flat=True)) == [
        AlertKind.RECOVERED,
        AlertKind.DOWN,
    ]
    statuses = list(incident.updates.order_by("created_at").values_list("status", flat=True))
    assert statuses == [IncidentStatus.INVESTIGATING, IncidentStatus.RESOLVED]
    # The major-incident ticket is resolved with it, through the tickets services: a history
    # entry on the monitoring channel, and the ticket of the person who joined resolved too.
    ticket.refresh_from_db()
    child.refresh_from_db()
    assert (ticket.status, child.status) == (TicketStatus.RESOLVED, TicketStatus.RESOLVED)
    assert ticket.resolution.startswith("Résolu par la veille : VPN fonctionne de nouveau")
    assert child.resolution == ticket.resolution
    event = ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert (event.channel, event.new_value) == ("monitoring", "resolved")
    assert event.actor == service.created_by


def test_a_ticket_an_agent_already_closed_stays_closed(
    vpn_check: Check, admin_user: User, team_agent: User
) -> None:
    feed(vpn_check, "DDD")
    incident = Incident.objects.get()
    ticket = Ticket.objects.get(pk=incident.ticket_id)
    ticket_services.ticket_update(
        ticket=ticket,
        actor=admin_user,
        changes={"status": TicketStatus.CLOSED},
        expected_version=None,
    )
    feed(vpn_check, "UU", start=T0 + timedelta(minutes=5))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.events.filter(kind=EventKind.STATUS_CHANGED).count() == 1


def test_maintenance_suppresses_incidents_and_alerts(
    admin_user: User, vpn_check: Check, on_call_person: User
) -> None:
    services.maintenance_create(
        actor=admin_user,
        title="Mise à jour du concentrateur VPN",
        services=[vpn_check.service],
        starts_at=T0 - timedelta(minutes=5),
        ends_at=T0 + timedelta(hours=1),
    )
    feed(vpn_check, "DDDD")
    assert Service.objects.get(pk=vpn_check.service_id).state == ServiceState.MAINTENANCE
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()


def test_flapping_holds_alerts_back(vpn_check: Check, on_call_person: User) -> None:
    Check.objects.filter(pk=vpn_check.pk).update(failures_before_down=1, successes_before_up=1)
    vpn_check.refresh_from_db()
    feed(vpn_check, "UDUDUDUDUD")
    vpn_check.refresh_from_db()
    assert vpn_check.is_flapping
    # The first outage alerted; later changes while flapping did not add one per change.
    assert Alert.objects.count() <= 3
    assert Incident.objects.filter(resolved_at__isnull=True).count() <= 1


def test_two_locations_must_agree_before_down(admin_user: User, vpn_check: Check) -> None:
    services.service_update(
        actor=admin_user, service=vpn_check.service, data={"locations_required": 2}
    )
    feed(vpn_check, "DDD", location="siege")
    assert Check.objects.get(pk=vpn_check.pk).state == CheckState.DEGRADED
    assert Service.objects.get(pk=vpn_check.service_id).state == ServiceState.DEGRADED
    feed(vpn_check, "DDD", location="agence-nord")
    assert Check.objects.get(pk=vpn_check.pk).state == CheckState.DOWN
    assert Service.objects.get(pk=vpn_check.service_id).state == ServiceState.DOWN
    incident = Incident.objects.get()
    assert incident.impact == "down"  # the degraded incident worsened, not a second one


def test_escalation_and_reminders(
    vpn_check: Check,
    on_call_person: User,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    feed(vpn_check, "DDD")
    alert = Alert.objects.get()
    assert services.alerts_escalate_due(now=T0 + timedelta(minutes=5)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_escalate_due(now=T0 + timedelta(minutes=20)) == 1
    assert services.alerts_escalate_due(now=T0 + timedelta(minutes=25)) == 0  # once
    assert {"renfort@relais.test", "reseau@relais.test"} <= mailed(smtp_server)
    assert services.alerts_remind_due(now=T0 + timedelta(minutes=70)) == 1
    assert services.alerts_remind_due(now=T0 + timedelta(minutes=80)) == 0

    services.alert_acknowledge(actor=on_call_person, alert=alert)
    assert services.alerts_remind_due(now=T0 + timedelta(hours=5)) == 0


def test_override_replaces_the_week_member(
    admin_user: User, vpn_service: Service, on_call_person: User
) -> None:
    rota = Service.objects.get(pk=vpn_service.pk).rota
    assert services.on_call(rota, T0) == on_call_person
    stand_in = UserFactory(role="agent")
    services.rota_override_add(
        actor=admin_user,
        rota=rota,
        user=stand_in,
        starts_at=T0,
        ends_at=T0 + timedelta(days=2),
        reason="Congés",
    )
    assert services.on_call(rota, T0 + timedelta(hours=1)) == stand_in
    assert services.on_call(rota, T0 + timedelta(days=7)) != stand_in


def test_webhook_alerts_go_through_the_outbox(
    admin_user: User, vpn_check: Check, settings: Any
) -> None:
    services.channel_create(
        actor=admin_user, name="Teams DSI", kind="teams", target="https://93.184.215.14/hook"
    )
    feed(vpn_check, "DDD")
    rows = OutboxMessage.objects.filter(kind=OutboxKind.WEBHOOK)
    assert rows.count() == 1
    assert rows.get().payload["event"]["type"] == "incident.down"


def test_heartbeat_late_and_missing(admin_user: User, vpn_service: Service) -> None:
    with freeze_time(T0):
        check = services.check_create(
            actor=admin_user,
            service=vpn_service,
            data={
                "name": "Sauvegarde nocturne",
                "kind": "heartbeat",
                "interval_seconds": 3600,
                "timeout_seconds": 10,
                "grace_seconds": 600,
            },
        )
        assert services.heartbeat_ping(token=check.heartbeat_token) is not None
    assert services.heartbeats_evaluate(now=T0 + timedelta(minutes=65)) == 0  # within grace
    assert services.heartbeats_evaluate(now=T0 + timedelta(minutes=71)) == 1
    check.refresh_from_db()
    assert check.state == CheckState.DOWN
    with freeze_time(T0 + timedelta(minutes=80)):
        services.heartbeat_ping(token=check.heartbeat_token)
    check.refresh_from_db()
    assert check.state == CheckState.UP
    assert services.heartbeat_ping(token="unknown") is None


def test_heartbeat_with_a_cron_expression(admin_user: User, vpn_service: Service) -> None:
    with freeze_time(T0):
        services.check_create(
            actor=admin_user,
            service=vpn_service,
            data={
                "name": "Export paie",
                "kind": "heartbeat",
                "heartbeat_cron": "0 2 * * *",
                "interval_seconds": 86400,
                "timeout_seconds": 10,
                "grace_seconds": 1800,
            },
        )
    # Created at 09:00, the next run is due at 02:00 the next day, plus 30 minutes.
    assert services.heartbeats_evaluate(now=T0 + timedelta(hours=17, minutes=20)) == 0
    assert services.heartbeats_evaluate(now=T0 + timedelta(hours=17, minutes=40)) == 1
