"""Deflection in a real browser: while a collaborator types the title of a new request, the
best answers appear under it; "this solved my problem" records it and opens no ticket. The
header search suggests as one types and works as a plain form too. Pages pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from relais.kb.models import ArticleState
from relais.kb.services import ArticleDraft, article_create
from relais.search.models import Deflection
from relais.tickets.models import Category, Ticket
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_typing_a_problem_shows_an_answer_that_solves_it(page: Page):  # type: ignore[no-untyped-def]
    root, _ = Category.objects.get_or_create(name="Connexion & VPN", parent=None)
    Category.objects.get_or_create(name="VPN", parent=root)
    editor = UserFactory(role=Role.SUPERVISOR)
    article = article_create(
        draft=ArticleDraft(
            title="Le VPN se coupe régulièrement",
            body="1. Désactivez la mise en veille de la carte Wi-Fi.\n2. Relancez FortiClient.",
            tags=["vpn", "déconnexion"],
        ),
        actor=editor,
        state=ArticleState.PUBLISHED,
    )
    collaborator = UserFactory(role=Role.COLLABORATOR, display_name="Camille Martin")

    log_in(page, collaborator.email, PASSWORD)
    page.goto("/demandes/nouvelle/")
    page.get_by_label("VPN", exact=True).check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Titre").press_sequentially("vpn qui coupe", delay=30)
    suggestion = page.locator("#deflection").get_by_role(
        "link", name="Le VPN se coupe régulièrement"
    )
    expect(suggestion).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cela a résolu mon problème").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le VPN se coupe régulièrement")
    expect(page.get_by_text("Aucune demande n’a été créée")).to_be_visible()
    assert Ticket.objects.count() == 0
    deflection = Deflection.objects.get()
    assert (deflection.kind, deflection.object_id) == ("article", article.pk)
    assert deflection.query == "vpn qui coupe"

    # The header search: suggestions while typing, results page on Enter.
    page.get_by_role("searchbox", name="Rechercher").press_sequentially("fortic", delay=30)
    expect(page.locator(".header-search .suggestions").get_by_role("link")).to_have_count(1)
    page.get_by_role("searchbox", name="Rechercher").press_sequentially("lient", delay=30)
    page.get_by_role("searchbox", name="Rechercher").press("Enter")
    expect(page.locator(".search-hit__title")).to_have_text(["Le VPN se coupe régulièrement"])
    assert_accessible(page)
