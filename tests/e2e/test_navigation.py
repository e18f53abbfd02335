"""Each role logs in through the real login form and sees its own navigation; every page
visited passes axe-core with no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PORTAL = ["Accueil", "Mes demandes", "Nouvelle demande"]
KNOWLEDGE = ["Base de connaissances", "Entraide"]
DESK = [
    *PORTAL,
    "Files d’attente",
    "Mon équipement",
    *KNOWLEDGE,
    "Parc",
    "Veille",
    "Rapports",
    "Annuaire",
    "Mon profil",
]
EXPECTED_NAV = {
    Role.COLLABORATOR: [*PORTAL, "Mon équipement", *KNOWLEDGE, "Mon profil"],
    Role.AGENT: DESK,
    Role.SUPERVISOR: [*DESK[:-1], "Courriels reçus", "Mon profil"],
    Role.ADMIN: [*DESK[:-1], "Courriels reçus", "Mon profil", "Administration"],
}


def test_login_page_is_accessible_and_french(page: Page):
    page.goto("/connexion/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à Relais")
    assert_accessible(page)


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_sees_its_navigation(page: Page, role: Role):
    user = UserFactory(role=role, display_name="Dominique Petit")
    log_in(page, user.email, PASSWORD)

    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link")).to_have_text(EXPECTED_NAV[role])
    expect(page.get_by_text("Dominique Petit")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Mon profil").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon profil")
    assert_accessible(page)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_skip_link_moves_focus_to_the_content(page: Page):
    page.goto("/mot-de-passe/oubli/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#contenu")).to_be_focused()


def test_a_person_creates_an_api_token_and_sees_it_once(page: Page):
    user = UserFactory(role=Role.AGENT)
    log_in(page, user.email, PASSWORD)
    page.goto("/profil/jetons/")
    page.get_by_label("Nom").fill("Export hebdomadaire")
    page.get_by_role("button", name="Créer le jeton").click()
    secret = page.locator("[data-token]")
    expect(secret).to_contain_text("rls_")
    assert_accessible(page)
    page.reload()
    expect(page.locator("[data-token]")).to_have_count(0)
    expect(page.get_by_role("cell", name="Export hebdomadaire", exact=True)).to_be_visible()
