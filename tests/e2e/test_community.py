"""Entraide in a real browser: a member asks (similar questions appear while the title is
typed), a colleague answers, the asker accepts; the question then answers a new request in
the ticket form's suggestions. Every page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from relais.accounts.choices import Role
from relais.community import services
from relais.community.models import Answer, Question
from relais.tickets.models import Category
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_ask_answer_accept_then_the_question_deflects_a_request(  # type: ignore[no-untyped-def]
    page: Page, browser: Browser, live_server
):
    root, _ = Category.objects.get_or_create(name="Bureautique", parent=None)
    Category.objects.get_or_create(name="Messagerie", parent=root)
    asker = UserFactory(role=Role.COLLABORATOR, display_name="Camille Martin")
    helper = UserFactory(role=Role.COLLABORATOR, display_name="Dominique Petit")
    services.member_join(user=asker)
    services.member_join(user=helper)
    # An older question, so that "similar questions" has something to show while typing.
    older = services.question_ask(
        author=helper,
        title="Signature Outlook avec le logo",
        body="Où mettre le logo dans la signature ?",
        tags=["outlook"],
    )

    # The asker asks.
    log_in(page, asker.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Entraide"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entraide")
    assert_accessible(page)
    page.get_by_role("link", name="Poser une question").click()
    page.get_by_label("Votre question en une phrase").press_sequentially(
        "signature outlook", delay=30
    )
    expect(page.locator("#similar").get_by_role("link", name=older.title)).to_be_visible()
    expect(page.locator("#similar")).not_to_contain_text("Cela a résolu mon problème")
    assert_accessible(page)
    page.get_by_label("Votre question en une phrase").fill(
        "Comment ajouter une signature automatique dans Outlook ?"
    )
    page.get_by_label("Détails").fill(
        "Je voudrais que ma **signature** s’ajoute à chaque nouveau message."
    )
    page.get_by_label("Mots-clés").fill("outlook, signature")
    page.get_by_role("button", name="Publier la question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Comment ajouter une signature automatique dans Outlook ?"
    )
    question = Question.objects.get(author=asker)
    assert question.tags == ["outlook", "signature"]
    assert_accessible(page)

    # A colleague answers, in a browser of their own.
    other = browser.new_context(base_url=live_server.url, locale="fr-FR")
    helper_page = other.new_page()
    log_in(helper_page, helper.email, PASSWORD)
    helper_page.goto(f"/entraide/questions/{question.pk}/")
    helper_page.get_by_role("textbox", name="Votre réponse").fill(
        "Fichier › Options › Courrier › **Signatures**, puis choisissez-la pour les nouveaux "
        "messages."
    )
    helper_page.get_by_role("button", name="Publier la réponse").click()
    expect(helper_page.get_by_text("Votre réponse est publiée")).to_be_visible()
    answer = Answer.objects.get(question=question)
    assert_accessible(helper_page)
    other.close()

    # The asker votes for it and accepts it.
    page.reload()
    answer_block = page.locator(f"#reponse-{answer.pk}")
    vote_up = answer_block.get_by_role("button", name="Cette réponse est utile")
    expect(vote_up).to_have_attribute("aria-pressed", "false")
    vote_up.click()
    expect(
        page.locator(f"#reponse-{answer.pk}").get_by_role("button", name="Cette réponse est utile")
    ).to_have_attribute("aria-pressed", "true")
    page.locator(f"#reponse-{answer.pk}").get_by_role(
        "button", name="Accepter cette réponse"
    ).click()
    expect(page.locator(f"#reponse-{answer.pk}")).to_contain_text("Réponse acceptée")
    question.refresh_from_db()
    assert question.accepted_answer_id == answer.pk
    assert_accessible(page)

    # Later, someone types a related request: the answered question is offered.
    requester = UserFactory(role=Role.COLLABORATOR, display_name="Eugène Roux")
    requester_context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    requester_page = requester_context.new_page()
    log_in(requester_page, requester.email, PASSWORD)
    requester_page.goto("/demandes/nouvelle/")
    requester_page.get_by_label("Messagerie", exact=True).check()
    requester_page.get_by_role("button", name="Continuer").click()
    requester_page.get_by_label("Titre").press_sequentially(
        "signature automatique outlook", delay=30
    )
    expect(
        requester_page.locator("#deflection").get_by_role("link", name=question.title)
    ).to_be_visible()
    assert_accessible(requester_page)
    requester_context.close()
