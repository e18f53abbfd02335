"""Knowledge-base permission matrix (tests/permissions/kb.yaml): every role × article × action,
through the HTML views and the API. A refusal is a 404 when the article is invisible to the
role, a 403 when it can see it, and it changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.kb.models import Article, ArticleFeedback, ArticleState, ArticleVersion, Audience
from tests.conftest import api_client_for, client_for
from tests.kb.conftest import make_article
from tests.matrix import ROLES, load_matrix

pytestmark = pytest.mark.django_db

OBJECTS: dict[str, tuple[str, str]] = {
    "public": (ArticleState.PUBLISHED, Audience.EVERYONE),
    "desk": (ArticleState.PUBLISHED, Audience.AGENTS),
    "draft": (ArticleState.DRAFT, Audience.EVERYONE),
}
MOVE_TARGET = {
    "public": ArticleState.ARCHIVED,
    "desk": ArticleState.ARCHIVED,
    "draft": ArticleState.PUBLISHED,
}
NEW_TITLE = "Titre réécrit par la matrice"


def _allowed(spec: Any, name: str) -> bool:
    return spec == "all" or (isinstance(spec, list) and name in spec)


def _snapshot(article: Article) -> dict[str, Any]:
    fresh = Article.objects.get(pk=article.pk)
    return {
        "title": fresh.title,
        "body": fresh.body,
        "state": fresh.state,
        "version": fresh.version,
        "published_at": fresh.published_at,
        "useful_count": fresh.useful_count,
        "not_useful_count": fresh.not_useful_count,
        "feedback": ArticleFeedback.objects.filter(article=article).count(),
        "versions": ArticleVersion.objects.filter(article=article).count(),
    }


@dataclass(frozen=True)
class Cell:
    """How to do one action on one article through one channel, and what success looks like."""

    send: Callable[[Client, Article, str], Any]
    done: Callable[[Article, dict[str, Any], User, str], bool]


def _html_edit(client: Client, article: Article, name: str) -> Any:
    return client.post(
        reverse("kb:edit", args=[article.pk]),
        {
            "title": NEW_TITLE,
            "body": article.body,
            "audience": article.audience,
            "tags": "",
            "summary": "matrice",
            "version": article.version,
        },
    )


def _api_edit(client: Client, article: Article, name: str) -> Any:
    return client.put(
        f"/api/v1/articles/{article.pk}",
        data={
            "title": NEW_TITLE,
            "body": article.body,
            "audience": article.audience,
            "version": article.version,
        },
        content_type="application/json",
    )


def _edited(article: Article, before: dict[str, Any], user: User, name: str) -> bool:
    after = _snapshot(article)
    return after["title"] == NEW_TITLE and after["version"] == before["version"] + 1


def _moved(article: Article, before: dict[str, Any], user: User, name: str) -> bool:
    return _snapshot(article)["state"] == MOVE_TARGET[name]


def _fed_back(article: Article, before: dict[str, Any], user: User, name: str) -> bool:
    after = _snapshot(article)
    return (
        ArticleFeedback.objects.filter(article=article, user=user, useful=True).exists()
        and after["useful_count"] == before["useful_count"] + 1
    )


def _unchanged_ok(article: Article, before: dict[str, Any], user: User, name: str) -> bool:
    return _snapshot(article) == before


CELLS: dict[str, dict[str, Cell]] = {
    "view": {
        "html": Cell(
            lambda c, a, n: c.get(reverse("kb:detail", args=[a.pk])),
            _unchanged_ok,
        ),
        "api": Cell(lambda c, a, n: c.get(f"/api/v1/articles/{a.pk}"), _unchanged_ok),
    },
    "feedback": {
        "html": Cell(
            lambda c, a, n: c.post(reverse("kb:feedback", args=[a.pk]), {"useful": "1"}),
            _fed_back,
        ),
        "api": Cell(
            lambda c, a, n: c.post(
                f"/api/v1/articles/{a.pk}/feedback",
                data={"useful": True},
                content_type="application/json",
            ),
            _fed_back,
        ),
    },
    "edit": {"html": Cell(_html_edit, _edited), "api": Cell(_api_edit, _edited)},
    "history": {
        "html": Cell(lambda c, a, n: c.get(reverse("kb:history", args=[a.pk])), _unchanged_ok),
    },
    "move": {
        "html": Cell(
            lambda c, a, n: c.post(reverse("kb:move", args=[a.pk]), {"state": MOVE_TARGET[n]}),
            _moved,
        ),
        "api": Cell(
            lambda c, a, n: c.post(
                f"/api/v1/articles/{a.pk}/state",
                data={"state": MOVE_TARGET[n]},
                content_type="application/json",
            ),
            _moved,
        ),
    },
}


@pytest.fixture
def people(users_by_role: dict[str, User]) -> dict[str, User]:
    return users_by_role


def _client(user: User, channel: str) -> Client:
    return client_for(user) if channel == "html" else api_client_for(user)


def test_article_matrix_on_objects(people: dict[str, User], editor: User) -> None:
    matrix = load_matrix("kb")
    spec = matrix["article"]
    denied = matrix["denied"]
    assert set(spec) == {*CELLS, "create"}, "every action of the matrix has a route here"
    failures: list[str] = []
    cells = 0
    for action, channels in CELLS.items():
        for role in ROLES:
            user = people[role]
            for name, (state, audience) in OBJECTS.items():
                allowed = _allowed(spec[action][role], name)
                visible = _allowed(spec["view"][role], name)
                for channel, cell in channels.items():
                    cells += 1
                    sid = transaction.savepoint()
                    try:
                        article = make_article(
                            editor, title=f"Article {name}", state=state, audience=audience
                        )
                        before = _snapshot(article)
                        response = cell.send(_client(user, channel), article, name)
                        status = response.status_code
                        if allowed:
                            ok = status < 400 and cell.done(article, before, user, name)
                        else:
                            expected = denied["visible"] if visible else denied["invisible"]
                            ok = status == expected and _snapshot(article) == before
                        if not ok:
                            failures.append(
                                f"{role} {action} {name} via {channel}: got {status}, expected "
                                f"{'success' if allowed else expected}"
                                + ("" if status >= 400 or allowed else " (changed something)")
                            )
                    finally:
                        transaction.savepoint_rollback(sid)
    assert not failures, "\n".join(failures)
    # 4 roles × 3 articles × (4 actions × 2 channels + history in HTML only)
    assert cells == 4 * 3 * 9


def test_article_matrix_create(people: dict[str, User]) -> None:
    matrix = load_matrix("kb")
    spec = matrix["article"]["create"]
    denied = matrix["denied"]["create"]
    failures: list[str] = []
    cells = 0
    for role in ROLES:
        user = people[role]
        allowed = _allowed(spec[role], "*")
        for channel in ("html", "api"):
            cells += 1
            title = f"Nouvel article {role} {channel}"
            count = Article.objects.count()
            if channel == "html":
                response = client_for(user).post(
                    reverse("kb:new"),
                    {"title": title, "body": "Contenu.", "audience": Audience.EVERYONE},
                )
            else:
                response = api_client_for(user).post(
                    "/api/v1/articles",
                    data={"title": title, "body": "Contenu."},
                    content_type="application/json",
                )
            created = Article.objects.filter(title=title)
            if allowed:
                ok = response.status_code < 400 and created.count() == 1
                ok = ok and created.get().state == ArticleState.DRAFT
                ok = ok and created.get().owner == user
            else:
                ok = response.status_code == denied[channel] and Article.objects.count() == count
            if not ok:
                failures.append(f"{role} create via {channel}: got {response.status_code}")
    assert not failures, "\n".join(failures)
    assert cells == 8


def test_create_page_form_is_hidden_from_collaborators(people: dict[str, User]) -> None:
    assert client_for(people[Role.COLLABORATOR]).get(reverse("kb:new")).status_code == 404
    assert client_for(people[Role.AGENT]).get(reverse("kb:new")).status_code == 200


def test_lists_hold_exactly_the_visible_articles(
    people: dict[str, User], public_article: Article, desk_article: Article, draft_article: Article
) -> None:
    """The HTML list and the API list show a role the published articles the matrix lets it
    view (the API's count excludes the others); the desk finds drafts with the state filter,
    which shows a collaborator nothing more."""
    view = load_matrix("kb")["article"]["view"]
    by_name = {"public": public_article, "desk": desk_article, "draft": draft_article}
    for role in ROLES:
        visible = {a.pk for name, a in by_name.items() if _allowed(view[role], name)}
        for state in ("published", "draft"):
            expected = {pk for pk in visible if by_name_state(by_name, pk) == state}
            body = json.loads(
                api_client_for(people[role]).get("/api/v1/articles", {"state": state}).content
            )
            assert {item["id"] for item in body["items"]} == expected, (role, state)
            assert body["count"] == len(expected), (role, state)
            page = client_for(people[role]).get(reverse("kb:list"), {"etat": state})
            html = page.content.decode()
            for article in by_name.values():
                link = reverse("kb:detail", args=[article.pk])
                assert (f'href="{link}"' in html) == (article.pk in expected), (role, state)
        default = json.loads(api_client_for(people[role]).get("/api/v1/articles").content)
        assert all(item["state"] == "published" for item in default["items"]), role


def by_name_state(by_name: dict[str, Article], pk: int) -> str:
    return next(a.state for a in by_name.values() if a.pk == pk)
