"""The shapes every dashboard returns, and the statistics they share."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet

from relais.core.charts import Chart


@dataclass
class Figure:
    key: str
    label: str
    value: Any
    unit: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: str = ""

    def export_rows(self) -> list[list[Any]]:
        return [list(self.columns), *self.rows]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": self.columns,
            "rows": [[_plain(v) for v in row] for row in self.rows],
            "note": self.note,
        }


@dataclass
class Dashboard:
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    key: str = ""
    title: str = ""

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def figure(self, key: str) -> Any:
        return next(f.value for f in self.figures if f.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dashboard": self.key,
            "title": self.title,
            "figures": [
                {"key": f.key, "label": f.label, "value": _plain(f.value), "unit": f.unit}
                for f in self.figures
            ],
            "tables": [t.as_dict() for t in self.tables],
        }


class Shared:
    """What several dashboards of one request read alike, computed once on first use: the
    monthly report and the scheduled e-mails build every dashboard for one period and one set
    of filters, and the ticket dashboards share the category and org-unit trees and the
    period's resolved tickets (volumes per day, service levels per priority, team and
    category). One `Shared` serves one period and one set of filters only."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at
    or below it (PostgreSQL's percentile_disc). None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def grouped_counts(
    qs: QuerySet[Any], sets: dict[str, tuple[str, ...]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Row counts of `qs` grouped by each set of columns (fields or annotations of `qs`):
    `{key: [(*values, n), …]}`. On PostgreSQL one scan answers every set (GROUPING SETS over
    the queryset as a subquery); elsewhere one query per set."""
    if not on_postgres():
        return {
            key: [tuple(row) for row in qs.values_list(*cols).annotate(n=Count("*")).order_by()]
            for key, cols in sets.items()
        }
    names = sorted({c for cols in sets.values() for c in cols})
    try:
        inner, params = qs.values(*names).order_by().query.sql_with_params()
    except EmptyResultSet:  # e.g. an agent without a team: nothing to count
        return {key: [] for key in sets}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(n) for n in names)
    groups = ", ".join("(" + ", ".join(quote(c) for c in cols) + ")" for cols in sets.values())
    # Column names are constants of the calling code; the inner query is Django's, with its
    # parameters passed separately.
    sql = (
        f"SELECT {columns}, GROUPING({columns}), COUNT(*) "  # noqa: S608
        f"FROM ({inner}) AS f GROUP BY GROUPING SETS ({groups})"
    )
    masks = {
        sum(1 << (len(names) - 1 - i) for i, n in enumerate(names) if n not in cols): key
        for key, cols in sets.items()
    }
    out: dict[str, list[tuple[Any, ...]]] = {key: [] for key in sets}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # static-ban: allow (see above)
        for *values, mask, n in cursor.fetchall():
            key = masks[mask]
            row = dict(zip(names, values, strict=True))
            out[key].append((*(row[c] for c in sets[key]), n))
    return out


def percentiles_by(
    qs: QuerySet[Any], group: str, field: str, fractions: tuple[float, ...]
) -> tuple[dict[Any, tuple[Any, ...]], tuple[Any, ...]]:
    """Nearest-rank percentiles of `field` per value of `group` and over all rows:
    `({group value: (p, …)}, (p, …))`. On PostgreSQL one scan (`percentile_disc` over
    GROUPING SETS ((group), ())); elsewhere the values are read and ranked in Python."""
    nothing = tuple(None for _f in fractions)
    if not on_postgres():
        values: dict[Any, list[Any]] = {}
        for key, value in qs.values_list(group, field).order_by():
            values.setdefault(key, []).append(value)
        everything = [v for vs in values.values() for v in vs]
        return (
            {k: tuple(percentile(vs, f) for f in fractions) for k, vs in values.items()},
            tuple(percentile(everything, f) for f in fractions),
        )
    try:
        inner, params = qs.values(group, field).order_by().query.sql_with_params()
    except EmptyResultSet:
        return {}, nothing
    quote = connection.ops.quote_name
    g, f = quote(group), quote(field)
    measures = ", ".join(
        f"percentile_disc({float(fraction)}) WITHIN GROUP (ORDER BY {f})" for fraction in fractions
    )
    # Column names and fractions are constants of the calling code; the inner query is
    # Django's, with its parameters passed separately.
    sql = (
        f"SELECT {g}, GROUPING({g}), {measures} "  # noqa: S608
        f"FROM ({inner}) AS p GROUP BY GROUPING SETS (({g}), ())"
    )
    per: dict[Any, tuple[Any, ...]] = {}
    overall = nothing
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # static-ban: allow (see above)
        for key, grouping, *found in cursor.fetchall():
            if grouping:
                overall = tuple(found)
            else:
                per[key] = tuple(found)
    return per, overall
