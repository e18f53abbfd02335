"""Who sees which report figures (one policy for every report page, export and API).

- Supervisors and administrators see every figure, with any filter.
- Agents see the ticket figures of their own teams only: the team filter is forced to their
  teams (an agent without a team sees empty ticket figures), on the pages, the exports, the
  API and nowhere else.
- The other dashboards (knowledge, peer help, service watch, assets) have no team dimension:
  they are shown whole, to whoever may read their source in the app itself (decision 0020).
  Their figures count rows the reader can already list there (every article and the
  searches without results, the questions and the leaderboard, the services and incidents,
  the campaigns and the readiness dashboard), so they reveal nothing more; should an app's
  policy one day refuse its rows to agents, its dashboard disappears for them with it.
- Collaborators, anonymous and inactive users get a 404 on every report page and endpoint.
- Scheduled e-mail reports are managed by administrators in Django's admin; their figures are
  computed with a supervisor's view (everything), since their recipients were chosen by an
  administrator.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from relais.accounts.choices import Role
from relais.core.permissions import AdminOnlyPolicy, is_active_user
from relais.reports.choices import TICKET_DASHBOARDS, DashboardKey
from relais.reports.models import ScheduledReport
from relais.tickets.permissions import is_desk, sees_everything, team_ids


def reads_source(user: Any, dashboard: str) -> bool:
    """May `user` read, in its own app, the rows a dashboard without teams counts?"""
    from relais.assets.permissions import campaigns, readiness_allowed
    from relais.community.permissions import community_policy
    from relais.monitoring.permissions import incident_policy, service_policy

    if dashboard == DashboardKey.KNOWLEDGE:
        return is_desk(user)  # desk-only articles and the searches-without-results page
    if dashboard == DashboardKey.COMMUNITY:
        return community_policy.can(user, "list")
    if dashboard == DashboardKey.WATCH:
        return service_policy.can(user, "view") and incident_policy.can(user, "view")
    if dashboard == DashboardKey.PARK:
        return readiness_allowed(user) and campaigns.can(user, "list")
    return False


class ReportPolicy:
    """Reports are not rows: `can` answers for the pages, `team_scope` is their "scope"."""

    def can(self, user: Any, action: str = "view", dashboard: str | None = None) -> bool:
        """The reports at all (`dashboard` None), or one dashboard."""
        if not is_active_user(user):
            return False
        if getattr(user, "role", "") not in {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}:
            return False
        return dashboard is None or dashboard in TICKET_DASHBOARDS or reads_source(user, dashboard)

    def check(self, user: Any, action: str = "view", dashboard: str | None = None) -> None:
        """Refuse with a 404: to a collaborator the reports do not exist."""
        if not self.can(user, action, dashboard):
            raise Http404

    def dashboards(self, user: Any) -> list[str]:
        """The dashboards `user` may open, in menu order."""
        return [k for k in DashboardKey.values if self.can(user, "view", k)]

    def team_scope(self, user: Any) -> frozenset[int] | None:
        """The teams whose ticket figures `user` may see; None means every ticket."""
        if sees_everything(user):
            return None
        if self.can(user):
            return team_ids(user)
        return frozenset()


reports = ReportPolicy()


scheduled_reports = AdminOnlyPolicy(ScheduledReport)
