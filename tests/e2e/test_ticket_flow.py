"""The service desk's main journey in a real browser: a collaborator opens a ticket through
the guided form, an agent replies from the queue, the collaborator reads the reply, sees the
resolution and rates it. Every page visited passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from relais.tickets.models import Category, Ticket
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_open_reply_read_and_rate(page: Page, browser):  # type: ignore[no-untyped-def]
    team = TeamFactory(name="Réseau et VPN")
    # Transactional tests may run after a flush of the seeded reference data: make our own.
    root, _ = Category.objects.get_or_create(name="Connexion & VPN", parent=None)
    vpn, _ = Category.objects.get_or_create(name="VPN", parent=root)
    vpn.team = team
    vpn.save()
    agent = UserFactory(role=Role.AGENT, display_name="Julien Bernard")
    team.members.add(agent)
    collaborator = UserFactory(role=Role.COLLABORATOR, display_name="Camille Martin")

    # The collaborator opens a ticket.
    log_in(page, collaborator.email, PASSWORD)
    page.get_by_role("link", name="Nouvelle demande").first.click()
    assert_accessible(page)
    page.get_by_label("VPN", exact=True).check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Titre").fill("Le VPN coupe toutes les dix minutes")
    page.get_by_label("Description").fill("Depuis ce matin, en télétravail.")
    page.get_by_label("Je ne peux pas travailler").check()
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le VPN coupe toutes les dix minutes")
    assert_accessible(page)
    reference = Ticket.objects.get().reference

    # The agent finds it in the team queue and replies.
    agent_page = browser.new_context(
        base_url=page.url.split("/demandes")[0], locale="fr-FR"
    ).new_page()
    log_in(agent_page, agent.email, PASSWORD)
    agent_page.goto("/guichet/?queue=team")
    assert_accessible(agent_page)
    agent_page.get_by_role("link", name=reference).click()
    assert_accessible(agent_page)
    agent_page.get_by_label("Votre message").fill("Pouvez-vous redémarrer la box ?")
    agent_page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(agent_page.get_by_text("Pouvez-vous redémarrer la box ?")).to_be_visible()
    agent_page.get_by_label("Statut").select_option("resolved")
    agent_page.get_by_label("Résolution").fill("Box redémarrée, connexion stable.")
    agent_page.get_by_role("button", name="Enregistrer").click()
    expect(agent_page.locator(".status").first).to_have_text("Résolu")

    # The collaborator reads the reply and rates the resolution.
    page.reload()
    expect(page.get_by_text("Pouvez-vous redémarrer la box ?")).to_be_visible()
    expect(page.get_by_text("Box redémarrée, connexion stable.", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("5 — très satisfait").check()
    page.get_by_role("button", name="Envoyer mon évaluation").click()
    expect(page.get_by_text("Votre note : 5/5")).to_be_visible()
    assert Ticket.objects.get().satisfaction.rating == 5
