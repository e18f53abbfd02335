"""Every ticket figure is asserted against a computation from the raw rows (tickets and
ratings, not the facts), on the October scenario: tickets spanning the period's start and end,
a paused SLA, a reopened ticket, breaches and another team's tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relais.reports import selectors
from relais.reports.filters import TicketFilters
from relais.tickets.choices import OPEN_STATUSES, Channel, Priority
from relais.tickets.models import Satisfaction, Ticket
from tests.reports.conftest import OCTOBER, Desk, hours, nearest_rank, within

pytestmark = pytest.mark.django_db


def raw(teams: set[int] | None = None) -> list[Ticket]:
    tickets = list(Ticket.objects.all())
    return [t for t in tickets if teams is None or t.team_id in teams]


def test_volumes_match_the_raw_tickets(october: Desk) -> None:
    board = selectors.dashboard("tickets", period=OCTOBER, filters=TicketFilters())
    tickets = raw()
    created = [t for t in tickets if within(t.created_at)]
    resolved = [t for t in tickets if within(t.resolved_at)]

    assert board.figure("created") == len(created) == 6  # not the September nor November ones
    assert board.figure("resolved") == len(resolved) == 4  # spans_start, paused, reopened, late
    assert board.figure("reopened") == sum(1 for t in resolved if t.reopen_count) == 1
    assert board.figure("backlog") == sum(1 for t in tickets if t.status in OPEN_STATUSES) == 3

    flow = board.table("created_resolved")
    assert flow is not None
    per_day = {row[0]: (row[1], row[2]) for row in flow.rows}
    assert len(per_day) == 31
    for day, (n_created, n_resolved) in per_day.items():
        assert n_created == sum(1 for t in created if timezone.localdate(t.created_at) == day)
        assert n_resolved == sum(1 for t in resolved if timezone.localdate(t.resolved_at) == day)
    # The ticket opened at 23:30 on the 31st (local time) counts on the 31st.
    assert per_day[OCTOBER.end][0] == 1

    channels = {row[0]: row[1] for row in board.table("channels").rows}  # type: ignore[union-attr]
    assert channels[str(Channel.PORTAL.label)] == len(created)

    categories = {row[0]: row[1] for row in board.table("top_categories").rows}  # type: ignore[union-attr]
    assert categories == {
        str(october.vpn_category): sum(
            1 for t in created if t.category_id == october.vpn_category.pk
        ),
        str(october.apps_category): 1,
    }
    sites = {row[0]: row[1] for row in board.table("sites").rows}  # type: ignore[union-attr]
    assert sites == {"Lille": 5, "Roubaix": 1}
    directions = {row[0]: row[1] for row in board.table("directions").rows}  # type: ignore[union-attr]
    # The requester's agency is counted under its direction.
    assert directions["Direction de la proximité"] == 5


def test_service_levels_match_the_raw_tickets(october: Desk) -> None:
    board = selectors.dashboard("sla", period=OCTOBER, filters=TicketFilters())
    tickets = raw()
    answered = [t for t in tickets if within(t.first_responded_at) and t.first_response_target]
    resolved = [t for t in tickets if within(t.resolved_at) and t.resolution_target]
    fr_met = sum(1 for t in answered if not t.first_response_breached)
    res_met = sum(1 for t in resolved if not t.resolution_breached)
    assert board.figure("first_response_compliance") == round(100 * fr_met / len(answered), 1)
    assert board.figure("resolution_compliance") == round(100 * res_met / len(resolved), 1)
    assert any(t.resolution_breached for t in resolved)  # the late P1

    fr_times = [
        (t.first_responded_at - t.created_at).total_seconds()
        for t in tickets
        if within(t.first_responded_at)
    ]
    res_times = [
        (t.resolved_at - t.created_at).total_seconds() for t in tickets if within(t.resolved_at)
    ]
    assert board.figure("first_response_median") == hours(nearest_rank(fr_times, 0.5))
    assert board.figure("first_response_p90") == hours(nearest_rank(fr_times, 0.9))
    assert board.figure("resolution_median") == hours(nearest_rank(res_times, 0.5))
    assert board.figure("resolution_p90") == hours(nearest_rank(res_times, 0.9))

    by_priority = {row[0]: row[1:] for row in board.table("resolution_by_priority").rows}  # type: ignore[union-attr]
    for priority in Priority:
        rows = [t for t in resolved if t.priority == priority]
        if rows:
            late = sum(1 for t in rows if t.resolution_breached)
            assert by_priority[str(priority.label)][:3] == [len(rows), len(rows) - late, late]


def test_satisfaction_matches_the_raw_ratings(october: Desk) -> None:
    board = selectors.dashboard("satisfaction", period=OCTOBER, filters=TicketFilters())
    ratings = [s for s in Satisfaction.objects.all() if within(s.created_at)]
    assert board.figure("ratings") == len(ratings) == 2
    assert board.figure("average") == round(sum(s.rating for s in ratings) / len(ratings), 2) == 3.5
    comments = board.table("comments")
    assert comments is not None
    assert [row[3] for row in comments.rows] == ["Trop long.", '=HYPERLINK("http://evil.example")']


def test_an_agent_sees_only_their_teams_figures(october: Desk) -> None:
    teams = frozenset({october.apps.pk})
    board = selectors.dashboard("tickets", period=OCTOBER, filters=TicketFilters(teams=teams))
    created = [t for t in raw({october.apps.pk}) if within(t.created_at)]
    assert board.figure("created") == len(created) == 1
    empty = selectors.dashboard("tickets", period=OCTOBER, filters=TicketFilters(teams=frozenset()))
    assert (empty.figure("created"), empty.figure("backlog")) == (0, 0)


def test_filters_narrow_the_figures(october: Desk) -> None:
    lille = october.requester.site_id
    board = selectors.dashboard("tickets", period=OCTOBER, filters=TicketFilters(site=lille))
    assert board.figure("created") == sum(
        1 for t in raw() if within(t.created_at) and t.requester.site_id == lille
    )
    p1 = selectors.dashboard("tickets", period=OCTOBER, filters=TicketFilters(priority=Priority.P1))
    assert p1.figure("created") == 1
    direction = october.requester.org_unit.parent_id
    by_direction = selectors.dashboard(
        "tickets", period=OCTOBER, filters=TicketFilters(direction=direction)
    )
    assert by_direction.figure("created") == 5
    by_root = selectors.dashboard(
        "tickets", period=OCTOBER, filters=TicketFilters(category=october.vpn_category.parent_id)
    )
    assert by_root.figure("created") == 5


def test_a_quarter_is_drawn_by_week(october: Desk) -> None:
    from datetime import date

    from relais.reports.periods import Period

    quarter = Period(date(2026, 10, 1), date(2026, 12, 31))
    board = selectors.dashboard("tickets", period=quarter, filters=TicketFilters())
    flow = board.table("created_resolved")
    assert flow is not None
    assert all(row[0].weekday() == 0 for row in flow.rows)
    assert sum(row[1] for row in flow.rows) == sum(
        1 for t in raw() if t.created_at >= quarter.since
    )
    assert flow.rows[0][0] == date(2026, 10, 1) - timedelta(days=3)


def test_the_monthly_reports_shared_reads_give_each_dashboards_own_figures(october: Desk) -> None:
    """`selectors.dashboards` reads what the dashboards share once (trees, the period's
    resolved tickets); the figures are exactly those of each dashboard built alone, for every
    viewer's filters."""
    from relais.reports.choices import DashboardKey

    keys = list(DashboardKey.values)
    for filters in (TicketFilters(), TicketFilters(teams=frozenset({october.vpn.pk}))):
        shared = selectors.dashboards(keys, period=OCTOBER, filters=filters)
        alone = [selectors.dashboard(k, period=OCTOBER, filters=filters) for k in keys]
        assert [b.as_dict() for b in shared] == [b.as_dict() for b in alone]
    # And the shared reads follow the filters: the VPN team's tickets resolved in October.
    vpn_only = selectors.dashboards(
        ["tickets", "sla"], period=OCTOBER, filters=TicketFilters(teams=frozenset({october.vpn.pk}))
    )
    resolved = [
        t
        for t in Ticket.objects.filter(team=october.vpn, resolved_at__isnull=False)
        if OCTOBER.since <= t.resolved_at < OCTOBER.until  # type: ignore[operator]
    ]
    assert vpn_only[0].figure("resolved") == len(resolved) == 4
