"""The service watch in a real browser: a local target stops, the prober sees it down, the
status pages say so and the portal shows the banner; "I am affected" joins the major
incident. Pages pass axe-core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from relais.monitoring import services
from relais.monitoring.models import Incident
from relais.tickets.models import Category, Ticket
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, UserFactory
from tests.monitoring.servers import TargetServer, probe_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def target() -> Iterator[TargetServer]:
    server = TargetServer().start()
    yield server
    server.stop()


def test_status_page_and_banner_while_a_target_is_stopped(page: Page, target: TargetServer):  # type: ignore[no-untyped-def]
    root, _ = Category.objects.get_or_create(name="Connexion & VPN", parent=None)
    category, _ = Category.objects.get_or_create(name="VPN", parent=root)
    admin = UserFactory(role=Role.ADMIN)
    service = services.service_create(
        actor=admin,
        data={"name": "Extranet locataires", "is_public": True, "ticket_category": category},
    )
    services.check_create(
        actor=admin,
        service=service,
        data={
            "name": "Accueil",
            "kind": "http",
            "target": target.url("/ok"),
            "timeout_seconds": 2,
            "failures_before_down": 2,
        },
    )
    target.stopped.add("/ok")
    probe_for(2.5)
    incident = Incident.objects.get(service=service)

    collaborator = UserFactory(role=Role.COLLABORATOR, display_name="Camille Martin")
    log_in(page, collaborator.email, PASSWORD)
    page.goto("/demandes/")
    banner = page.get_by_test_id("service-down-banner")
    expect(banner).to_contain_text("Extranet locataires")
    expect(banner).to_contain_text("indisponible")
    assert_accessible(page)
    page.goto("/demandes/nouvelle/")
    expect(page.get_by_test_id("service-down-banner")).to_be_visible()
    page.get_by_test_id("service-down-banner").get_by_role(
        "button", name="Je suis concerné"
    ).click()
    page.wait_for_url("**/demandes/**")
    child = Ticket.objects.get(requester=collaborator)
    assert child.parent_id == incident.ticket_id

    page.goto("/veille/statut-public/")
    expect(page.get_by_role("heading", name="État des services")).to_be_visible()
    expect(page.locator('[data-service="Extranet locataires"]')).to_contain_text("Panne")
    assert "127.0.0.1" not in page.content()
    assert_accessible(page)

    agent = UserFactory(role=Role.AGENT)
    page.context.clear_cookies()
    log_in(page, agent.email, PASSWORD)
    page.goto("/veille/statut/")
    expect(page.locator('[data-service="Extranet locataires"]')).to_have_attribute(
        "data-state", "down"
    )
    assert_accessible(page)
