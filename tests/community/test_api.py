"""The community API: questions, answers, votes, acceptance, comments and membership, within
the policy; bad input is a 4xx JSON error; the list's query count does not grow with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from relais.accounts.choices import TokenScope
from relais.accounts.models import User
from relais.community import services
from relais.community.models import Answer, Comment, Member, Question, Revision, Vote
from tests.community.conftest import make_member
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    return api_client_for(user)


def post(client: Client, url: str, data: Any = None) -> Any:
    return client.post(f"/api/v1{url}", data=data or {}, content_type="application/json")


def put(client: Client, url: str, data: Any) -> Any:
    return client.put(f"/api/v1{url}", data=data, content_type="application/json")


def test_ask_read_answer_vote_accept_comment(asker: User, helper: User, third: User) -> None:
    # A member asks
    response = post(
        api(asker),
        "/community/questions",
        {"title": "Imprimante hors ligne", "body": "Depuis ce matin.", "tags": ["Imprimante"]},
    )
    assert response.status_code == 201
    body = response.json()
    question_id = body["id"]
    assert (body["title"], body["tags"], body["version"], body["answers"]) == (
        "Imprimante hors ligne",
        ["imprimante"],
        1,
        [],
    )
    # Another answers
    response = post(
        api(helper), f"/community/questions/{question_id}/answers", {"body": "Redémarrez-la."}
    )
    assert response.status_code == 201
    answer_id = response.json()["id"]
    assert response.json()["as_it"] is False
    # A third votes up, then withdraws, then votes again
    assert post(api(third), f"/community/answers/{answer_id}/vote", {"value": 1}).json() == {
        "score": 1
    }
    response = api(third).delete(f"/api/v1/community/answers/{answer_id}/vote")
    assert response.json() == {"score": 0}
    post(api(third), f"/community/answers/{answer_id}/vote", {"value": 1})
    assert post(api(helper), f"/community/questions/{question_id}/vote").json() == {"score": 1}
    # The asker accepts
    response = post(api(asker), f"/community/answers/{answer_id}/accept")
    assert response.status_code == 200
    assert response.json()["accepted_answer_id"] == answer_id
    assert response.json()["answers"][0]["is_accepted"] is True
    # And comments
    response = post(api(third), f"/community/answers/{answer_id}/comments", {"body": "Merci"})
    assert response.status_code == 201
    assert response.json()["body"] == "Merci"
    detail = api(third).get(f"/api/v1/community/questions/{question_id}").json()
    assert detail["answers"][0]["comments"][0]["body"] == "Merci"
    assert detail["score"] == 1
    assert Member.objects.get(pk=helper.pk).reputation == 25
    # The asker withdraws the acceptance
    response = api(asker).delete(f"/api/v1/community/questions/{question_id}/accept")
    assert response.json()["accepted_answer_id"] is None


def test_edit_with_versions(question: Question, asker: User, answer: Answer, helper: User) -> None:
    data = {"title": "Nouveau titre", "body": "Texte", "tags": ["vpn"], "version": 1}
    response = put(api(asker), f"/community/questions/{question.pk}", data)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    response = put(api(asker), f"/community/questions/{question.pk}", data)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Revision.objects.filter(question=question).count() == 2
    response = put(api(helper), f"/community/answers/{answer.pk}", {"body": "Mieux", "version": 1})
    assert (response.status_code, response.json()["version"]) == (200, 2)
    response = put(api(asker), f"/community/answers/{answer.pk}", {"body": "Non", "version": 2})
    assert response.status_code == 403
    assert Answer.objects.get(pk=answer.pk).body == "Mieux"


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("post", "/community/questions", {"title": "", "body": "x"}, 422),
        ("post", "/community/questions", {"title": "x" * 201, "body": "x"}, 422),
        ("post", "/community/questions", {"title": "t", "body": "b", "category_id": 999999}, 400),
        ("post", "/community/questions", {"title": "   ", "body": "b"}, 400),
        ("post", "/community/questions", {"title": "t", "body": "b", "tags": "vpn"}, 422),
        ("post", "/community/questions/{q}/answers", {"body": ""}, 422),
        ("post", "/community/questions/{q}/answers", {"body": "   "}, 400),
        ("post", "/community/answers/{a}/vote", {"value": 2}, 422),
        ("post", "/community/answers/{a}/vote", {"value": "up"}, 422),
        ("post", "/community/questions/{q}/comments", {"body": "x" * 601}, 422),
        ("post", "/community/questions/999999/answers", {"body": "x"}, 404),
        ("post", "/community/answers/999999/vote", {"value": 1}, 404),
        ("get", "/community/questions/999999", None, 404),
        ("get", "/community/questions?tab=hot", None, 422),
        ("get", "/community/questions?tab=tag", None, 400),
        ("get", "/community/questions?page_size=1000", None, 422),
        ("put", "/community/questions/{q}", {"title": "t", "body": "b"}, 422),
    ],
)
def test_bad_input_is_a_4xx_json_error(
    question: Question, answer: Answer, third: User, method: str, url: str, data: Any, status: int
) -> None:
    url = "/api/v1" + url.format(q=question.pk, a=answer.pk)
    before = (Question.objects.count(), Answer.objects.count(), Vote.objects.count())
    client = api(third)
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, data=data, content_type="application/json")
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json() and "code" in response.json()
    assert (Question.objects.count(), Answer.objects.count(), Vote.objects.count()) == before


def test_refusals(question: Question, answer: Answer, asker: User, helper: User) -> None:
    outsider = UserFactory()
    # A non-member reads but does not post
    assert api(outsider).get(f"/api/v1/community/questions/{question.pk}").status_code == 200
    response = post(api(outsider), f"/community/questions/{question.pk}/answers", {"body": "x"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    # Nobody votes on their own post
    assert (
        post(api(helper), f"/community/answers/{answer.pk}/vote", {"value": 1}).status_code == 403
    )
    # Questions are only voted up
    response = post(api(helper), f"/community/questions/{question.pk}/vote", {"value": -1})
    assert response.status_code == 400
    assert not Vote.objects.exists()
    # A read-only token cannot write
    read_only = api_client_for(helper, scope=TokenScope.READ)
    response = read_only.post(
        f"/api/v1/community/questions/{question.pk}/answers",
        data={"body": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    # Anonymous
    assert Client().get("/api/v1/community/questions").status_code == 401
    assert Answer.objects.count() == 1


def test_hidden_question_is_a_404_for_others(question: Question, moderator: User, third: User):
    services.moderate(actor=moderator, action="hide", reason="Spam", question=question)
    for client in (api(third), api(UserFactory())):
        assert client.get(f"/api/v1/community/questions/{question.pk}").status_code == 404
        response = post(client, f"/community/questions/{question.pk}/comments", {"body": "x"})
        assert response.status_code == 404
        assert client.get("/api/v1/community/questions").json()["count"] == 0
    assert api(moderator).get(f"/api/v1/community/questions/{question.pk}").status_code == 200
    assert not Comment.objects.exists()


def test_join_and_leave() -> None:
    person = UserFactory()
    response = post(api(person), "/community/members")
    assert response.status_code == 201
    assert response.json()["user_id"] == person.pk
    assert Member.objects.filter(pk=person.pk).exists()
    assert api(person).delete("/api/v1/community/members/me").status_code == 204
    assert not Member.objects.filter(pk=person.pk).exists()
    assert api(person).delete("/api/v1/community/members/me").status_code == 403


def test_list_tabs_and_pagination(asker: User, helper: User) -> None:
    for n in range(3):
        services.question_ask(author=asker, title=f"Question {n}", body="?", tags=["wifi"])
    body = api(helper).get("/api/v1/community/questions?page_size=2").json()
    assert body["count"] == 3
    assert [item["title"] for item in body["items"]] == ["Question 2", "Question 1"]
    assert set(body["items"][0]) >= {"id", "score", "answer_count", "author", "tags"}
    assert "body" not in body["items"][0]
    tagged = api(helper).get("/api/v1/community/questions?tab=tag&tag=WiFi").json()
    assert tagged["count"] == 3


def test_list_query_count_does_not_grow(asker: User, helper: User) -> None:
    client = api(helper)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/community/questions?page_size=50")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    services.question_ask(author=asker, title="Une", body="?")
    count_queries()  # the token's first use is recorded once
    few = count_queries()
    for n in range(15):
        author = make_member()
        q = services.question_ask(author=author, title=f"Q{n}", body="?", tags=["a", "b"])
        services.answer_post(question=q, author=asker, body="R")
    many = count_queries()
    assert many == few
    assert many <= 8


def delete(client: Client, url: str) -> Any:
    return client.delete(f"/api/v1{url}")


def test_follow_and_unfollow_a_question_and_a_keyword(question: Question, helper: User) -> None:
    from relais.community.models import Follow

    client = api(helper)
    assert post(client, f"/community/questions/{question.pk}/follow").json() == {"following": True}
    assert post(client, f"/community/questions/{question.pk}/follow").status_code == 200
    assert Follow.objects.filter(user=helper, question=question).count() == 1
    assert delete(client, f"/community/questions/{question.pk}/follow").json() == {
        "following": False
    }
    assert post(client, "/community/tags/VPN/follow").json() == {"following": True}
    assert list(Follow.objects.filter(user=helper).values_list("tag", flat=True)) == ["vpn"]
    delete(client, "/community/tags/vpn/follow")
    assert not Follow.objects.filter(user=helper).exists()


def test_flag_then_a_moderator_dismisses_or_hides(
    question: Question, answer: Answer, third: User, moderator: User, helper: User
) -> None:
    from relais.community.models import Flag

    response = post(api(third), f"/community/answers/{answer.pk}/flags", {"reason": "spam"})
    assert response.status_code == 201
    flag_id = response.json()["id"]
    assert (
        post(api(third), f"/community/answers/{answer.pk}/flags", {"reason": "x"}).status_code
        == 422
    )
    # The queue, for moderators only
    queue = api(moderator).get("/api/v1/community/moderation/flags").json()
    assert [(f["id"], f["answer_id"], f["user"]["id"]) for f in queue["items"]] == [
        (flag_id, answer.pk, third.pk)
    ]
    assert api(helper).get("/api/v1/community/moderation/flags").status_code == 404
    assert post(api(helper), f"/community/flags/{flag_id}/resolve").status_code == 404
    resolved = post(api(moderator), f"/community/flags/{flag_id}/resolve")
    assert resolved.status_code == 200 and resolved.json()["resolved_at"] is not None
    assert post(api(moderator), f"/community/flags/{flag_id}/resolve").status_code == 400
    # Hiding with a reason resolves the answer's new flag
    post(api(third), f"/community/answers/{answer.pk}/flags", {"reason": "offensive"})
    response = post(
        api(moderator),
        f"/community/answers/{answer.pk}/moderation",
        {"action": "hide", "reason": "Ton"},
    )
    assert response.status_code == 200
    assert (response.json()["action"], response.json()["reason"]) == ("hide", "Ton")
    assert Answer.objects.get(pk=answer.pk).is_hidden is True
    assert not Flag.objects.filter(resolved_at=None).exists()
    no_reason = post(
        api(moderator), f"/community/questions/{question.pk}/moderation", {"action": "lock"}
    )
    assert no_reason.status_code == 422
    assert Question.objects.get(pk=question.pk).is_locked is False


def test_the_desk_turns_a_question_into_a_ticket_and_an_answer_into_an_article(
    question: Question, answer: Answer, asker: User, agent: User, vpn_category: Any
) -> None:
    from relais.kb.models import Article

    response = post(api(agent), f"/community/questions/{question.pk}/ticket")
    assert response.status_code == 201
    assert Question.objects.get(pk=question.pk).ticket_id == response.json()["id"]
    assert post(api(agent), f"/community/questions/{question.pk}/ticket").status_code == 403
    services.answer_accept(answer=answer, actor=asker)
    response = post(api(agent), f"/community/answers/{answer.pk}/article")
    assert response.status_code == 201
    assert Article.objects.get(pk=response.json()["id"]).title == question.title
    assert post(api(asker), f"/community/answers/{answer.pk}/article").status_code == 403


def test_revisions_newest_first(question: Question, asker: User, helper: User) -> None:
    services.question_edit(
        question=question,
        actor=asker,
        title="Le VPN coupe en visio",
        body=question.body,
        tags=question.tags,
        expected_version=1,
        summary="Titre",
    )
    body = api(helper).get(f"/api/v1/community/questions/{question.pk}/revisions").json()
    assert [(r["number"], r["title"], r["summary"]) for r in body] == [
        (2, "Le VPN coupe en visio", "Titre"),
        (1, "Le VPN coupe pendant Teams", ""),
    ]


def test_a_moderator_closes_a_duplicate(question: Question, asker: User, moderator: User) -> None:
    original = services.question_ask(author=asker, title="VPN qui coupe", body="Déjà posée")
    hidden = services.question_ask(author=asker, title="Cachée", body="Masquée")
    services.moderate(actor=moderator, action="hide", reason="Spam", question=hidden)
    url = f"/community/questions/{question.pk}/duplicate"
    # An unknown or hidden original gets the same 400, and nothing changes
    for wrong in (999_999, hidden.pk, question.pk):
        response = post(api(moderator), url, {"original_id": wrong})
        assert response.status_code == 400, wrong
    assert Question.objects.get(pk=question.pk).duplicate_of is None
    # The original: closed, pointing to it
    response = post(api(moderator), url, {"original_id": original.pk})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["duplicate_of_id"]) == (
        "closed",
        original.pk,
    )
    # Not for its asker
    response = post(
        api(asker), f"/community/questions/{original.pk}/duplicate", {"original_id": question.pk}
    )
    assert response.status_code == 403
