from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from relais.accounts.models import User
from relais.kb.models import Article, ArticleState, Audience
from relais.kb.services import ArticleDraft, article_create


@pytest.fixture
def publish(supervisor: User) -> Callable[..., Article]:
    """Publish an article (as a supervisor) through the service."""

    def make(
        title: str,
        body: str,
        tags: Sequence[str] = (),
        audience: str = Audience.EVERYONE,
        **kwargs: Any,
    ) -> Article:
        draft = ArticleDraft(title=title, body=body, tags=tags, audience=audience)
        return article_create(
            draft=draft, actor=supervisor, state=kwargs.get("state", ArticleState.PUBLISHED)
        )

    return make


# The service desk's fixtures (teams, the VPN category, requester, agents).
from tests.tickets.conftest import (  # noqa: E402, F401
    other_agent,
    other_team,
    requester,
    team_agent,
    vpn_category,
    vpn_team,
)
