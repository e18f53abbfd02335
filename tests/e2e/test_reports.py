"""The reports in a real browser: a supervisor goes through every dashboard and the monthly
report, changes the period, and every page passes axe-core (charts included)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from relais.reports.choices import DashboardKey
from relais.tickets import services
from relais.tickets.models import Category
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_every_dashboard_is_accessible(page: Page) -> None:
    # Transactional tests may run after a flush of the seeded reference data: make our own.
    root, _ = Category.objects.get_or_create(name="Connexion & VPN", parent=None)
    category, _ = Category.objects.get_or_create(name="VPN", parent=root)
    category.team = TeamFactory(name="Réseau et VPN", code="reseau-vpn")
    category.save()
    requester = UserFactory(role=Role.COLLABORATOR)
    supervisor = UserFactory(role=Role.SUPERVISOR, display_name="Sophie Superviseur")
    for title in ("Le VPN se déconnecte", "VPN lent"):
        ticket = services.ticket_open(
            actor=requester,
            draft=services.TicketDraft(
                category=category, title=title, description="Depuis ce matin."
            ),
        )
    services.ticket_reply(ticket=ticket, actor=supervisor, body="Nous regardons.")

    log_in(page, supervisor.email, PASSWORD)
    page.get_by_role("link", name="Rapports").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assistance")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert_accessible(page)
    for key in DashboardKey.values:
        page.goto(f"/rapports/{key}/?period=quarter")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Rapports")
        assert_accessible(page)
    page.get_by_label("Période", exact=True).select_option("week")
    page.get_by_role("button", name="Afficher").click()
    assert_accessible(page)
    page.get_by_role("link", name="Rapport mensuel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport mensuel")
    assert_accessible(page)
