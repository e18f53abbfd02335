"""The report pages themselves: the period selector's periods, every chart with its text
alternative and its data table, and the printable monthly report with every dashboard the
reader may see, with the same figures as the dashboards."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.utils.formats import number_format

from relais.reports import selectors
from relais.reports.choices import DashboardKey, PeriodKind
from relais.reports.filters import TicketFilters
from relais.reports.periods import Period, last_month, last_week, period_for
from tests.conftest import client_for
from tests.reports.conftest import OCTOBER, Desk

pytestmark = pytest.mark.django_db
QUERY = "period=custom&start=2026-10-01&end=2026-10-31"


def test_the_period_selectors_periods() -> None:
    thursday = date(2026, 11, 26)
    assert period_for(PeriodKind.WEEK, thursday) == Period(
        date(2026, 11, 23), thursday, PeriodKind.WEEK
    )
    assert period_for(PeriodKind.MONTH, thursday) == Period(
        date(2026, 11, 1), thursday, PeriodKind.MONTH
    )
    assert period_for(PeriodKind.QUARTER, thursday) == Period(
        date(2026, 10, 1), thursday, PeriodKind.QUARTER
    )
    assert period_for(PeriodKind.PREVIOUS_MONTH, date(2026, 3, 1)) == Period(
        date(2026, 2, 1), date(2026, 2, 28), PeriodKind.PREVIOUS_MONTH
    )
    # The scheduled reports: the Monday–Sunday week before, the month before.
    assert (last_week(thursday).start, last_week(thursday).end) == (
        date(2026, 11, 16),
        date(2026, 11, 22),
    )
    assert (last_month(date(2027, 1, 1)).start, last_month(date(2027, 1, 1)).end) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert OCTOBER.previous() == Period(date(2026, 8, 31), date(2026, 9, 30))


SECTION = re.compile(r'<section class="panel report-table".*?</section>', re.S)


def test_every_chart_has_a_text_alternative_and_its_data_table(october: Desk) -> None:
    client = client_for(october.supervisor)
    charts = 0
    for key in DashboardKey.values:
        html = client.get(f"/rapports/{key}/?{QUERY}").content.decode()
        board = selectors.dashboard(key, period=OCTOBER, filters=TicketFilters())
        sections = SECTION.findall(html)
        assert len(sections) == len(board.tables), key
        for section, table in zip(sections, board.tables, strict=True):
            assert "<table" in section, (key, table.key)  # every table is shown as data
            if table.chart is None:
                assert "<svg" not in section
                continue
            charts += 1
            svg = re.search(r'<svg class="chart__svg[^"]*"[^>]*role="img"[^>]*>', section)
            assert svg, (key, table.key)
            title = re.search(r'<title id="[^"]+-t">([^<]+)</title>', section)
            desc = re.search(r'<desc id="[^"]+-d">([^<]+)</desc>', section)
            assert title and desc and title.group(1).strip() and desc.group(1).strip()
            assert section.index("<svg") < section.index("<table")
    assert charts >= 12


def test_the_monthly_report_prints_every_dashboard_with_its_figures(october: Desk) -> None:
    html = client_for(october.supervisor).get(f"/rapports/mensuel/?{QUERY}").content.decode()
    parts = re.findall(r'<article class="report-part" aria-labelledby="part-([a-z]+)">', html)
    assert parts == list(DashboardKey.values)
    assert 'href="/static/reports/reports.css"' in html or "reports/reports.css" in html
    tickets = selectors.dashboard("tickets", period=OCTOBER, filters=TicketFilters())
    assert f"<dd>{tickets.figure('created')}</dd>" in html
    sla = selectors.dashboard("sla", period=OCTOBER, filters=TicketFilters())
    value = sla.figure("resolution_compliance")
    assert f"<dd>{number_format(value)} %</dd>" in html

    # An agent's monthly report: their team's ticket figures only.
    agent_html = client_for(october.apps_agent).get(f"/rapports/mensuel/?{QUERY}").content.decode()
    mine = selectors.dashboard(
        "tickets", period=OCTOBER, filters=TicketFilters(teams=frozenset({october.apps.pk}))
    )
    opened = re.search(r'id="part-tickets".*?<dd>(\d+)</dd>', agent_html, re.S)
    assert opened and int(opened.group(1)) == mine.figure("created") == 1

    # The print stylesheet leaves out the menus, the filters and the download links.
    css = Path(__file__).parents[2] / "src/relais/reports/static/reports/reports.css"
    print_rules = css.read_text().split("@media print", 1)[1]
    assert ".no-print" in print_rules and "nav" in print_rules
