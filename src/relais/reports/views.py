"""Report pages, table downloads and the printable monthly report. Thin: the policy, the
filter form, one selector call, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from relais.accounts.selectors import current_user
from relais.core.exports import export_response
from relais.reports import selectors
from relais.reports.choices import TICKET_DASHBOARDS, DashboardKey, PeriodKind
from relais.reports.filters import ReportFilterForm
from relais.reports.periods import Period, period_for
from relais.reports.permissions import reports

MONTHLY_DASHBOARDS = [
    DashboardKey.TICKETS,
    DashboardKey.SLA,
    DashboardKey.SATISFACTION,
    DashboardKey.KNOWLEDGE,
    DashboardKey.COMMUNITY,
    DashboardKey.WATCH,
    DashboardKey.PARK,
]


def _form(request: HttpRequest, key: str | None = None) -> ReportFilterForm:
    user = current_user(request)
    reports.check(user, "view", key)
    return ReportFilterForm(request.GET, team_scope=reports.team_scope(user))


def _nav(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {"key": k, "label": str(DashboardKey(k).label)}
        for k in reports.dashboards(current_user(request))
    ]


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponseBase:
    return dashboard(request, DashboardKey.TICKETS)


@login_required
@require_GET
def dashboard(request: HttpRequest, key: str) -> HttpResponseBase:
    if key not in DashboardKey.values:
        raise Http404
    form = _form(request, key)
    status = 200
    board = None
    period: Period | None = None
    if form.is_valid():
        period = form.chosen_period()
        board = selectors.dashboard(key, period=period, filters=form.ticket_filters())
    else:
        status = 400
    query = urlencode({k: v for k, v in request.GET.items() if k in form.fields})
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "board": board,
            "period": period,
            "key": key,
            "nav": _nav(request),
            "query": query,
            "ticket_filters": key in TICKET_DASHBOARDS,
        },
        status=status,
    )


@login_required
@require_GET
def export(request: HttpRequest, key: str, table: str, fmt: str) -> HttpResponseBase:
    if key not in DashboardKey.values or fmt not in {"csv", "xlsx"}:
        raise Http404
    form = _form(request, key)
    if not form.is_valid():
        return HttpResponse(form.error_text(), status=400, content_type="text/plain; charset=utf-8")
    period = form.chosen_period()
    board = selectors.dashboard(key, period=period, filters=form.ticket_filters())
    found = board.table(table)
    if found is None:
        raise Http404
    name = f"{key}-{table}-{period.start.isoformat()}-{period.end.isoformat()}"
    return export_response(found.export_rows(), fmt=fmt, filename=name, title=found.key)


@login_required
@require_GET
def monthly(request: HttpRequest) -> HttpResponseBase:
    """The printable monthly report: every dashboard for last month (or the chosen period),
    laid out for paper by the print stylesheet."""
    form = _form(request)
    if not request.GET:
        form = ReportFilterForm({"period": PeriodKind.PREVIOUS_MONTH}, team_scope=form.team_scope)
    if not form.is_valid():
        return render(
            request,
            "reports/monthly.html",
            {"form": form, "boards": [], "nav": _nav(request)},
            status=400,
        )
    period = form.chosen_period()
    filters = form.ticket_filters()
    visible = reports.dashboards(current_user(request))
    boards = selectors.dashboards(
        [k for k in MONTHLY_DASHBOARDS if k in visible], period=period, filters=filters
    )
    return render(
        request,
        "reports/monthly.html",
        {
            "form": form,
            "boards": boards,
            "period": period,
            "nav": _nav(request),
            "title": _("Monthly report"),
            "previous_month": period_for(PeriodKind.PREVIOUS_MONTH),
        },
    )
