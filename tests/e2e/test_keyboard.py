"""Keyboard-only walk-throughs (issue 12, RGAA themes 7 and 12): opening a request, searching
from the header and reading the status page with Tab, Shift+Tab, the arrow keys, Enter and
typing only. At every step the focused element shows a visible outline and comes after the
previous one in the document (no jump backwards)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from relais.kb.models import ArticleState
from relais.kb.services import ArticleDraft, article_create
from relais.monitoring.models import Subscription
from relais.tickets.models import Category, Ticket
from tests.e2e.conftest import assert_accessible, log_in
from tests.e2e.site_map import reference_data
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What is focused: its accessible-ish name, and whether the focus can be seen and comes later
# in the document than the element focused before it.
FOCUS_STATE = """(forward) => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  const previous = window.__lastFocus;
  let ordered = true;
  if (previous && previous !== el && document.contains(previous)) {
    const position = previous.compareDocumentPosition(el);
    ordered = forward ? Boolean(position & Node.DOCUMENT_POSITION_FOLLOWING)
                      : Boolean(position & Node.DOCUMENT_POSITION_PRECEDING);
  }
  window.__lastFocus = el;
  const label = el.labels && el.labels.length ? el.labels[0].innerText
    : (el.getAttribute("aria-label") || el.innerText || el.value || "");
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute("type") || "",
    name: label.replace(/\\s+/g, " ").trim().slice(0, 80),
    visible: outline || shadow,
    ordered: ordered,
  };
}"""


def press(page: Page, key: str) -> dict[str, Any]:
    """Press a key that moves the focus; the newly focused element must show it and, for
    Tab and Shift+Tab, follow the document order."""
    page.keyboard.press(key)
    state: dict[str, Any] = page.evaluate(FOCUS_STATE, key != "Shift+Tab")
    assert state["visible"], f"no visible focus on {state} after {key}"
    if key in {"Tab", "Shift+Tab"}:
        assert state["ordered"], f"focus jumped out of order to {state} after {key}"
    return state


def tab_to(page: Page, name: str, *, limit: int = 40) -> list[str]:
    """Tab until an element whose name starts with `name` has the focus; the names passed
    on the way."""
    passed: list[str] = []
    for _ in range(limit):
        state = press(page, "Tab")
        passed.append(state["name"])
        if state["name"].startswith(name):
            return passed
    raise AssertionError(f"{name!r} never got the focus; the Tab order was {passed}")


def skip_to_content(page: Page) -> None:
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    assert page.evaluate(FOCUS_STATE, True)["visible"]
    page.keyboard.press("Enter")
    expect(page.locator("#contenu")).to_be_focused()


def test_a_collaborator_opens_a_request_with_the_keyboard_only(page: Page):
    reference_data()
    Category.objects.filter(name="VPN", parent__name="Connexion & VPN").update(
        extra_fields=[{"name": "poste", "label": "Numéro du poste", "required": True}]
    )
    article_create(
        draft=ArticleDraft(
            title="Le VPN se coupe régulièrement",
            body="Relancez FortiClient.",
            tags=["vpn"],
        ),
        actor=UserFactory(role=Role.SUPERVISOR),
        state=ArticleState.PUBLISHED,
    )
    collaborator = UserFactory(role=Role.COLLABORATOR)
    log_in(page, collaborator.email, PASSWORD)
    page.goto("/demandes/nouvelle/")

    # Step 1, the subject: one group of radio buttons, chosen with the arrow keys.
    skip_to_content(page)
    state = press(page, "Tab")
    assert (state["type"], state["name"]) == ("radio", "VPN")
    assert press(page, "ArrowDown")["name"] != "VPN"
    assert press(page, "ArrowUp")["name"] == "VPN"
    expect(page.get_by_label("VPN", exact=True)).to_be_checked()
    assert press(page, "Tab")["name"] == "Continuer"
    page.keyboard.press("Enter")
    expect(page.locator("main p strong").first).to_contain_text("VPN")  # "Sujet : VPN"

    # Step 2, the form: the title first; the suggested answer comes right after it.
    assert tab_to(page, "Titre *")[-2:] == ["modifier", "Titre *"]
    page.keyboard.type("vpn qui coupe")
    expect(page.locator("#deflection").get_by_role("link")).to_have_text(
        "Le VPN se coupe régulièrement"
    )
    assert press(page, "Tab")["name"] == "Le VPN se coupe régulièrement"
    assert press(page, "Tab")["name"] == "Cela a résolu mon problème"
    assert press(page, "Tab")["name"] == "Description *"
    page.keyboard.type("Coupure toutes les dix minutes depuis ce matin.")
    assert press(page, "Tab")["name"] == "Numéro du poste *"
    page.keyboard.type("PC-4512")
    assert press(page, "Tab")["name"] == "Moi uniquement"
    assert press(page, "ArrowDown")["name"] == "Mon équipe ou mon site"
    assert press(page, "Tab")["name"] == "Je suis ralenti dans mon travail"
    assert press(page, "ArrowDown")["name"] == "Je ne peux pas travailler"
    # Back and forth: Shift+Tab returns to the previous group, on its chosen answer.
    assert press(page, "Shift+Tab")["name"] == "Mon équipe ou mon site"
    page.evaluate("window.__lastFocus = null")
    assert press(page, "Tab")["name"] == "Je ne peux pas travailler"
    names = tab_to(page, "Envoyer la demande")
    assert names[0].startswith("Pour une personne sans compte")
    assert names[-2:] == ["Pièces jointes", "Envoyer la demande"]
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("vpn qui coupe")
    ticket = Ticket.objects.get()
    assert ticket.title == "vpn qui coupe"
    assert ticket.category.name == "VPN"
    assert ticket.extra == {"poste": "PC-4512"}
    assert (ticket.impact, ticket.urgency) == ("medium", "high")
    assert_accessible(page)


def test_the_header_search_is_used_with_the_arrow_keys(page: Page):
    editor = UserFactory(role=Role.SUPERVISOR)
    for title in ("FortiClient ne se connecte pas", "Mettre à jour FortiClient"):
        article_create(
            draft=ArticleDraft(title=title, body="FortiClient, le client VPN.", tags=["vpn"]),
            actor=editor,
            state=ArticleState.PUBLISHED,
        )
    collaborator = UserFactory(role=Role.COLLABORATOR)
    log_in(page, collaborator.email, PASSWORD)

    # From the top of the page: skip link, logo, the navigation, then the search box.
    passed = tab_to(page, "Rechercher")
    assert passed[0] == "Aller au contenu"
    assert "Mes demandes" in passed
    searchbox = page.get_by_role("searchbox", name="Rechercher")
    expect(searchbox).to_be_focused()
    page.keyboard.type("forticlient")
    links = page.locator(".header-search .suggestions").get_by_role("link")
    expect(links).to_have_count(2)
    titles = links.all_inner_texts()

    assert press(page, "ArrowDown")["name"] == titles[0]
    assert press(page, "ArrowDown")["name"] == titles[1]
    assert press(page, "ArrowDown")["name"] == titles[1]  # the last one stays
    assert press(page, "ArrowUp")["name"] == titles[0]
    press(page, "ArrowUp")
    expect(searchbox).to_be_focused()
    press(page, "ArrowDown")
    page.keyboard.press("Escape")
    expect(searchbox).to_be_focused()
    expect(links).to_have_count(0)

    page.keyboard.type(" ")  # typing again brings the suggestions back
    expect(links).to_have_count(2)
    assert press(page, "ArrowDown")["name"] == titles[0]
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(titles[0])
    assert_accessible(page)


def test_the_status_page_and_its_subscription_with_the_keyboard_only(page: Page, settings: Any):
    page.goto("/veille/statut-public/")
    expect(page.get_by_role("heading", level=1)).to_have_text("État des services")

    assert press(page, "Tab")["name"] == "Recevoir les informations par courriel"
    state = press(page, "Tab")
    assert (state["type"], state["name"]) == ("checkbox", "Actualiser automatiquement")
    page.keyboard.press("Space")  # pause the automatic refresh (WCAG 2.2.1)
    expect(page.get_by_label("Actualiser automatiquement")).not_to_be_checked()
    # The feeds and the JSON, below the board, before the footer.
    for name in ("flux Atom", "flux RSS", "l’état en JSON", "Accessibilité : non conforme"):
        assert press(page, "Tab")["name"] == name
    for _ in range(3):
        press(page, "Shift+Tab")
    assert press(page, "Shift+Tab")["name"] == "Actualiser automatiquement"
    assert press(page, "Shift+Tab")["name"] == "Recevoir les informations par courriel"
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("S’abonner à l’état des services")
    skip_to_content(page)
    assert tab_to(page, "Adresse")
    page.keyboard.type("gardien@example.test")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("un lien de confirmation")
    assert Subscription.objects.get().email == "gardien@example.test"
    assert_accessible(page)
