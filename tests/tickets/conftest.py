from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from relais.accounts.choices import Role
from relais.accounts.models import Team, User
from relais.tickets.choices import Level
from relais.tickets.models import Category, Ticket
from relais.tickets.services import TicketDraft, ticket_open
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def vpn_team(db: Any) -> Team:
    return TeamFactory(name="Réseau et VPN", code="reseau-vpn")


@pytest.fixture
def other_team(db: Any) -> Team:
    return TeamFactory(name="Applications métier", code="applications")


@pytest.fixture
def vpn_category(vpn_team: Team) -> Category:
    """The seeded "Connexion & VPN › VPN" category, routed to the VPN team (made again when a
    transactional test runs on a database emptied by an earlier one)."""
    root, _ = Category.objects.get_or_create(name="Connexion & VPN", parent=None)
    root.team = vpn_team
    root.save()
    category, _ = Category.objects.get_or_create(name="VPN", parent=root)
    category.team = vpn_team
    category.save()
    return Category.objects.select_related("parent").get(pk=category.pk)


@pytest.fixture
def team_agent(vpn_team: Team) -> User:
    agent = UserFactory(role=Role.AGENT, display_name="Agent Réseau")
    vpn_team.members.add(agent)
    return agent


@pytest.fixture
def other_agent(other_team: Team) -> User:
    agent = UserFactory(role=Role.AGENT, display_name="Agent Applis")
    other_team.members.add(agent)
    return agent


@pytest.fixture
def requester(db: Any) -> User:
    return UserFactory(
        role=Role.COLLABORATOR, display_name="Camille Martin", email="camille.martin@relais.test"
    )


def open_ticket(requester: User, category: Category, **overrides: Any) -> Ticket:
    draft = TicketDraft(
        category=category,
        title=overrides.pop("title", "Le VPN se déconnecte"),
        description=overrides.pop("description", "Depuis ce matin, toutes les 10 minutes."),
        impact=overrides.pop("impact", Level.LOW),
        urgency=overrides.pop("urgency", Level.MEDIUM),
    )
    for key, value in overrides.items():
        setattr(draft, key, value)
    return ticket_open(actor=requester, draft=draft)


@pytest.fixture
def ticket(requester: User, vpn_category: Category) -> Ticket:
    return open_ticket(requester, vpn_category)


@pytest.fixture
def outbox_mail(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run code whose e-mails must be delivered now (commit callbacks executed)."""
    yield lambda: django_capture_on_commit_callbacks(execute=True)
