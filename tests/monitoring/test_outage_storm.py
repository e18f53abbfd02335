"""SECURITY.md J2: an outage of a core service never takes the desk down with it. Every check
of every service fails at once (the real prober against closed loopback ports): one incident
and one alert per service, a bounded outbox, and the desk keeps answering with bounded
queries."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.accounts.models import User
from relais.core.models import OutboxMessage
from relais.monitoring import services
from relais.monitoring.choices import AlertKind, ServiceState
from relais.monitoring.models import Alert, Check, CheckResult, Incident, Service
from relais.tickets.models import Category, Ticket
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.monitoring.servers import probe_for

SERVICES = 30
CHECKS = 100
SUBSCRIBERS = 3


def closed_ports(count: int) -> list[int]:
    """Loopback ports nobody listens on (bound by the system, then released): a connection
    is refused at once, as when a service's host is up but its daemon is dead."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def desk_queries(client: Any, url: str) -> int:
    client.get(url)  # warm the session and the cached choice lists
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_check_of_every_service_failing_at_once_leaves_the_desk_standing(
    admin_user: User, vpn_category: Category, team_agent: User, requester: User
) -> None:
    # Given 30 services (100 checks, HTTP and TCP) with their major-incident category, one
    # on-call rota, and people subscribed to the status page.
    on_call = UserFactory(role="agent", email="astreinte@relais.test")
    rota = services.rota_create(
        actor=admin_user,
        name="Astreinte",
        starts_at=timezone.now() - timedelta(days=1),
        members=[on_call],
    )
    for n in range(SUBSCRIBERS):
        subscription = services.subscription_request(email=f"abonne{n}@relais.test")
        services.subscription_confirm(token=subscription.token)
    ports = closed_ports(CHECKS)
    for n in range(SERVICES):
        service = services.service_create(
            actor=admin_user,
            data={
                "name": f"Service {n:02}",
                "is_public": True,
                "ticket_category": vpn_category,
                "rota": rota,
            },
        )
        for m in range(n, CHECKS, SERVICES):
            port = ports[m]
            kind, target = ("http", f"http://127.0.0.1:{port}/") if m % 2 else ("tcp", "")
            services.check_create(
                actor=admin_user,
                service=service,
                data={
                    "name": f"Contrôle {m}",
                    "kind": kind,
                    "target": target or f"127.0.0.1:{port}",
                    "interval_seconds": 30,
                    "timeout_seconds": 2,
                    "failures_before_down": 2,
                },
            )
    assert Check.objects.count() == CHECKS
    baseline = {
        label: desk_queries(client, url)
        for label, client, url in (
            ("queue", client_for(team_agent), reverse("tickets:queue") + "?queue=team"),
            ("portal", client_for(requester), reverse("tickets:portal")),
        )
    }
    outbox_before = OutboxMessage.objects.count()

    # When every check fails at once, for a few prober rounds.
    probe_for(2.6)

    # Then: every service down, one incident per service, each with its major ticket and one
    # alert to the on-call person (per service, never per check or per failed probe).
    assert set(Service.objects.values_list("state", flat=True)) == {ServiceState.DOWN}
    assert Incident.objects.count() == SERVICES
    assert Incident.objects.filter(ticket__isnull=False).count() == SERVICES
    assert (
        list(Alert.objects.values_list("kind", "recipient"))
        == [(AlertKind.DOWN, on_call.pk)] * SERVICES
    )
    # The outbox: per service, the on-call alert, the notice to each subscriber, and the
    # major ticket's acknowledgement (to the administrator it is opened as) and its team
    # notification; nothing per check or per failed probe.
    assert OutboxMessage.objects.count() - outbox_before == SERVICES * (1 + SUBSCRIBERS + 2)
    outbox_storm = OutboxMessage.objects.count()

    # The desk answers while everything is down, without more queries than before the storm
    # (the outage banner shows five outages at most).
    agent, person = client_for(team_agent), client_for(requester)
    major = Ticket.objects.filter(is_major=True).order_by("pk").first()
    assert major is not None
    storm = {
        "queue": desk_queries(agent, reverse("tickets:queue") + "?queue=team"),
        "portal": desk_queries(person, reverse("tickets:portal")),
    }
    assert storm["queue"] <= baseline["queue"] + 2 and storm["portal"] <= baseline["portal"] + 2
    assert storm["queue"] <= 10 and storm["portal"] <= 8
    assert desk_queries(agent, reverse("tickets:detail", args=[major.reference])) <= 15
    assert "service-down-banner" in person.get(reverse("tickets:portal")).content.decode()
    assert person.get("/veille/statut-public/").status_code == 200

    # The storm goes on (a prober restarted meanwhile) while people use the desk: every page
    # answers, and nothing new is opened, sent or queued.
    results_before = CheckResult.objects.count()
    prober = threading.Thread(target=probe_for, args=(2.5,))
    prober.start()
    answered = []
    while prober.is_alive():
        for c, url in (
            (agent, reverse("tickets:queue") + "?queue=team"),
            (person, reverse("tickets:portal")),
            (agent, reverse("tickets:detail", args=[major.reference])),
        ):
            answered.append(c.get(url).status_code)
    prober.join()
    assert set(answered) == {200} and len(answered) >= 3
    assert CheckResult.objects.count() >= results_before + 2 * CHECKS  # it did probe meanwhile
    assert Incident.objects.count() == SERVICES
    assert Alert.objects.count() == SERVICES
    assert OutboxMessage.objects.count() == outbox_storm
