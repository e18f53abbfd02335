"""Service-watch fixtures: real local servers, and a service with a check written through the
services by an administrator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from relais.accounts.models import User
from relais.monitoring import services
from relais.monitoring.models import Check, Service
from relais.tickets.models import Category
from tests.monitoring.servers import BlackHole, DnsServer, TargetServer
from tests.tickets.conftest import (  # noqa: F401 (fixtures)
    requester,
    team_agent,
    vpn_category,
    vpn_team,
)


@pytest.fixture(scope="session")
def target_server() -> Iterator[TargetServer]:
    server = TargetServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_target(target_server: TargetServer) -> None:
    target_server.stopped.clear()
    target_server.hits.clear()
    target_server.received.clear()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.stop()


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer({"intranet.example.fr": ["10.1.2.3"], "vpn.example.fr": ["10.1.2.4"]})
    yield server
    server.stop()


@pytest.fixture
def vpn_service(admin_user: User, vpn_category: Category) -> Service:  # noqa: F811
    return services.service_create(
        actor=admin_user,
        data={"name": "VPN", "is_public": True, "ticket_category": vpn_category},
    )


def http_check(admin: User, service: Service, url: str, **data: Any) -> Check:
    payload = {
        "name": data.pop("name", "Portail"),
        "kind": "http",
        "target": url,
        "interval_seconds": 30,
        "timeout_seconds": 2,
        "failures_before_down": 3,
        "successes_before_up": 2,
        **data,
    }
    return services.check_create(actor=admin, service=service, data=payload)


@pytest.fixture
def vpn_check(admin_user: User, vpn_service: Service, target_server: TargetServer) -> Check:
    return http_check(admin_user, vpn_service, target_server.url("/ok"))
