"""Table downloads: the page's figures, formulas neutralised in CSV and XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import client_for
from tests.reports.conftest import Desk

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
