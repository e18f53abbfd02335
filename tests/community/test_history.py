"""Revision history of questions and answers: versions with author, date and summary, and a
line diff between two versions (relais.core.diff, shared with the knowledge base). A hidden
post's history is for its author and the moderators only."""

from __future__ import annotations

import pytest
from django.test import Client

from relais.accounts.models import User
from relais.community import services
from relais.community.models import Answer, Question
from relais.core.diff import DiffLine, line_diff

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_line_diff_marks_removed_then_added_lines() -> None:
    assert line_diff(["a", "b", "c"], ["a", "B", "c", "d"]) == [
        DiffLine("same", "a"),
        DiffLine("removed", "b"),
        DiffLine("added", "B"),
        DiffLine("same", "c"),
        DiffLine("added", "d"),
    ]


def _edit(question: Question, actor: User, body: str, summary: str) -> Question:
    return services.question_edit(
        question=question,
        actor=actor,
        title=question.title,
        body=body,
        tags=question.tags,
        expected_version=question.version,
        summary=summary,
    )


def test_question_history_lists_versions_and_diffs_the_latest(asker, moderator, question):
    edited = _edit(question, asker, "Le VPN se déconnecte.\nSurtout en visio.", "Précisions")
    _edit(edited, moderator, "Le VPN se déconnecte.\nSurtout en visio Teams.", "Orthographe")
    response = client_for(asker).get(f"/entraide/questions/{question.pk}/historique/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Précisions", "Orthographe", "Modératrice", "Alice Martin"):
        assert text in html
    assert '<del class="diff__line diff__line--removed">' in html
    assert "Surtout en visio Teams." in html.split("diff__line--added")[1]


def test_question_history_compares_a_chosen_pair(asker, question):
    _edit(question, asker, "Nouveau texte.", "Réécriture")
    url = f"/entraide/questions/{question.pk}/historique/"
    html = client_for(asker).get(url, {"a": 1, "b": 2}).content.decode()
    assert "Depuis ce matin le VPN se déconnecte en visio." in html.split("diff__line--removed")[1]
    assert client_for(asker).get(url, {"a": 9, "b": 2}).status_code == 404
    assert client_for(asker).get(url, {"a": "x"}).status_code == 404


def test_answer_history(helper, answer):
    services.answer_edit(
        answer=answer,
        actor=helper,
        body="Désactivez le split tunneling, puis redémarrez.",
        expected_version=1,
    )
    response = client_for(helper).get(f"/entraide/reponses/{answer.pk}/historique/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Désactivez le split tunneling, puis redémarrez." in html.split("diff__line--added")[1]


def test_the_question_page_links_to_the_history_once_edited(asker, question):
    page = f"/entraide/questions/{question.pk}/"
    history = f'href="/entraide/questions/{question.pk}/historique/"'
    assert history not in client_for(asker).get(page).content.decode()
    _edit(question, asker, "Autre texte.", "")
    assert history in client_for(asker).get(page).content.decode()


def test_hidden_posts_history_is_for_authors_and_moderators(
    asker, helper, third, moderator, question, answer
):
    services.moderate(actor=moderator, action="hide", reason="Doublon", answer=answer)
    answer_url = f"/entraide/reponses/{answer.pk}/historique/"
    assert client_for(helper).get(answer_url).status_code == 200
    assert client_for(moderator).get(answer_url).status_code == 200
    assert client_for(third).get(answer_url).status_code == 404
    services.moderate(actor=moderator, action="hide", reason="Spam", question=question)
    question_url = f"/entraide/questions/{question.pk}/historique/"
    assert client_for(asker).get(question_url).status_code == 200
    assert client_for(moderator).get(question_url).status_code == 200
    assert client_for(helper).get(question_url).status_code == 404
    assert Answer.objects.filter(pk=answer.pk).exists()
