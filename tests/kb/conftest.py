"""Knowledge-base fixtures: three articles (published for everyone, published for the desk
only, a draft) written through the services, and the ticket fixtures of tests/tickets."""

from __future__ import annotations

from typing import Any

import pytest

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.kb.models import Article, ArticleState, Audience
from relais.kb.services import ArticleDraft, article_create
from relais.tickets.models import Category
from tests.factories import UserFactory
from tests.tickets.conftest import (  # noqa: F401 (fixtures re-exported for tests/kb)
    other_agent,
    other_team,
    requester,
    team_agent,
    ticket,
    vpn_category,
    vpn_team,
)


@pytest.fixture
def editor(db: Any) -> User:
    """The supervisor who writes and publishes the fixture articles."""
    return UserFactory(role=Role.SUPERVISOR, display_name="Rédaction KB")


def make_article(
    owner: User,
    *,
    title: str = "Réinitialiser son mot de passe",
    body: str = "Ouvrez le portail **Mon compte** puis choisissez *Mot de passe oublié*.",
    state: str = ArticleState.PUBLISHED,
    audience: str = Audience.EVERYONE,
    category: Category | None = None,
    tags: tuple[str, ...] = (),
    **extra: Any,
) -> Article:
    draft = ArticleDraft(
        title=title, body=body, audience=audience, category=category, tags=tags, **extra
    )
    return article_create(draft=draft, actor=owner, state=state)


@pytest.fixture
def public_article(editor: User) -> Article:
    return make_article(editor, title="Configurer le Wi-Fi invité")


@pytest.fixture
def desk_article(editor: User) -> Article:
    return make_article(
        editor,
        title="Procédure interne de réinitialisation des jetons",
        body="Ouvrez la console d'administration des jetons.",
        audience=Audience.AGENTS,
    )


@pytest.fixture
def draft_article(editor: User) -> Article:
    return make_article(
        editor,
        title="Brouillon : imprimante du 3e étage",
        body="Texte en cours d'écriture.",
        state=ArticleState.DRAFT,
    )
