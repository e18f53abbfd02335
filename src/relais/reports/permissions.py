"""Who sees which report figures (one policy for every report page, export and API).

- Supervisors and administrators see every figure, with any filter.
- Agents see the ticket figures of their own teams only: the team filter is forced to their
  teams (an agent without a team sees empty ticket figures), on the pages, the exports, the
  API and nowhere else. The other dashboards (knowledge, peer help, service watch, assets)
  have no team dimension and are the same for the whole desk.
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
from relais.reports.models import ScheduledReport
from relais.tickets.permissions import sees_everything, team_ids


class ReportPolicy:
    """Reports are not rows: `can` answers for the pages, `team_scope` is their "scope"."""

    def can(self, user: Any, action: str = "view", dashboard: str | None = None) -> bool:
        if not is_active_user(user):
            return False
        return getattr(user, "role", "") in {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}

    def check(self, user: Any, action: str = "view") -> None:
        """Refuse with a 404: to a collaborator the reports do not exist."""
        if not self.can(user, action):
            raise Http404

    def team_scope(self, user: Any) -> frozenset[int] | None:
        """The teams whose ticket figures `user` may see; None means every ticket."""
        if sees_everything(user):
            return None
        if self.can(user):
            return team_ids(user)
        return frozenset()


reports = ReportPolicy()


scheduled_reports = AdminOnlyPolicy(ScheduledReport)
