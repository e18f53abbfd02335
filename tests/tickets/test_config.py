"""The desk's reference data snapshot: reused while nothing changes, never stale after a change
(in this process or, through the version row, in another), never carrying rolled-back data."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from relais.tickets.choices import Level, Priority
from relais.tickets.config import desk_config
from relais.tickets.models import ConfigVersion, PriorityRule, SlaPolicy, TeamSettings
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db


def _matrix_cell(priority: Priority) -> None:
    rule = PriorityRule.objects.get(impact=Level.LOW, urgency=Level.MEDIUM)
    rule.priority = priority
    rule.save()


def test_snapshot_is_reused_for_one_query(django_assert_num_queries: Any) -> None:
    first = desk_config()
    with django_assert_num_queries(1):
        assert desk_config() is first


def test_a_change_applies_to_the_next_ticket(requester, vpn_category) -> None:  # type: ignore[no-untyped-def]
    assert open_ticket(requester, vpn_category).priority != Priority.P1
    _matrix_cell(Priority.P1)
    assert open_ticket(requester, vpn_category).priority == Priority.P1


def test_an_sla_policy_change_applies_to_the_next_ticket(requester, vpn_category) -> None:  # type: ignore[no-untyped-def]
    before = open_ticket(requester, vpn_category)
    policy = SlaPolicy.objects.get(priority=before.priority, category=None)
    policy.resolution_minutes += 60
    policy.save()
    after = open_ticket(requester, vpn_category)
    assert after.resolution_target == before.resolution_target + 60


def test_a_rolled_back_change_is_never_seen(requester, vpn_category) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction.atomic():
        _matrix_cell(Priority.P1)
        assert desk_config().priority(Level.LOW, Level.MEDIUM) == Priority.P1
        raise RuntimeError("the administrator's form failed later")
    assert desk_config().priority(Level.LOW, Level.MEDIUM) != Priority.P1
    assert open_ticket(requester, vpn_category).priority != Priority.P1


def test_a_change_committed_by_another_process_is_seen(requester, vpn_category) -> None:  # type: ignore[no-untyped-def]
    desk_config()  # this process holds a snapshot
    # Another process changes the matrix: the rows and the version row, no signal here.
    PriorityRule.objects.filter(impact=Level.LOW, urgency=Level.MEDIUM).update(priority="P1")
    ConfigVersion.objects.update_or_create(pk=1, defaults={"value": 424242})
    assert open_ticket(requester, vpn_category).priority == Priority.P1


def test_round_robin_turns_do_not_discard_the_snapshot(
    requester, vpn_category, vpn_team, team_agent
) -> None:  # type: ignore[no-untyped-def]
    TeamSettings.objects.create(team=vpn_team, round_robin=True)
    config = desk_config()
    assert open_ticket(requester, vpn_category).assignee == team_agent
    assert desk_config() is config


def test_leaving_a_team_closes_its_tickets_at_the_next_request(
    ticket, team_agent, vpn_team
) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client
    from django.urls import reverse

    page = reverse("tickets:detail", args=[ticket.reference])
    agent = Client()
    agent.force_login(team_agent)
    assert agent.get(page).status_code == 200
    assert ticket.reference in agent.get(reverse("tickets:queue") + "?queue=team").content.decode()
    vpn_team.members.remove(team_agent)
    assert agent.get(page).status_code == 404
    assert (
        ticket.reference not in agent.get(reverse("tickets:queue") + "?queue=all").content.decode()
    )
    vpn_team.members.add(team_agent)
    assert agent.get(page).status_code == 200


def test_a_renamed_team_and_category_show_in_lists(ticket, team_agent, vpn_team) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    agent = Client()
    agent.force_login(team_agent)
    agent.get("/api/v1/tickets?queue=team")  # the snapshot is taken
    vpn_team.name = "Réseau et accès distants"
    vpn_team.save()
    category = ticket.category
    category.name = "Accès distant"
    category.save()
    row = agent.get("/api/v1/tickets?queue=team").json()["items"][0]
    assert row["category_name"].endswith("Accès distant")
    assert "Réseau et accès distants" in agent.get("/guichet/?queue=team").content.decode()
