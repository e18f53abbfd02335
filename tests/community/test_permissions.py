"""Peer-help permission matrix (tests/permissions/community.yaml): every role × object ×
action, through the services and through the API. A refusal raises PermissionDenied (or is a
404 for an invisible object) in the services; in the API it is a 404 when the object is
invisible to the role, a 403 otherwise; and it changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.test import Client

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import User
from relais.accounts.services import token_create
from relais.community import selectors, services
from relais.community.models import (
    Answer,
    Badge,
    Comment,
    Flag,
    Follow,
    Member,
    ModerationLog,
    MonthlyPoints,
    Notification,
    Question,
    QuestionStatus,
    Revision,
    Vote,
)
from relais.community.permissions import community_policy
from relais.kb.models import Article
from relais.tickets.models import Ticket
from tests.community.conftest import make_member
from tests.factories import UserFactory
from tests.matrix import load_matrix

pytestmark = pytest.mark.django_db

ROLES = ["nonmember", "author", "member", "moderator", "agent", "admin"]
TRACKED = (
    Question,
    Answer,
    Comment,
    Revision,
    Vote,
    MonthlyPoints,
    Follow,
    Flag,
    Notification,
    Member,
    Badge,
)


def snapshot() -> list[Any]:
    """Every row the community owns, plus the tickets and articles it can create."""
    rows: list[Any] = [list(model.objects.order_by("pk").values()) for model in TRACKED]
    rows.append(ModerationLog.objects.count())
    rows.append(Ticket.objects.count())
    rows.append(Article.objects.count())
    return rows


def _allowed(spec: Any, name: str) -> bool:
    return spec == "all" or (isinstance(spec, list) and name in spec)


@dataclass
class World:
    people: dict[str, User]
    outsider: User
    questions: dict[str, Question]
    original: Question
    answers: dict[str, Answer]
    comments: dict[str, Comment]


@pytest.fixture
def world(db: Any) -> World:
    people = {
        "nonmember": UserFactory(role=Role.COLLABORATOR, display_name="Non Membre"),
        "author": make_member(display_name="Autrice"),
        "member": make_member(display_name="Membre"),
        "moderator": make_member(moderator=True, display_name="Modération"),
        "agent": UserFactory(role=Role.AGENT, display_name="Agent"),
        "admin": UserFactory(role=Role.ADMIN, display_name="Admin"),
    }
    author = people["author"]
    outsider = make_member(display_name="Quelqu’un d’autre")
    mod = make_member(moderator=True, display_name="Seconde modération")

    def ask(title: str, by: User = author) -> Question:
        return services.question_ask(author=by, title=title, body=f"{title}, détails.")

    questions = {name: ask(f"Question {name}") for name in ("open", "hidden", "locked", "closed")}
    original = ask("Question d’origine", outsider)
    services.moderate(actor=mod, action="hide", reason="test", question=questions["hidden"])
    services.moderate(actor=mod, action="lock", reason="test", question=questions["locked"])
    services.question_close_duplicate(question=questions["closed"], original=original, actor=mod)
    other_question = ask("Question d’un autre", outsider)
    answers = {
        "on_other": services.answer_post(question=other_question, author=author, body="Essayez."),
        "to_author": services.answer_post(
            question=questions["open"], author=outsider, body="Redémarrez."
        ),
        "hidden": services.answer_post(question=other_question, author=author, body="Caché."),
    }
    services.moderate(actor=mod, action="hide", reason="test", answer=answers["hidden"])
    comments = {
        "open": services.comment_post(actor=author, body="Merci !", question=other_question),
        "hidden": services.comment_post(actor=author, body="Hors sujet", question=other_question),
    }
    services.moderate(actor=mod, action="hide", reason="test", comment=comments["hidden"])
    return World(people, outsider, questions, original, answers, comments)


def _accept_beforehand(answer: Answer) -> None:
    Question.objects.filter(pk=answer.question_id).update(accepted_answer=answer)


def _votes_beforehand(post: Question | Answer, world: World) -> Question | Answer:
    """Every role holds a vote on `post` (written directly: some roles could not cast it)."""
    target = {"question": post} if isinstance(post, Question) else {"answer": post}
    for person in world.people.values():
        Vote.objects.get_or_create(user=person, **target, defaults={"value": 1})  # type: ignore[misc]
    return post


def _question_with_accepted(world: World, question: Question) -> Question:
    accepted = Answer.objects.create(question=question, author=world.outsider, body="Réponse.")
    Question.objects.filter(pk=question.pk).update(accepted_answer=accepted)
    return Question.objects.get(pk=question.pk)


# -- how to do each action, per channel ------------------------------------------------------

Service = Callable[[User, Any, World], Any]
Api = Callable[[Client, Any, World], Any]


@dataclass(frozen=True)
class Way:
    service: Service
    api: Api | None = None
    prepare: Callable[[Any, World], Any] | None = None


def _json(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, data=data or {}, content_type="application/json")


def _view_question(user: User, q: Question, w: World) -> Any:
    return selectors.question_detail(user, q.pk)


def _view_answer(user: User, a: Answer, w: World) -> Any:
    detail = selectors.question_detail(user, a.question_id)
    if a.pk not in [x.pk for x in detail.answer_list]:  # type: ignore[attr-defined]
        raise Http404
    return detail


def _view_comment(user: User, c: Comment, w: World) -> Any:
    detail = selectors.question_detail(user, c.question_id)
    if c.pk not in [x.pk for x in detail.comment_list]:  # type: ignore[attr-defined]
        raise Http404
    return detail


def _history(user: User, post: Question | Answer) -> Any:
    """Reading a post's revisions: the post must be visible (404), then the policy decides."""
    if isinstance(post, Question):
        post = community_policy.get_or_404(user, post.pk)
    if not community_policy.can(user, "history", post):
        raise PermissionDenied
    return list(post.revisions.all())


READS = frozenset({"view", "history"})


QUESTION_WAYS: dict[str, Way] = {
    "view": Way(_view_question, lambda c, q, w: c.get(f"/api/v1/community/questions/{q.pk}")),
    "history": Way(
        lambda u, q, w: _history(u, q),
        lambda c, q, w: c.get(f"/api/v1/community/questions/{q.pk}/revisions"),
    ),
    "edit": Way(
        lambda u, q, w: services.question_edit(
            question=q,
            actor=u,
            title="Titre revu",
            body=q.body,
            tags=[],
            expected_version=q.version,
        ),
        lambda c, q, w: _json(
            c,
            "put",
            f"/api/v1/community/questions/{q.pk}",
            {"title": "Titre revu", "body": q.body, "version": q.version},
        ),
    ),
    "answer": Way(
        lambda u, q, w: services.answer_post(question=q, author=u, body="Une réponse."),
        lambda c, q, w: _json(
            c, "post", f"/api/v1/community/questions/{q.pk}/answers", {"body": "Une réponse."}
        ),
    ),
    "answer_as_it": Way(
        lambda u, q, w: services.answer_post(question=q, author=u, body="La DSI.", as_it=True),
        lambda c, q, w: _json(
            c,
            "post",
            f"/api/v1/community/questions/{q.pk}/answers",
            {"body": "La DSI.", "as_it": True},
        ),
    ),
    "comment": Way(
        lambda u, q, w: services.comment_post(actor=u, body="Précision", question=q),
        lambda c, q, w: _json(
            c, "post", f"/api/v1/community/questions/{q.pk}/comments", {"body": "Précision"}
        ),
    ),
    "vote": Way(
        lambda u, q, w: services.vote_cast(actor=u, question=q, value=1),
        lambda c, q, w: _json(c, "post", f"/api/v1/community/questions/{q.pk}/vote", {"value": 1}),
    ),
    "unvote": Way(
        lambda u, q, w: services.vote_cast(actor=u, question=q, value=0),
        lambda c, q, w: c.delete(f"/api/v1/community/questions/{q.pk}/vote"),
        prepare=_votes_beforehand,
    ),
    "follow": Way(
        lambda u, q, w: services.follow_set(actor=u, question=q),
        lambda c, q, w: c.post(f"/api/v1/community/questions/{q.pk}/follow"),
    ),
    "flag": Way(
        lambda u, q, w: services.flag_create(actor=u, reason="spam", question=q),
        lambda c, q, w: _json(
            c, "post", f"/api/v1/community/questions/{q.pk}/flags", {"reason": "spam"}
        ),
    ),
    "close": Way(
        lambda u, q, w: services.question_close_duplicate(question=q, original=w.original, actor=u),
        lambda c, q, w: _json(
            c,
            "post",
            f"/api/v1/community/questions/{q.pk}/duplicate",
            {"original_id": w.original.pk},
        ),
    ),
    "to_ticket": Way(
        lambda u, q, w: services.question_to_ticket(question=q, actor=u),
        lambda c, q, w: c.post(f"/api/v1/community/questions/{q.pk}/ticket"),
    ),
    "moderate": Way(
        lambda u, q, w: services.moderate(actor=u, action="lock", reason="Règles", question=q),
        lambda c, q, w: _json(
            c,
            "post",
            f"/api/v1/community/questions/{q.pk}/moderation",
            {"action": "lock", "reason": "Règles"},
        ),
    ),
    "unaccept": Way(
        lambda u, q, w: services.answer_unaccept(question=q, actor=u),
        lambda c, q, w: c.delete(f"/api/v1/community/questions/{q.pk}/accept"),
        prepare=lambda q, w: _question_with_accepted(w, q),
    ),
}

ANSWER_WAYS: dict[str, Way] = {
    "view": Way(_view_answer, lambda c, a, w: c.get(f"/api/v1/community/answers/{a.pk}")),
    "history": Way(
        lambda u, a, w: _history(u, selectors.answer_get(u, a.pk)),
        lambda c, a, w: c.get(f"/api/v1/community/answers/{a.pk}/revisions"),
    ),
    "edit": Way(
        lambda u, a, w: services.answer_edit(
            answer=a, actor=u, body="Corrigé.", expected_version=a.version
        ),
        lambda c, a, w: _json(
            c, "put", f"/api/v1/community/answers/{a.pk}", {"body": "Corrigé.", "version": 1}
        ),
    ),
    "comment": Way(
        lambda u, a, w: services.comment_post(actor=u, body="Merci", answer=a),
        lambda c, a, w: _json(
            c, "post", f"/api/v1/community/answers/{a.pk}/comments", {"body": "Merci"}
        ),
    ),
    "vote": Way(
        lambda u, a, w: services.vote_cast(actor=u, answer=a, value=1),
        lambda c, a, w: _json(c, "post", f"/api/v1/community/answers/{a.pk}/vote", {"value": 1}),
    ),
    "unvote": Way(
        lambda u, a, w: services.vote_cast(actor=u, answer=a, value=0),
        lambda c, a, w: c.delete(f"/api/v1/community/answers/{a.pk}/vote"),
        prepare=_votes_beforehand,
    ),
    "accept": Way(
        lambda u, a, w: services.answer_accept(answer=a, actor=u),
        lambda c, a, w: c.post(f"/api/v1/community/answers/{a.pk}/accept"),
    ),
    "flag": Way(
        lambda u, a, w: services.flag_create(actor=u, reason="off_topic", answer=a),
        lambda c, a, w: _json(
            c, "post", f"/api/v1/community/answers/{a.pk}/flags", {"reason": "off_topic"}
        ),
    ),
    "moderate": Way(
        lambda u, a, w: services.moderate(actor=u, action="delete", reason="Doublon", answer=a),
        lambda c, a, w: _json(
            c,
            "post",
            f"/api/v1/community/answers/{a.pk}/moderation",
            {"action": "delete", "reason": "Doublon"},
        ),
    ),
    "to_article": Way(
        lambda u, a, w: services.answer_to_article(answer=a, actor=u),
        lambda c, a, w: c.post(f"/api/v1/community/answers/{a.pk}/article"),
        prepare=lambda a, w: (_accept_beforehand(a), Answer.objects.get(pk=a.pk))[1],
    ),
}

COMMENT_WAYS: dict[str, Way] = {
    "view": Way(_view_comment),
    "flag": Way(
        lambda u, c, w: services.flag_create(actor=u, reason="offensive", comment=c),
        lambda cl, c, w: _json(
            cl, "post", f"/api/v1/community/comments/{c.pk}/flags", {"reason": "offensive"}
        ),
    ),
    "moderate": Way(
        lambda u, c, w: services.moderate(actor=u, action="hide", reason="Ton", comment=c),
        lambda cl, c, w: _json(
            cl,
            "post",
            f"/api/v1/community/comments/{c.pk}/moderation",
            {"action": "hide", "reason": "Ton"},
        ),
    ),
}

WAYS = {"question": QUESTION_WAYS, "answer": ANSWER_WAYS, "comment": COMMENT_WAYS}


def _fresh(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


def _object(world: World, object_type: str, name: str) -> Any:
    source = {"question": world.questions, "answer": world.answers, "comment": world.comments}
    return _fresh(source[object_type][name])


def _api_client(user: User) -> Client:
    issued = token_create(user=user, name="matrix", scope=TokenScope.WRITE)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def test_the_matrix_covers_every_action() -> None:
    matrix = load_matrix("community")
    for object_type, ways in WAYS.items():
        assert set(matrix[object_type]) == set(ways), object_type
    # `moderate` (the moderation queue) runs in test_moderation_queue.py.
    assert set(matrix["community"]) == {"ask", "join", "moderate"}


def test_object_matrix_through_services_and_api(world: World) -> None:
    matrix = load_matrix("community")
    clients = {role: _api_client(user) for role, user in world.people.items()}
    failures: list[str] = []
    cells = 0
    for object_type, ways in WAYS.items():
        spec = matrix[object_type]
        for action, way in ways.items():
            for role in ROLES:
                for name in matrix["objects"][object_type]:
                    allowed = _allowed(spec[action].get(role), name)
                    visible = _allowed(spec["view"].get(role), name)
                    for channel in ("service", "api"):
                        if channel == "api" and way.api is None:
                            continue
                        cells += 1
                        sid = transaction.savepoint()
                        try:
                            user = User.objects.get(pk=world.people[role].pk)
                            obj = _object(world, object_type, name)
                            if way.prepare is not None:
                                obj = way.prepare(obj, world)
                            before = snapshot()
                            outcome = _run(channel, way, user, obj, world, clients[role])
                            changed = snapshot() != before
                        finally:
                            transaction.savepoint_rollback(sid)
                        problem = _judge(outcome, allowed, visible, changed, action, channel)
                        if problem:
                            failures.append(
                                f"{role} {action} {object_type}:{name} via {channel}: {problem}"
                            )
    assert cells > 300
    assert not failures, "\n".join(failures)


def _run(channel: str, way: Way, user: User, obj: Any, world: World, client: Client) -> Any:
    if channel == "api":
        assert way.api is not None
        return way.api(client, obj, world).status_code
    try:
        way.service(user, obj, world)
    except PermissionDenied:
        return "denied"
    except Http404:
        return "invisible"
    return "ok"


def _judge(
    outcome: Any, allowed: bool, visible: bool, changed: bool, action: str, channel: str
) -> str:
    writes = action not in READS
    if allowed:
        success = outcome == "ok" if channel == "service" else outcome < 400
        if not success:
            return f"refused ({outcome}), expected success"
        if writes and not changed:
            return "succeeded but changed nothing"
        return ""
    if changed:
        return f"refused ({outcome}) but changed something"
    if channel == "service":
        expected = {"denied", "invisible"} if visible or action not in READS else {"invisible"}
        return "" if outcome in expected else f"got {outcome}, expected a refusal"
    expected_status = 403 if visible else 404
    return "" if outcome == expected_status else f"got {outcome}, expected {expected_status}"


def test_model_actions_through_services_and_api(world: World) -> None:
    matrix = load_matrix("community")["community"]
    failures: list[str] = []
    for role in ROLES:
        for channel in ("service", "api"):
            # ask
            sid = transaction.savepoint()
            try:
                user = User.objects.get(pk=world.people[role].pk)
                count = Question.objects.count()
                if channel == "service":
                    try:
                        services.question_ask(author=user, title="Nouvelle", body="Texte")
                        status = 201
                    except PermissionDenied:
                        status = 403
                else:
                    status = _json(
                        _api_client(user),
                        "post",
                        "/api/v1/community/questions",
                        {"title": "Nouvelle", "body": "Texte"},
                    ).status_code
                asked = Question.objects.count() - count
            finally:
                transaction.savepoint_rollback(sid)
            allowed = matrix["ask"][role] == "all"
            if (status == 201 and asked == 1) != allowed or (not allowed and status != 403):
                failures.append(f"{role} ask via {channel}: {status}")
            # join
            sid = transaction.savepoint()
            try:
                user = User.objects.get(pk=world.people[role].pk)
                if channel == "service":
                    services.member_join(user=user)
                    status = 201
                else:
                    status = _api_client(user).post("/api/v1/community/members").status_code
                joined = Member.objects.filter(pk=user.pk).exists()
            finally:
                transaction.savepoint_rollback(sid)
            allowed = matrix["join"][role] == "all"
            if (status == 201 and joined) != allowed:
                failures.append(f"{role} join via {channel}: {status}")
    assert not failures, "\n".join(failures)


def test_lists_never_show_what_the_role_cannot_see(world: World) -> None:
    matrix = load_matrix("community")
    for role in ROLES:
        user = User.objects.get(pk=world.people[role].pk)
        listed = set(selectors.question_list(user).values_list("pk", flat=True))
        for name, question in world.questions.items():
            assert (question.pk in listed) == _allowed(matrix["question"]["view"][role], name), (
                role,
                name,
            )
        response = _api_client(user).get("/api/v1/community/questions?page_size=100")
        body = response.json()
        ids = {item["id"] for item in body["items"]}
        assert ids == listed
        assert body["count"] == len(listed)
        assert community_policy.scope(user).count() == len(listed)


def test_closed_fixture_is_closed(world: World) -> None:
    assert _fresh(world.questions["closed"]).status == QuestionStatus.CLOSED
