"""The peer-help permission matrix (tests/permissions/community.yaml) through the HTML views:
every role × object × action posts the form the screens post. Allowed: a success (< 400) that
changes something; refused: 404 when the role cannot see the object, 403 otherwise, and
nothing changed. The services and the API run the same matrix in test_permissions.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from relais.accounts.models import User
from relais.community.models import Answer, Comment, Member, Question
from tests.community.test_permissions import (  # noqa: F401 (the `world` fixture)
    ROLES,
    World,
    _accept_beforehand,
    _allowed,
    _question_with_accepted,
    _votes_beforehand,
    snapshot,
    world,
)
from tests.matrix import load_matrix

pytestmark = pytest.mark.django_db

Call = Callable[[Client, Any, World], Any]


@dataclass(frozen=True)
class Way:
    call: Call
    prepare: Callable[[Any, World], Any] | None = None
    writes: bool = True


def _q(pk: int, rest: str = "") -> str:
    return f"/entraide/questions/{pk}/{rest}"


def _shown(client: Client, question_id: int, anchor: str) -> int:
    """Viewing an answer or a comment: its question page lists it (else it is invisible)."""
    response = client.get(_q(question_id))
    if response.status_code != 200:
        return response.status_code
    return 200 if anchor in response.content.decode() else 404


def _comment_question(c: Comment) -> int:
    return c.question_id or Answer.objects.get(pk=c.answer_id).question_id


QUESTION: dict[str, Way] = {
    "view": Way(lambda c, q, w: c.get(_q(q.pk)), writes=False),
    "history": Way(lambda c, q, w: c.get(_q(q.pk, "historique/")), writes=False),
    "edit": Way(
        lambda c, q, w: c.post(
            _q(q.pk, "modifier/"),
            {"title": "Titre revu", "body": q.body, "tags": "", "version": q.version},
        )
    ),
    "answer": Way(lambda c, q, w: c.post(_q(q.pk, "repondre/"), {"body": "Une réponse."})),
    "answer_as_it": Way(
        lambda c, q, w: c.post(_q(q.pk, "repondre/"), {"body": "La DSI.", "as_it": "on"})
    ),
    "comment": Way(lambda c, q, w: c.post(_q(q.pk, "commenter/"), {"body": "Précision"})),
    "vote": Way(lambda c, q, w: c.post(_q(q.pk, "voter/"), {"target": "question", "value": "1"})),
    "unvote": Way(
        lambda c, q, w: c.post(_q(q.pk, "voter/"), {"target": "question", "value": "0"}),
        prepare=_votes_beforehand,
    ),
    "follow": Way(lambda c, q, w: c.post(_q(q.pk, "suivre/"), {"following": "1"})),
    "flag": Way(lambda c, q, w: c.post(_q(q.pk, "signaler/"), {"reason": "spam"})),
    "close": Way(lambda c, q, w: c.post(_q(q.pk, "doublon/"), {"original": w.original.pk})),
    "to_ticket": Way(lambda c, q, w: c.post(_q(q.pk, "vers-demande/"))),
    "moderate": Way(
        lambda c, q, w: c.post(_q(q.pk, "moderer/"), {"action": "lock", "reason": "Règles"})
    ),
    "unaccept": Way(
        lambda c, q, w: c.post(
            f"/entraide/reponses/{q.accepted_answer_id}/accepter/", {"undo": "1"}
        ),
        prepare=lambda q, w: _question_with_accepted(w, q),
    ),
}

ANSWER: dict[str, Way] = {
    "view": Way(lambda c, a, w: _shown(c, a.question_id, f'id="reponse-{a.pk}"'), writes=False),
    "history": Way(lambda c, a, w: c.get(f"/entraide/reponses/{a.pk}/historique/"), writes=False),
    "edit": Way(
        lambda c, a, w: c.post(
            f"/entraide/reponses/{a.pk}/modifier/", {"body": "Corrigé.", "version": a.version}
        )
    ),
    "comment": Way(
        lambda c, a, w: c.post(_q(a.question_id, "commenter/"), {"body": "Merci", "answer": a.pk})
    ),
    "vote": Way(
        lambda c, a, w: c.post(_q(a.question_id, "voter/"), {"target": a.pk, "value": "1"})
    ),
    "unvote": Way(
        lambda c, a, w: c.post(_q(a.question_id, "voter/"), {"target": a.pk, "value": "0"}),
        prepare=_votes_beforehand,
    ),
    "accept": Way(lambda c, a, w: c.post(f"/entraide/reponses/{a.pk}/accepter/")),
    "flag": Way(
        lambda c, a, w: c.post(
            _q(a.question_id, "signaler/"), {"answer": a.pk, "reason": "off_topic"}
        )
    ),
    "moderate": Way(
        lambda c, a, w: c.post(
            _q(a.question_id, "moderer/"),
            {"answer": a.pk, "action": "delete", "reason": "Doublon"},
        )
    ),
    "to_article": Way(
        lambda c, a, w: c.post(f"/entraide/reponses/{a.pk}/vers-article/"),
        prepare=lambda a, w: (_accept_beforehand(a), Answer.objects.get(pk=a.pk))[1],
    ),
}

COMMENT: dict[str, Way] = {
    "view": Way(
        lambda c, m, w: _shown(c, _comment_question(m), f'id="commentaire-{m.pk}"'),
        writes=False,
    ),
    "flag": Way(
        lambda c, m, w: c.post(
            _q(_comment_question(m), "signaler/"), {"comment": m.pk, "reason": "offensive"}
        )
    ),
    "moderate": Way(
        lambda c, m, w: c.post(
            _q(_comment_question(m), "moderer/"),
            {"comment": m.pk, "action": "hide", "reason": "Ton"},
        )
    ),
}

WAYS = {"question": QUESTION, "answer": ANSWER, "comment": COMMENT}


def _status(response: Any) -> int:
    return response if isinstance(response, int) else response.status_code


def _object(w: World, object_type: str, name: str) -> Any:
    source: dict[str, Any] = {
        "question": w.questions,
        "answer": w.answers,
        "comment": w.comments,
    }
    obj = source[object_type][name]
    return type(obj).objects.get(pk=obj.pk)


def test_every_action_of_the_matrix_has_an_html_route() -> None:
    matrix = load_matrix("community")
    for object_type, ways in WAYS.items():
        assert set(matrix[object_type]) == set(ways), object_type


def test_object_matrix_through_the_html_views(world: World) -> None:  # noqa: F811
    matrix = load_matrix("community")
    failures: list[str] = []
    cells = 0
    for object_type, ways in WAYS.items():
        spec = matrix[object_type]
        for action, way in ways.items():
            for role in ROLES:
                for name in matrix["objects"][object_type]:
                    allowed = _allowed(spec[action].get(role), name)
                    visible = _allowed(spec["view"].get(role), name)
                    cells += 1
                    sid = transaction.savepoint()
                    try:
                        client = Client()
                        client.force_login(world.people[role])
                        obj = _object(world, object_type, name)
                        if way.prepare is not None:
                            obj = way.prepare(obj, world)
                        before = snapshot()
                        status = _status(way.call(client, obj, world))
                        changed = snapshot() != before
                    finally:
                        transaction.savepoint_rollback(sid)
                    where = f"{role} {action} {object_type}:{name}"
                    if allowed:
                        if status >= 400:
                            failures.append(f"{where}: got {status}, expected success")
                        elif way.writes and not changed:
                            failures.append(f"{where}: {status} but nothing changed")
                    else:
                        expected = 403 if visible else 404
                        if status != expected:
                            failures.append(f"{where}: got {status}, expected {expected}")
                        if changed:
                            failures.append(f"{where}: refused but changed something")
    assert cells > 150
    assert not failures, "\n".join(failures)


def test_asking_and_joining_through_the_html_views(world: World) -> None:  # noqa: F811
    matrix = load_matrix("community")["community"]
    failures: list[str] = []
    for role in ROLES:
        user = world.people[role]
        sid = transaction.savepoint()
        try:
            client = Client()
            client.force_login(user)
            page = client.get("/entraide/poser/").status_code
            count = Question.objects.count()
            posted = client.post("/entraide/poser/", {"title": "Nouvelle", "body": "Texte"})
            asked = Question.objects.count() - count
        finally:
            transaction.savepoint_rollback(sid)
        if matrix["ask"][role] == "all":
            if (page, posted.status_code, asked) != (200, 302, 1):
                failures.append(f"{role} ask: {page} {posted.status_code} {asked}")
        elif (page, posted.status_code, asked) != (403, 403, 0):
            failures.append(f"{role} ask: {page} {posted.status_code} {asked}, expected 403")

        sid = transaction.savepoint()
        try:
            client = Client()
            client.force_login(User.objects.get(pk=user.pk))
            status = client.post("/entraide/rejoindre/", {"member": "1"}).status_code
            joined = Member.objects.filter(pk=user.pk).exists()
        finally:
            transaction.savepoint_rollback(sid)
        if (status < 400 and joined) != (matrix["join"][role] == "all"):
            failures.append(f"{role} join: {status} {joined}")
    assert not failures, "\n".join(failures)


def test_lists_show_only_what_the_role_may_see(world: World) -> None:  # noqa: F811
    matrix = load_matrix("community")
    for role in ROLES:
        client = Client()
        client.force_login(world.people[role])
        html = client.get("/entraide/").content.decode()
        for name, question in world.questions.items():
            shown = f'href="/entraide/questions/{question.pk}/"' in html
            assert shown == _allowed(matrix["question"]["view"][role], name), (role, name)
