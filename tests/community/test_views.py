"""Entraide through its screens: the lists and their tabs, asking (members only), the question
page with answering, voting, accepting, comments and the agent and moderator actions, the
edit form with conflicts, membership, profile, leaderboard and notifications."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.community import services
from relais.community.models import (
    Answer,
    Comment,
    Flag,
    Follow,
    Member,
    ModerationLog,
    Notification,
    Question,
    QuestionStatus,
    Vote,
)
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONFLICT = (
    "Someone else saved this question while you were editing it. Your text is kept below: "
    "compare it with the current version (open it in another tab), then save again."
)


def fr(msgid: str) -> str:
    """What the (French) pages say for one of the code's English strings."""
    with translation.override("fr"):
        return gettext(msgid)


def member(**kwargs: Any) -> User:
    """A member of long standing (past the posting rate limit of new members)."""
    user = UserFactory(role=kwargs.pop("role", Role.COLLABORATOR), **kwargs)
    services.member_join(user=user)
    Member.objects.filter(pk=user.pk).update(joined_at=timezone.now() - timedelta(days=365))
    return user


@pytest.fixture
def asker(db: Any) -> User:
    return member(display_name="Alice Asker")


@pytest.fixture
def helper(db: Any) -> User:
    return member(display_name="Bruno Helper")


@pytest.fixture
def outsider(db: Any) -> User:
    """Signed in, never joined the community."""
    return UserFactory(role=Role.COLLABORATOR, display_name="Olga Outsider")


def ask(
    author: User, title: str = "Comment partager un agenda Outlook ?", **kwargs: Any
) -> Question:
    return services.question_ask(
        author=author,
        title=title,
        body=kwargs.pop("body", "Je voudrais que mon équipe voie mon **agenda**."),
        tags=kwargs.pop("tags", ["outlook", "agenda"]),
        category=kwargs.pop("category", None),
    )


def reply(
    question: Question, author: User, body: str = "Clic droit sur l’agenda, Partager."
) -> Answer:
    return services.answer_post(question=question, author=author, body=body)


def card_ids(html: str) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'ticket-card__title" href="/entraide/questions/(\d+)/"', html)
    ]


def answer_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article id="reponse-(\d+)"', html)]


def refresh(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj


# --- Navigation and lists ----------------------------------------------------------------


def test_everyone_sees_the_entraide_entry_in_the_navigation(outsider, agent):
    for user in (outsider, agent):
        html = client_for(user).get(reverse("core:home")).content.decode()
        assert 'href="/entraide/" data-nav="community"' in html


def test_the_list_shows_newest_first_without_others_hidden_questions(asker, helper, supervisor):
    first = ask(asker, "Première question sur Teams")
    second = ask(helper, "Deuxième question sur Excel")
    hidden = ask(helper, "Question masquée")
    services.moderate(actor=supervisor, action="hide", reason="Hors sujet", question=hidden)

    response = client_for(asker).get("/entraide/")

    assert response.status_code == 200
    html = response.content.decode()
    assert card_ids(html) == [second.pk, first.pk]
    assert "Question masquée" not in html
    assert hidden.pk in card_ids(client_for(supervisor).get("/entraide/").content.decode())


def test_the_unanswered_tab_and_the_keyword_tab(asker, helper):
    answered = ask(asker, "Imprimante du 3e étage", tags=["imprimante"])
    reply(answered, helper)
    waiting = ask(asker, "Wi-Fi invités", tags=["wifi"])
    c = client_for(helper)

    unanswered = c.get("/entraide/", {"onglet": "sans-reponse"}).content.decode()
    by_tag = c.get("/entraide/", {"onglet": "mot-cle", "mot": "imprimante"}).content.decode()

    assert card_ids(unanswered) == [waiting.pk]
    assert card_ids(by_tag) == [answered.pk]
    assert 'aria-current="page">Keyword “imprimante”' in by_tag or "imprimante" in by_tag


def test_an_unknown_tab_is_ignored(asker, helper):
    question = ask(asker)
    response = client_for(helper).get("/entraide/", {"onglet": "owner__password", "page": "x"})
    assert response.status_code == 200
    assert card_ids(response.content.decode()) == [question.pk]


def test_following_a_keyword_from_its_tab(helper):
    c = client_for(helper)
    response = c.post(reverse("community:tag_follow"), {"tag": "VPN ", "following": "1"})
    assert response.status_code == 302
    assert Follow.objects.filter(user=helper, tag="vpn").count() == 1
    html = c.get("/entraide/", {"onglet": "mot-cle", "mot": "vpn"}).content.decode()
    assert 'aria-pressed="true"' in html

    c.post(reverse("community:tag_follow"), {"tag": "vpn", "following": "0"})
    assert not Follow.objects.filter(user=helper, tag="vpn").exists()


@pytest.mark.parametrize("count", [3, 30])
def test_list_queries_do_not_grow_with_the_questions(
    count, asker, helper, django_assert_max_num_queries
):
    for n in range(count):
        question = ask(asker if n % 2 else helper, f"Question numéro {n} sur le réseau")
        reply(question, helper if n % 2 else asker)
    c = client_for(helper)
    c.get("/entraide/")  # warm the session and the caches

    with django_assert_max_num_queries(12):
        response = c.get("/entraide/")
    assert len(card_ids(response.content.decode())) == min(count, 20)


def test_list_query_count_is_the_same_for_3_and_30_questions(asker, helper):
    def queries() -> int:
        c = client_for(helper)
        c.get("/entraide/")
        with CaptureQueriesContext(connection) as captured:
            c.get("/entraide/")
        return len(captured)

    for n in range(3):
        ask(asker, f"Petit lot {n}")
    few = queries()
    for n in range(27):
        ask(asker, f"Grand lot {n}")
    assert queries() == few


# --- Asking ------------------------------------------------------------------------------


def test_a_non_member_is_invited_to_join_before_asking(outsider):
    response = client_for(outsider).get(reverse("community:ask"))
    assert response.status_code == 403
    assert 'href="/entraide/rejoindre/"' in response.content.decode()

    refused = client_for(outsider).post(
        reverse("community:ask"), {"title": "Titre", "body": "Texte"}
    )
    assert refused.status_code == 403
    assert Question.objects.count() == 0


def test_the_ask_form_suggests_similar_questions_while_typing(asker):
    html = client_for(asker).get(reverse("community:ask")).content.decode()
    assert 'data-suggest="/recherche/suggestions/"' in html or "data-suggest=" in html
    assert 'data-suggest-context="question"' in html
    assert 'data-suggest-target="similar"' in html
    assert 'id="similar"' in html


def test_similar_questions_and_articles_come_without_the_deflection_button(asker, helper):
    question = ask(helper, "Partager un agenda Outlook avec son équipe")
    response = client_for(asker).get(
        reverse("search:suggest"), {"q": "agenda outlook", "contexte": "question"}
    )
    html = response.content.decode()
    assert f'href="/entraide/questions/{question.pk}/"' in html
    assert fr("This solved my problem") not in html
    assert 'name="answer"' not in html


def test_a_member_asks_a_question(asker):
    response = client_for(asker).post(
        reverse("community:ask"),
        {
            "title": "Comment activer le MFA ?",
            "body": "Sur mon **téléphone**.",
            "tags": "MFA, sécurité, mfa",
        },
    )

    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/entraide/questions/{question.pk}/"
    assert (question.title, question.author, question.tags) == (
        "Comment activer le MFA ?",
        asker,
        ["mfa", "sécurité"],
    )


def test_bad_input_keeps_what_was_typed_and_creates_nothing(asker):
    long_body = "Le texte que je ne veux pas perdre."
    response = client_for(asker).post(
        reverse("community:ask"),
        {"title": "", "body": long_body, "tags": "a, b, c, d, e, f"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert long_body in html
    assert fr("Five keywords at most.") in html
    assert "field--error" in html
    assert Question.objects.count() == 0


def test_a_new_member_past_the_hourly_limit_is_told_and_keeps_the_text(outsider):
    services.member_join(user=outsider)
    for n in range(services.NEW_MEMBER_POSTS_PER_HOUR):
        services.question_ask(author=outsider, title=f"Question {n}", body="Texte")
    response = client_for(outsider).post(
        reverse("community:ask"),
        {"title": "Encore une question", "body": "Le texte à garder.", "tags": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le texte à garder." in html
    with translation.override("fr"):
        message = gettext(
            "New members may post %(limit)s questions and answers per hour; "
            "please try again a little later."
        ) % {"limit": services.NEW_MEMBER_POSTS_PER_HOUR}
    assert escape(message) in html
    assert Question.objects.filter(author=outsider).count() == services.NEW_MEMBER_POSTS_PER_HOUR


# --- The question page ------------------------------------------------------------------


def test_the_question_page_lists_accepted_first_then_by_score(asker, helper, supervisor):
    question = ask(asker)
    third = member(display_name="Chloé")
    low = reply(question, helper, "Réponse peu utile")
    high = reply(question, third, "Réponse très utile")
    accepted = reply(question, supervisor, "La bonne réponse")
    services.vote_cast(actor=asker, answer=high, value=1)
    services.vote_cast(actor=asker, answer=low, value=-1)
    services.answer_accept(answer=accepted, actor=asker)

    html = client_for(helper).get(f"/entraide/questions/{question.pk}/").content.decode()

    assert answer_ids(html) == [accepted.pk, high.pk, low.pk]
    assert fr("Accepted answer") in html


def test_the_question_page_renders_sanitised_markdown(asker, helper):
    question = ask(
        asker,
        body=(
            "Voir **ceci**.\n\n<script>window.__xss = 1</script>\n\n"
            '<img src="x" onerror="window.__xss = 2">\n\n[clic](javascript:window.__xss=3)'
        ),
    )
    reply(question, helper, '"><script>window.__xss=4</script> <svg><animate onbegin=alert(1)>')

    html = client_for(helper).get(f"/entraide/questions/{question.pk}/").content.decode()

    assert "<strong>ceci</strong>" in html
    assert "<script>window.__xss" not in html
    assert "onerror" not in html
    assert "javascript:window" not in html
    assert "onbegin" not in html


def test_only_the_asker_sees_the_accept_button(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    accept_url = f'action="/entraide/reponses/{answer.pk}/accepter/"'

    assert accept_url in client_for(asker).get(question.get_absolute_url()).content.decode()
    assert accept_url not in client_for(helper).get(question.get_absolute_url()).content.decode()


def test_a_member_answers_and_the_question_page_shows_it(asker, helper):
    question = ask(asker)
    response = client_for(helper).post(
        reverse("community:answer", args=[question.pk]), {"body": "Passez par **Partager**."}
    )
    answer = Answer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/entraide/questions/{question.pk}/#reponse-{answer.pk}"
    assert (answer.author, answer.as_it) == (helper, False)
    html = client_for(asker).get(question.get_absolute_url()).content.decode()
    assert "<strong>Partager</strong>" in html


def test_an_empty_answer_re_renders_the_page_with_an_error(asker, helper):
    question = ask(asker)
    response = client_for(helper).post(
        reverse("community:answer", args=[question.pk]), {"body": "   "}
    )
    assert response.status_code == 400
    assert "field--error" in response.content.decode()
    assert Answer.objects.count() == 0


def test_a_non_member_cannot_answer(asker, outsider):
    question = ask(asker)
    html = client_for(outsider).get(question.get_absolute_url()).content.decode()
    assert f'action="/entraide/questions/{question.pk}/repondre/"' not in html
    response = client_for(outsider).post(
        reverse("community:answer", args=[question.pk]), {"body": "Ma réponse"}
    )
    assert response.status_code == 403
    assert Answer.objects.count() == 0


def test_an_agent_answers_as_it_without_joining(asker, agent):
    question = ask(asker)
    html = client_for(agent).get(question.get_absolute_url()).content.decode()
    assert f'action="/entraide/questions/{question.pk}/repondre/"' in html
    assert fr("You answer on behalf of the IT service desk.") in html
    assert '<input type="hidden" name="as_it" value="on">' in html
    client_for(agent).post(
        reverse("community:answer", args=[question.pk]), {"body": "Le support", "as_it": "on"}
    )
    assert Answer.objects.get().as_it is True
    assert (
        fr("Answer from IT") in client_for(asker).get(question.get_absolute_url()).content.decode()
    )


def test_an_agent_who_joined_chooses_to_answer_as_it(asker):
    agent = member(role=Role.AGENT)
    question = ask(asker)
    html = client_for(agent).get(question.get_absolute_url()).content.decode()
    assert 'name="as_it"' in html
    client_for(agent).post(
        reverse("community:answer", args=[question.pk]), {"body": "Le support", "as_it": "on"}
    )
    client_for(agent).post(reverse("community:answer", args=[question.pk]), {"body": "Moi"})
    assert list(Answer.objects.order_by("pk").values_list("as_it", flat=True)) == [True, False]
    assert (
        fr("Answer from IT") in client_for(asker).get(question.get_absolute_url()).content.decode()
    )


def test_a_collaborator_cannot_answer_as_it(asker, helper):
    question = ask(asker)
    assert (
        'name="as_it"' not in client_for(helper).get(question.get_absolute_url()).content.decode()
    )
    response = client_for(helper).post(
        reverse("community:answer", args=[question.pk]), {"body": "Moi", "as_it": "on"}
    )
    assert response.status_code == 403
    assert not Answer.objects.exists()


# --- Votes and acceptance ---------------------------------------------------------------


def test_voting_up_an_answer_presses_the_button_and_voting_again_withdraws(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    c = client_for(asker)
    url = reverse("community:vote", args=[question.pk])

    response = c.post(url, {"target": answer.pk, "value": "1"})

    assert response.status_code == 302
    assert refresh(answer).score == 1
    html = c.get(question.get_absolute_url()).content.decode()
    block = html.split(f'id="reponse-{answer.pk}"', 1)[1]
    assert re.search(r'name="value" value="0">\s*<button[^>]*aria-pressed="true"', block)

    c.post(url, {"target": answer.pk, "value": "0"})
    assert refresh(answer).score == 0
    assert not Vote.objects.exists()


def test_no_vote_on_ones_own_post(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    url = reverse("community:vote", args=[question.pk])

    own_answer = client_for(helper).post(url, {"target": answer.pk, "value": "1"})
    own_question = client_for(asker).post(url, {"target": "question", "value": "1"})

    assert (own_answer.status_code, own_question.status_code) == (403, 403)
    assert not Vote.objects.exists()
    assert (refresh(answer).score, refresh(question).score) == (0, 0)


def test_questions_take_up_votes_only(asker, helper):
    question = ask(asker)
    url = reverse("community:vote", args=[question.pk])
    client_for(helper).post(url, {"target": "question", "value": "-1"})
    assert refresh(question).score == 0
    client_for(helper).post(url, {"target": "question", "value": "1"})
    assert refresh(question).score == 1


def test_a_vote_on_an_answer_of_another_question_is_a_404(asker, helper):
    question = ask(asker)
    other = ask(asker, "Autre question")
    answer = reply(other, helper)
    response = client_for(asker).post(
        reverse("community:vote", args=[question.pk]), {"target": answer.pk, "value": "1"}
    )
    assert response.status_code == 404
    assert not Vote.objects.exists()


def test_a_vote_target_that_is_not_an_answer_id_is_a_404(asker, helper):
    # Found by the A5 HTML sweep (tests/security/test_mass_assignment_html.py): a forged
    # `target` that is neither "question" nor digits was a 500 (the lookup raised first).
    question = ask(asker)
    reply(question, helper)
    url = reverse("community:vote", args=[question.pk])
    client = client_for(asker)
    client.raise_request_exception = False
    for target in ("INC-2026-000003", "1;2", "-1", " 1"):
        response = client.post(url, {"target": target, "value": "1"})
        assert response.status_code == 404, target
    assert not Vote.objects.exists()


def test_the_asker_accepts_and_withdraws(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    c = client_for(asker)

    response = c.post(reverse("community:accept", args=[answer.pk]))

    assert response.status_code == 302
    assert refresh(question).accepted_answer_id == answer.pk
    assert fr("Withdraw acceptance") in c.get(question.get_absolute_url()).content.decode()

    c.post(reverse("community:accept", args=[answer.pk]), {"undo": "1"})
    assert refresh(question).accepted_answer_id is None


def test_someone_else_cannot_accept(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    response = client_for(helper).post(reverse("community:accept", args=[answer.pk]))
    assert response.status_code == 403
    assert refresh(question).accepted_answer_id is None


# --- Comments, follow, flag ---------------------------------------------------------------


def test_commenting_a_question_and_an_answer(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    url = reverse("community:comment", args=[question.pk])

    client_for(helper).post(url, {"body": "Quelle version d’Outlook ?"})
    client_for(asker).post(url, {"body": "Merci !", "answer": answer.pk})

    assert list(Comment.objects.values_list("question_id", "answer_id", "body").order_by("pk")) == [
        (question.pk, None, "Quelle version d’Outlook ?"),
        (None, answer.pk, "Merci !"),
    ]
    html = client_for(asker).get(question.get_absolute_url()).content.decode()
    assert "Quelle version d’Outlook ?" in html and "Merci !" in html


def test_a_too_long_comment_is_kept_with_an_error(asker, helper):
    question = ask(asker)
    text = "x" * 601
    response = client_for(helper).post(
        reverse("community:comment", args=[question.pk]), {"body": text}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert text in html
    assert "field__error" in html
    assert not Comment.objects.exists()


def test_following_a_question(asker, helper):
    question = ask(asker)
    c = client_for(helper)
    c.post(reverse("community:follow", args=[question.pk]), {"following": "1"})
    assert Follow.objects.filter(user=helper, question=question).exists()
    assert (
        f'aria-pressed="true">{fr("Follow")}' in c.get(question.get_absolute_url()).content.decode()
    )
    c.post(reverse("community:follow", args=[question.pk]), {"following": "0"})
    assert not Follow.objects.filter(user=helper, question=question).exists()


def test_flagging_an_answer(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    response = client_for(asker).post(
        reverse("community:flag", args=[question.pk]),
        {"answer": answer.pk, "reason": "spam", "note": "Publicité"},
    )
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert (flag.answer_id, flag.reason, flag.note, flag.user) == (
        answer.pk,
        "spam",
        "Publicité",
        asker,
    )


# --- Hidden questions, moderation -------------------------------------------------------


def test_a_hidden_question_is_a_404_on_every_route_for_others(asker, helper, supervisor):
    question = ask(asker)
    answer = reply(question, supervisor)
    services.moderate(
        actor=supervisor, action="hide", reason="Données personnelles", question=question
    )
    c = client_for(helper)
    pk = question.pk

    for method, url, data in [
        ("get", f"/entraide/questions/{pk}/", {}),
        ("get", f"/entraide/questions/{pk}/modifier/", {}),
        ("post", f"/entraide/questions/{pk}/repondre/", {"body": "x"}),
        ("post", f"/entraide/questions/{pk}/commenter/", {"body": "x"}),
        ("post", f"/entraide/questions/{pk}/voter/", {"target": "question", "value": "1"}),
        ("post", f"/entraide/questions/{pk}/suivre/", {"following": "1"}),
        ("post", f"/entraide/questions/{pk}/signaler/", {"reason": "spam"}),
        ("post", f"/entraide/reponses/{answer.pk}/accepter/", {}),
        ("get", f"/entraide/reponses/{answer.pk}/modifier/", {}),
    ]:
        assert getattr(c, method)(url, data).status_code == 404, url
    assert client_for(asker).get(f"/entraide/questions/{pk}/").status_code == 200
    assert Answer.objects.count() == 1 and not Comment.objects.exists()


def test_moderation_needs_a_reason_and_is_logged(asker, helper, supervisor):
    question = ask(asker)
    answer = reply(question, helper)
    c = client_for(supervisor)
    url = reverse("community:moderate", args=[question.pk])

    refused = c.post(url, {"action": "hide", "reason": "", "answer": answer.pk})
    assert refused.status_code == 400
    assert "field__error" in refused.content.decode()
    assert refresh(answer).is_hidden is False

    c.post(url, {"action": "hide", "reason": "Hors sujet", "answer": answer.pk})
    assert refresh(answer).is_hidden is True
    assert ModerationLog.objects.get().reason == "Hors sujet"
    assert answer.pk not in answer_ids(
        client_for(asker).get(question.get_absolute_url()).content.decode()
    )


def test_a_member_cannot_moderate(asker, helper):
    question = ask(asker)
    response = client_for(helper).post(
        reverse("community:moderate", args=[question.pk]), {"action": "lock", "reason": "x"}
    )
    assert response.status_code == 403
    assert refresh(question).is_locked is False


def test_closing_as_a_duplicate_points_to_the_original(asker, helper, supervisor):
    original = ask(helper, "Partager un agenda")
    duplicate = ask(asker)
    response = client_for(supervisor).post(
        reverse("community:duplicate", args=[duplicate.pk]),
        {"original": original.pk},
    )
    assert response.status_code == 302
    duplicate = refresh(duplicate)
    assert (duplicate.status, duplicate.duplicate_of_id) == (QuestionStatus.CLOSED, original.pk)
    html = client_for(asker).get(duplicate.get_absolute_url()).content.decode()
    assert f'href="/entraide/questions/{original.pk}/">Partager un agenda' in html


def test_closing_as_a_duplicate_of_an_unknown_question_keeps_the_form(asker, supervisor):
    question = ask(asker)
    response = client_for(supervisor).post(
        reverse("community:duplicate", args=[question.pk]),
        {"original": 999999},
    )
    assert response.status_code == 400
    assert 'value="999999"' in response.content.decode()
    assert refresh(question).status == QuestionStatus.OPEN


# --- Agents: ticket and article ---------------------------------------------------------


def test_an_agent_turns_a_question_into_a_ticket(asker, agent, helper):
    question = ask(asker)
    assert (
        "vers-demande" not in client_for(helper).get(question.get_absolute_url()).content.decode()
    )
    assert (
        client_for(helper).post(reverse("community:to_ticket", args=[question.pk])).status_code
        == 403
    )

    response = client_for(agent).post(reverse("community:to_ticket", args=[question.pk]))

    question = refresh(question)
    assert question.ticket is not None
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[question.ticket.reference])


def test_an_agent_promotes_the_accepted_answer_to_an_article_draft(asker, helper, agent):
    from relais.kb.models import Article

    question = ask(asker)
    answer = reply(question, helper)
    services.answer_accept(answer=answer, actor=asker)

    response = client_for(agent).post(reverse("community:to_article", args=[answer.pk]))

    article = Article.objects.get()
    assert response["Location"] == reverse("kb:edit", args=[article.pk])
    assert (
        client_for(helper).post(reverse("community:to_article", args=[answer.pk])).status_code
        == 403
    )


# --- Editing ----------------------------------------------------------------------------


def test_the_author_edits_the_question(asker, helper):
    question = ask(asker)
    url = reverse("community:edit", args=[question.pk])
    assert client_for(helper).get(url).status_code == 403

    response = client_for(asker).post(
        url,
        {
            "title": "Partager un agenda",
            "body": "Nouveau texte",
            "tags": "outlook",
            "version": question.version,
        },
    )

    assert response.status_code == 302
    question = refresh(question)
    assert (question.title, question.body, question.tags) == (
        "Partager un agenda",
        "Nouveau texte",
        ["outlook"],
    )


def test_a_stale_edit_shows_a_conflict_and_keeps_the_text(asker, supervisor):
    question = ask(asker)
    stale = question.version
    services.question_edit(
        question=question,
        actor=supervisor,
        title="Titre du modérateur",
        body="Corps",
        tags=[],
        expected_version=stale,
        summary="",
    )

    response = client_for(asker).post(
        reverse("community:edit", args=[question.pk]),
        {"title": "Mon titre", "body": "Mon texte à ne pas perdre", "tags": "", "version": stale},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert fr(CONFLICT) in html
    assert "Mon texte à ne pas perdre" in html
    assert f'name="version" value="{refresh(question).version}"' in html
    assert refresh(question).title == "Titre du modérateur"


def test_the_author_edits_an_answer(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    url = reverse("community:answer_edit", args=[answer.pk])
    assert client_for(asker).get(url).status_code == 403
    client_for(helper).post(url, {"body": "Corrigé", "version": answer.version})
    assert refresh(answer).body == "Corrigé"


# --- Members ----------------------------------------------------------------------------


def test_joining_and_leaving_shows_the_member_count(outsider, asker):
    c = client_for(outsider)
    assert "1 collègue est membre" in c.get(reverse("community:join")).content.decode()

    c.post(reverse("community:join"), {"member": "1"})
    assert Member.objects.filter(pk=outsider.pk).exists()
    assert "2 collègues sont membres" in c.get(reverse("community:join")).content.decode()

    # The list shows the count to everyone
    assert "2 membres dans la chaîne" in c.get(reverse("community:list")).content.decode()

    c.post(reverse("community:join"), {"member": "0"})
    assert not Member.objects.filter(pk=outsider.pk).exists()
    assert "1 membre dans la chaîne" in c.get(reverse("community:list")).content.decode()


def test_the_profile_shows_reputation_and_contributions(asker, helper):
    question = ask(asker, "Question du profil")
    answer = reply(question, helper, "Réponse du profil")
    services.vote_cast(actor=asker, answer=answer, value=1)
    services.answer_accept(answer=answer, actor=asker)

    response = client_for(asker).get(reverse("community:member", args=[helper.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bruno Helper" in html
    assert f'href="/entraide/questions/{question.pk}/' in html
    reputation = Member.objects.get(pk=helper.pk).reputation
    assert reputation > 0
    assert f'class="qa-profile__figure">{reputation}<' in html


def test_a_non_member_has_no_profile(asker, outsider):
    assert client_for(asker).get(reverse("community:member", args=[outsider.pk])).status_code == 404


def test_the_leaderboard_renders_by_month_and_direction(asker, helper):
    question = ask(asker)
    answer = reply(question, helper)
    services.answer_accept(answer=answer, actor=asker)
    c = client_for(asker)

    response = c.get(reverse("community:leaderboard"))
    assert response.status_code == 200
    assert "Bruno Helper" in response.content.decode()
    assert (
        c.get(reverse("community:leaderboard"), {"mois": "nope", "direction": "x"}).status_code
        == 200
    )


def test_notifications_list_and_mark_read(asker, helper):
    question = ask(asker)
    reply(question, helper)
    notification = Notification.objects.get(user=asker)
    c = client_for(asker)

    html = c.get(reverse("community:notifications")).content.decode()
    assert question.title in html

    c.post(reverse("community:notifications"), {"id": notification.pk})
    assert refresh(notification).read_at is not None


# --- Query counts on the question page --------------------------------------------------


def _question_page_queries(question: Question, viewer: User) -> int:
    c = client_for(viewer)
    c.get(question.get_absolute_url())
    with CaptureQueriesContext(connection) as captured:
        response = c.get(question.get_absolute_url())
    assert response.status_code == 200
    return len(captured)


def test_question_page_queries_do_not_grow_with_answers(asker, django_assert_max_num_queries):
    question = ask(asker)
    people = [member(display_name=f"Membre {n}") for n in range(30)]
    for person in people[:3]:
        answer = reply(question, person)
        services.comment_post(actor=asker, body="Merci", answer=answer)
        services.vote_cast(actor=asker, answer=answer, value=1)
    few = _question_page_queries(question, asker)
    for person in people[3:]:
        answer = reply(question, person)
        services.comment_post(actor=asker, body="Merci", answer=answer)
        services.vote_cast(actor=asker, answer=answer, value=1)

    assert _question_page_queries(question, asker) == few
    c = client_for(asker)
    with django_assert_max_num_queries(20):
        c.get(question.get_absolute_url())


def test_a_member_turns_community_emails_off_and_on(asker):
    from relais.community.models import Member

    client = client_for(asker)
    page = client.get(reverse("community:join")).content.decode()
    assert 'name="email" value="0"' in page
    assert client.post(reverse("community:join"), {"email": "0"}).status_code == 302
    assert Member.objects.get(pk=asker.pk).email_notifications is False
    assert 'name="email" value="1"' in client.get(reverse("community:join")).content.decode()
    client.post(reverse("community:join"), {"email": "1"})
    assert Member.objects.get(pk=asker.pk).email_notifications is True


def test_a_non_member_has_no_email_preference(collaborator):
    client = client_for(collaborator)
    assert 'name="email"' not in client.get(reverse("community:join")).content.decode()
    assert client.post(reverse("community:join"), {"email": "0"}).status_code in (403, 404)
