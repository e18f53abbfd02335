"""Report figures, read from the other apps (reports never writes). One entry point,
`dashboard(key, viewer=…, period=…, filters=…)`, used by the pages, the exports, the API and
the scheduled e-mails, so that they all show the same figures."""

from __future__ import annotations

from typing import Any

from relais.reports.choices import DashboardKey
from relais.reports.filters import TicketFilters
from relais.reports.periods import Period
from relais.reports.selectors import activity, tickets
from relais.reports.selectors.base import Dashboard, Figure, Shared, Table

__all__ = ["Dashboard", "Figure", "Table", "dashboard", "dashboards"]

BUILDERS: dict[str, Any] = {
    DashboardKey.TICKETS: tickets.volumes,
    DashboardKey.SLA: tickets.service_levels,
    DashboardKey.SATISFACTION: tickets.satisfaction,
    DashboardKey.KNOWLEDGE: activity.knowledge,
    DashboardKey.COMMUNITY: activity.community,
    DashboardKey.WATCH: activity.watch,
    DashboardKey.PARK: activity.park,
}


def dashboard(
    key: str, *, period: Period, filters: TicketFilters, shared: Shared | None = None
) -> Dashboard:
    """The figures of one dashboard. `filters.teams` must already be the viewer's scope
    (`permissions.reports.team_scope`, applied by `ReportFilterForm.ticket_filters`)."""
    board: Dashboard = BUILDERS[key](period=period, filters=filters, shared=shared or Shared())
    board.key = key
    board.title = str(DashboardKey(key).label)
    return board


def dashboards(keys: list[str], *, period: Period, filters: TicketFilters) -> list[Dashboard]:
    """Several dashboards of one period and filters (the monthly report, the e-mails): what
    they read alike is read once."""
    shared = Shared()
    return [dashboard(k, period=period, filters=filters, shared=shared) for k in keys]
