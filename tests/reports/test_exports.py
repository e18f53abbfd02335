"""Table downloads: the page's figures, formulas neutralised in CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from relais.accounts.choices import Role
from relais.accounts.models import OrgUnit, Site, Team
from relais.assets.choices import CampaignState
from relais.assets.models import Campaign, CampaignTarget
from relais.community.models import Answer, Question
from relais.core.exports import FORMULA_START, neutralise
from relais.kb import services as kb_services
from relais.kb.models import Article, ArticleState
from relais.monitoring.choices import CheckKind
from relais.monitoring.models import Check, DailyRollup, Incident, Service
from relais.reports import selectors
from relais.reports.choices import DashboardKey
from relais.reports.filters import TicketFilters
from relais.reports.periods import Period
from relais.search import services as search_services
from relais.search.models import Deflection
from relais.tickets.models import Category
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.reports.conftest import Desk, at

pytestmark = pytest.mark.django_db
QUERY = "period=custom&start=2026-10-01&end=2026-10-31"


def test_csv_neutralises_formulas(october: Desk) -> None:
    response = client_for(october.supervisor).get(
        f"/rapports/satisfaction/export/comments.csv?{QUERY}"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="satisfaction-comments-2026-10-01-2026-10-31.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ";=HYPERLINK" not in text


def test_xlsx_neutralises_formulas_and_keeps_numbers(october: Desk) -> None:
    client = client_for(october.supervisor)
    response = client.get(f"/rapports/satisfaction/export/comments.xlsx?{QUERY}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    response = client.get(f"/rapports/tickets/export/channels.xlsx?{QUERY}")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == 6  # the number of portal tickets, stored as a number


def test_pages_bound_their_queries(october: Desk, django_assert_max_num_queries: object) -> None:
    client = client_for(october.supervisor)
    client.get("/rapports/tickets/")  # warm the session and the menus
    limits = {
        "tickets": 22,
        "sla": 16,
        "satisfaction": 15,
        "knowledge": 14,
        "community": 13,
        "watch": 13,
        "park": 18,
    }
    for key, limit in limits.items():
        with django_assert_max_num_queries(limit):  # type: ignore[operator]
            assert client.get(f"/rapports/{key}/?{QUERY}").status_code == 200
    with django_assert_max_num_queries(80):  # type: ignore[operator]
        assert client.get(f"/rapports/mensuel/?{QUERY}").status_code == 200


@pytest.fixture
def formulas(october: Desk) -> Desk:
    """Text that a spreadsheet would run, in every source a table shows: team, site, direction
    and category names, a rating comment (the scenario's), an article title, a search without
    results, a helper's name, a service and an incident, a campaign."""
    admin = UserFactory(role=Role.ADMIN)
    Team.objects.filter(pk=october.vpn.pk).update(name="=Réseau")
    Site.objects.filter(name="Lille").update(name="+Lille")
    OrgUnit.objects.filter(name="Direction de la proximité").update(name="-Proximité")
    Category.objects.filter(pk=october.vpn_category.parent_id).update(name="@Connexion")
    article = Article.objects.create(
        title="=cmd|' /C calc'!A0", body="…", owner=admin, state=ArticleState.PUBLISHED
    )
    with freeze_time(at("2026-10-12")):
        kb_services.article_viewed(article)
        kb_services.article_feedback(article=article, actor=october.requester, useful=True)
        search_services.zero_result_record("=1+1")
    Deflection.objects.create(
        query="=1+1", kind="article", object_id=article.pk, created_at=at("2026-10-12")
    )
    question = Question.objects.create(title="VPN ?", body="…", author=october.requester)
    Question.objects.filter(pk=question.pk).update(created_at=at("2026-10-13"))
    answer = Answer.objects.create(
        question=question, body="…", author=UserFactory(display_name="@Paul"), as_it=False
    )
    Answer.objects.filter(pk=answer.pk).update(created_at=at("2026-10-14"))
    service = Service.objects.create(name="=Service", position=1)
    check = Check.objects.create(
        service=service, name="vpn", kind=CheckKind.TCP, target="vpn.example.fr:443"
    )
    DailyRollup.objects.create(check_ref=check, day=date(2026, 10, 3), total=100, failures=2)
    Incident.objects.create(
        service=service,
        title="-Incident",
        started_at=at("2026-10-03", "08:00"),
        resolved_at=at("2026-10-03", "09:00"),
    )
    campaign = Campaign.objects.create(
        name="+Campagne", state=CampaignState.ACTIVE, created_by=admin, due_on=date(2026, 12, 1)
    )
    CampaignTarget.objects.create(campaign=campaign, person=october.requester)
    return october


def cell_text(value: Any) -> str:
    return neutralise("" if value is None else str(value))


def xlsx_value(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return cell_text(value) or None


def test_every_table_of_every_dashboard_downloads_with_formulas_neutralised(
    formulas: Desk,
) -> None:
    """Each table of each dashboard, in CSV and in XLSX, holds exactly the page's rows; no
    text cell starts a formula; numbers stay numbers in XLSX; and every dashboard has at
    least one neutralised cell (the fixture reaches them all)."""
    client = client_for(formulas.supervisor)
    period = Period(date(2026, 10, 1), date(2026, 10, 31))
    downloads = 0
    for key in DashboardKey.values:
        board = selectors.dashboard(key, period=period, filters=TicketFilters())
        neutralised = 0
        assert board.tables, key
        for table in board.tables:
            expected = [[cell_text(v) for v in row] for row in table.export_rows()]
            response = client.get(f"/rapports/{key}/export/{table.key}.csv?{QUERY}")
            assert response.status_code == 200, (key, table.key)
            text = b"".join(response.streaming_content).decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text), delimiter=";"))
            assert rows == expected, (key, table.key)
            assert not any(c.startswith(FORMULA_START) for row in rows for c in row)
            neutralised += sum(1 for row in rows for c in row if c.startswith("'"))

            response = client.get(f"/rapports/{key}/export/{table.key}.xlsx?{QUERY}")
            assert response.status_code == 200, (key, table.key)
            sheet = load_workbook(io.BytesIO(response.content)).active
            cells = [[None if c == "" else c for c in r] for r in sheet.iter_rows(values_only=True)]
            assert cells == [[xlsx_value(v) for v in row] for row in table.export_rows()], (
                key,
                table.key,
            )
            assert not any(
                isinstance(c, str) and c.startswith(FORMULA_START) for r in cells for c in r
            )
            downloads += 2
        assert neutralised, key
    assert downloads == 2 * sum(
        len(selectors.dashboard(k, period=period, filters=TicketFilters()).tables)
        for k in DashboardKey.values
    )


def test_csv_keeps_negative_numbers_as_numbers_and_neutralises_text() -> None:
    from decimal import Decimal

    from relais.core.exports import rows_to_csv

    text = "".join(rows_to_csv([["trend", -3, -1.5, Decimal("-2.25"), "-3+cmd|' /C calc'!A0"]]))
    assert text == "\ufefftrend;-3;-1.5;-2.25;'-3+cmd|' /C calc'!A0\r\n"
