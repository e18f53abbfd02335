"""Read-only report API: the same figures as the pages, as JSON."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from relais.accounts.selectors import current_user
from relais.core.api import ApiError
from relais.reports import selectors
from relais.reports.choices import DashboardKey
from relais.reports.filters import ALLOWED_PARAMETERS, ReportFilterForm
from relais.reports.permissions import reports

router = Router(tags=["reports"])


@router.get("/reports", response=list[dict[str, str]])
def report_list(request: HttpRequest) -> list[dict[str, str]]:
    user = current_user(request)
    reports.check(user)
    return [{"key": k, "title": str(DashboardKey(k).label)} for k in reports.dashboards(user)]


@router.get(
    "/reports/{key}",
    response=dict[str, Any],
    # The filters are read by the same form as the pages; declared here so that the schema
    # (and the API's refusal of undeclared parameters, core.api) knows them.
    openapi_extra={
        "parameters": [
            {"in": "query", "name": name, "required": False, "schema": {"type": "string"}}
            for name in sorted(ALLOWED_PARAMETERS)
        ]
    },
)
def report_detail(request: HttpRequest, key: str) -> dict[str, Any]:
    """Query parameters: period (week, month, quarter, previous_month, custom), start and end
    (YYYY-MM-DD, for custom), team, category, priority, direction, site."""
    user = current_user(request)
    if key not in DashboardKey.values:
        raise Http404
    reports.check(user, "view", key)
    form = ReportFilterForm(request.GET, team_scope=reports.team_scope(user))
    if not form.is_valid():
        raise ApiError(400, form.error_text(), "invalid")
    period = form.chosen_period()
    filters = form.ticket_filters()
    board = selectors.dashboard(key, period=period, filters=filters)
    return {
        **board.as_dict(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "filters": filters.as_dict(),
    }
