"""Community fixtures: members of long standing (past the new-member posting limit), a
question with answers written through the services, and the ticket fixtures of tests/tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.community import services
from relais.community.models import Answer, Member, Question
from tests.factories import UserFactory
from tests.tickets.conftest import (  # noqa: F401 (fixtures re-exported for tests/community)
    outbox_mail,
    vpn_category,
    vpn_team,
)


def make_member(*, moderator: bool = False, role: str = Role.COLLABORATOR, **kwargs: Any) -> User:
    """A member who joined a year ago (no new-member rate limit)."""
    user = UserFactory(role=role, **kwargs)
    services.member_join(user=user)
    Member.objects.filter(pk=user.pk).update(
        joined_at=timezone.now() - timedelta(days=365), is_moderator=moderator
    )
    return User.objects.get(pk=user.pk)  # a fresh object: no cached membership


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def asker(db: Any) -> User:
    return make_member(display_name="Alice Martin", email="alice.martin@relais.test")


@pytest.fixture
def helper(db: Any) -> User:
    return make_member(display_name="Bruno Petit", email="bruno.petit@relais.test")


@pytest.fixture
def third(db: Any) -> User:
    return make_member(display_name="Chloé Roux", email="chloe.roux@relais.test")


@pytest.fixture
def moderator(db: Any) -> User:
    return make_member(moderator=True, display_name="Modératrice")


@pytest.fixture
def agent(db: Any) -> User:
    return UserFactory(role=Role.AGENT, display_name="Agent Support")


@pytest.fixture
def question(asker: User) -> Question:
    return services.question_ask(
        author=asker,
        title="Le VPN coupe pendant Teams",
        body="Depuis ce matin le VPN se déconnecte en visio.",
        tags=["VPN", "Teams"],
    )


@pytest.fixture
def answer(question: Question, helper: User) -> Answer:
    return services.answer_post(
        question=question, author=helper, body="Désactivez le split tunneling."
    )
