"""The community pages run a bounded number of queries, whatever the number of questions,
answers and comments (the speed itself is measured by `python -m bench community`, never in
tests); and the list scope written without its OR (selectors._list_scope) shows exactly what
the policy allows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.accounts.models import User
from relais.community import selectors, services
from relais.community.choices import ModerationAction
from relais.community.models import Answer, Question
from relais.community.permissions import community_policy
from tests.community.conftest import fresh, make_member
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_URLS = [
    "/entraide/",
    "/entraide/?onglet=sans-reponse",
    "/entraide/?onglet=populaires",
    "/entraide/?onglet=mot-cle&mot=vpn",
]


def _queries(viewer: User, url: str) -> int:
    client = client_for(viewer)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _thread(
    asker: User, helpers: list[User], answers: int, title: str = "Le VPN coupe"
) -> Question:
    question = services.question_ask(
        author=asker, title=title, body="Depuis ce matin.", tags=["vpn", "teams"]
    )
    for index in range(answers):
        helper = helpers[index % len(helpers)]
        answer = services.answer_post(question=question, author=helper, body=f"Essai {index}")
        services.comment_post(actor=asker, answer=answer, body="Merci")
        services.vote_cast(actor=asker, answer=answer, value=1)
    services.comment_post(actor=helpers[0], question=question, body="Quel poste ?")
    return question


@pytest.fixture
def people(db: Any) -> list[User]:
    return [make_member(display_name=f"Membre {n}") for n in range(4)]


def test_question_page_queries_do_not_grow_with_answers_and_comments(people):
    asker, *helpers = people
    small = _thread(asker, helpers, 1, "Petit fil")
    large = _thread(asker, helpers, 6, "Grand fil")
    viewer = helpers[0]
    few = _queries(viewer, small.get_absolute_url())
    many = _queries(viewer, large.get_absolute_url())
    assert many == few
    assert many <= 14


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_tabs_run_a_bounded_number_of_queries(people, url):
    asker, *helpers = people
    for n in range(3):
        _thread(asker, helpers, n % 2, f"Question {n}")
    few = _queries(helpers[0], url)
    for n in range(25):
        _thread(asker, helpers, 0, f"Autre question {n}")
    assert _queries(helpers[0], url) == few
    assert few <= 9
    assert _queries(helpers[0], url + ("&" if "?" in url else "?") + "page=2") <= 9


def test_profile_and_leaderboard_run_a_bounded_number_of_queries(people):
    asker, *helpers = people
    for n in range(4):
        _thread(asker, helpers, 3, f"Question {n}")
    assert _queries(helpers[1], f"/entraide/membres/{helpers[0].pk}/") <= 15
    assert _queries(helpers[1], "/entraide/classement/") <= 9


def test_list_scope_without_or_sees_what_the_policy_allows(people):
    asker, other, *_rest = people
    moderator = make_member(moderator=True)
    shown = services.question_ask(author=asker, title="Visible", body="Texte.", tags=["vpn"])
    hidden = services.question_ask(author=asker, title="Cachée", body="Texte.", tags=["vpn"])
    services.moderate(question=hidden, actor=moderator, action=ModerationAction.HIDE, reason="test")

    for tab, tag in (("newest", None), ("unanswered", None), ("top_week", None), ("tag", "vpn")):
        for viewer in (asker, other, moderator):
            viewer = User.objects.get(pk=viewer.pk)  # no cached membership
            listed = set(selectors.question_list(viewer, tab=tab, tag=tag))
            allowed = set(
                community_policy.scope(viewer).filter(
                    pk__in=[q.pk for q in selectors.question_list(moderator, tab=tab, tag=tag)]
                )
            )
            assert listed == allowed, (tab, viewer)
            assert shown in listed
            assert (hidden in listed) == (viewer.pk != other.pk), (tab, viewer)


def test_tag_list_matches_whole_tags_only(people):
    asker = people[0]
    services.question_ask(author=asker, title="A", body="Texte.", tags=["VPN", "Teams"])
    services.question_ask(author=asker, title="B", body="Texte.", tags=["vpn forticlient"])
    titles = {q.title for q in selectors.question_list(asker, tab="tag", tag="vpn")}
    assert titles == {"A"}
    assert {q.title for q in selectors.question_list(asker, tab="tag", tag="Teams")} == {"A"}


def test_answers_scope_is_what_the_policy_allows_one_by_one(people):
    """community_policy.answers_scope (written "not on a question hidden from the viewer")
    lists exactly the answers `can(viewer, "view", answer)` allows."""
    asker, other, third, _fourth = people
    moderator = make_member(moderator=True)
    shown = services.question_ask(author=asker, title="Visible", body="Texte.")
    hidden = services.question_ask(author=asker, title="Cachée", body="Texte.")
    answers = [
        services.answer_post(question=question, author=author, body="Réponse")
        for question in (shown, hidden)
        for author in (other, third)
    ]
    services.moderate(question=hidden, actor=moderator, action=ModerationAction.HIDE, reason="x")
    services.moderate(answer=answers[0], actor=moderator, action=ModerationAction.HIDE, reason="x")
    outsider = UserFactory()
    for viewer in (asker, other, third, moderator, outsider):
        viewer = User.objects.get(pk=viewer.pk)
        listed = set(community_policy.answers_scope(viewer))
        allowed = {
            a
            for a in Answer.objects.select_related("question")
            if community_policy.can(viewer, "view", a)
        }
        assert listed == allowed, viewer
    # The asker sees the answers on their hidden question, not the hidden answer of others
    assert set(community_policy.answers_scope(fresh(asker))) == set(answers[1:])
    assert set(community_policy.answers_scope(fresh(other))) == {answers[0], answers[1]}
