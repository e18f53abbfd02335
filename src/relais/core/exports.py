"""Tables out as CSV (French Excel) and XLSX, with spreadsheet formulas neutralised.

Shared by the asset park's export and the reports' downloads. A text cell that a spreadsheet
would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading
apostrophe, in both formats (SECURITY.md, CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    # A number is written as it is ("-3" is a number, not a formula); any text that starts
    # like a formula is neutralised.
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return str(neutralise(str(value)))


def rows_to_csv(rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV for French Excel: semicolons, UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def _xlsx_cell(value: Any) -> Any:
    # Numbers stay numbers (they cannot be formulas); everything else is stored as text,
    # because openpyxl would store a leading "=" as a formula.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return neutralise("" if value is None else str(value))


def rows_to_xlsx(rows: Iterable[list[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_response(rows: Iterable[list[Any]], *, fmt: str, filename: str, title: str) -> Any:
    """A download of `rows` as `filename`.csv (streamed) or `filename`.xlsx (sheet `title`)."""
    from django.http import HttpResponse, StreamingHttpResponse

    if fmt == "xlsx":
        response: Any = HttpResponse(
            rows_to_xlsx(rows, title=title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(rows_to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
