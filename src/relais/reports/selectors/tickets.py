"""Ticket figures, from `tickets.TicketFact` (one narrow row per ticket, kept exact by the
ticket services; see docs/architecture.md § Reports for the definitions)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from relais.accounts.models import OrgUnit, Site, Team
from relais.core import charts
from relais.reports.filters import TicketFilters
from relais.reports.periods import Period
from relais.reports.selectors.base import (
    Dashboard,
    Figure,
    Shared,
    Table,
    grouped_counts,
    hours,
    percentiles_by,
    share,
)
from relais.tickets.choices import OPEN_STATUSES, Channel, Priority
from relais.tickets.models import Category, Satisfaction, TicketFact

AGE_BUCKETS = ((1, "< 1 j"), (3, "1–3 j"), (7, "3–7 j"), (30, "7–30 j"), (None, "> 30 j"))
TOP = 10


class Tree:
    """A parent map (categories, org units) read once: descendants for filters, roots for
    grouping."""

    def __init__(self, rows: list[tuple[int, int | None, str]]) -> None:
        self.parent = {pk: parent for pk, parent, _name in rows}
        self.name = {pk: name for pk, _parent, name in rows}

    def root(self, pk: int | None) -> int | None:
        seen = 0
        while pk is not None and self.parent.get(pk) is not None and seen < 20:
            pk = self.parent[pk]
            seen += 1
        return pk

    def subtree(self, pk: int) -> set[int]:
        found = {pk}
        changed = True
        while changed:
            changed = False
            for child, parent in self.parent.items():
                if parent in found and child not in found:
                    found.add(child)
                    changed = True
        return found

    def label(self, pk: int | None) -> str:
        if pk is None:
            return "—"
        parent = self.parent.get(pk)
        if parent is not None:
            return f"{self.name.get(parent, '?')} › {self.name.get(pk, '?')}"
        return self.name.get(pk, "?")


def categories() -> Tree:
    return Tree(list(Category.objects.values_list("pk", "parent_id", "name")))


def org_units() -> Tree:
    return Tree(list(OrgUnit.objects.values_list("pk", "parent_id", "name")))


def facts(
    filters: TicketFilters, cats: Tree | None = None, units: Tree | None = None
) -> QuerySet[TicketFact]:
    """Fact rows within the viewer's teams and the chosen filters."""
    qs = TicketFact.objects.all()
    if filters.teams is not None:
        qs = qs.filter(team_id__in=sorted(filters.teams)) if filters.teams else qs.none()
    if filters.category is not None:
        tree = cats or categories()
        qs = qs.filter(category_id__in=sorted(tree.subtree(filters.category)))
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.direction is not None:
        tree = units or org_units()
        qs = qs.filter(org_unit_id__in=sorted(tree.subtree(filters.direction)))
    if filters.site is not None:
        qs = qs.filter(site_id=filters.site)
    return qs.order_by()


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.since, f"{field}__lt": period.until})


def trees(shared: Shared) -> tuple[Tree, Tree]:
    """The category and org-unit trees, read once per request."""
    return shared.get("categories", categories), shared.get("org_units", org_units)


def resolved_counts(
    qs: QuerySet[TicketFact], period: Period, shared: Shared
) -> dict[str, list[tuple[Any, ...]]]:
    """The period's resolved tickets counted once for two dashboards: per day and whether
    reopened (activity), and per priority, team, category and SLA outcome (service levels).
    One scan on PostgreSQL (GROUPING SETS)."""
    return shared.get(
        "resolved",
        lambda: grouped_counts(
            qs.filter(_within("resolved_at", period)).annotate(
                day=TruncDate("resolved_at"),
                reopened=ExpressionWrapper(Q(reopen_count__gt=0), output_field=BooleanField()),
            ),
            {
                "day": ("day", "reopened"),
                "sla": ("priority", "team_id", "category_id", "has_sla", "resolution_breached"),
            },
        ),
    )


def _bucket_label(day: date, period: Period) -> str:
    return date_format(day, "d/m")


def volumes(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    cats, units = trees(shared)
    qs = facts(filters, cats, units)
    # The period's openings are read once for days and channels, and for directions, sites
    # and categories (people of an org unit work on few sites and ask about few categories).
    opened = grouped_counts(
        qs.filter(_within("created_at", period)).annotate(day=TruncDate("created_at")),
        {
            "day": ("day", "channel"),
            "place": ("org_unit_id", "site_id", "category_id"),
        },
    )
    created: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    channel_counts: Counter[str] = Counter()
    for day, channel, n in opened["day"]:
        created[period.bucket_of(day)]["n"] += n
        channel_counts[channel] += n
    resolved: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, reopened, n in resolved_counts(qs, period, shared)["day"]:
        bucket = resolved[period.bucket_of(day)]
        bucket["n"] += n
        if reopened:
            bucket["reopened"] += n
    buckets = period.buckets()
    labels = [_bucket_label(b, period) for b in buckets]
    created_n = [created.get(b, {}).get("n", 0) for b in buckets]
    resolved_n = [resolved.get(b, {}).get("n", 0) for b in buckets]
    reopened_n = [resolved.get(b, {}).get("reopened", 0) for b in buckets]
    unit = _("week of") if period.by_week else _("day")
    flow = Table(
        "created_resolved",
        _("Tickets created and resolved"),
        [
            _("Week of") if period.by_week else _("Day"),
            _("Opened"),
            _("Resolved"),
            _("Resolved after a reopening"),
        ],
        [
            [b, c, r, o]
            for b, c, r, o in zip(buckets, created_n, resolved_n, reopened_n, strict=True)
        ],
        chart=charts.line(
            title=_("Tickets created and resolved per %(unit)s") % {"unit": unit},
            description=_(
                "%(created)s tickets created and %(resolved)s resolved from %(start)s to %(end)s."
            )
            % {
                "created": sum(created_n),
                "resolved": sum(resolved_n),
                "start": date_format(period.start, "SHORT_DATE_FORMAT"),
                "end": date_format(period.end, "SHORT_DATE_FORMAT"),
            },
            labels=labels,
            series=[(_("Opened"), created_n), (_("Resolved"), resolved_n)],
        ),
    )

    # Backlog: the tickets open now, by priority and age (not limited to the period).
    # Counts name a column of the index (`created_at`, or `*`), never the primary key, which
    # no fact index carries: COUNT(ticket_id) turns an index-only scan into a heap scan
    # (measured at 1,000,000 tickets: 305 ms instead of 24 ms for a quarter's categories).
    now = timezone.now()
    age_counts: dict[str, Any] = {}
    previous = now
    for index, (days, _label) in enumerate(AGE_BUCKETS):
        if days is None:
            age_counts[f"age{index}"] = Count("created_at", filter=Q(created_at__lt=previous))
        else:
            limit = now - timedelta(days=days)
            age_counts[f"age{index}"] = Count(
                "created_at", filter=Q(created_at__lt=previous, created_at__gte=limit)
            )
            previous = limit
    backlog_rows = {
        row["priority"]: row
        for row in qs.filter(status__in=sorted(OPEN_STATUSES))
        .values("priority")
        .annotate(**age_counts)
    }
    backlog = []
    for priority in Priority:
        row = backlog_rows.get(priority.value, {})
        counts = [row.get(f"age{i}", 0) for i in range(len(AGE_BUCKETS))]
        backlog.append([str(priority.label), *counts, sum(counts)])
    age_totals = [sum(r[i + 1] for r in backlog) for i in range(len(AGE_BUCKETS))]
    backlog_total = sum(age_totals)
    backlog_table = Table(
        "backlog",
        _("Open tickets now, by priority and age"),
        [_("Priority"), *[label for _d, label in AGE_BUCKETS], _("Total")],
        backlog,
        chart=charts.stacked_bar(
            title=_("Open tickets by age"),
            description=_("%(total)s tickets open now.") % {"total": backlog_total},
            labels=[label for _d, label in AGE_BUCKETS],
            series=[(r[0], r[1 : 1 + len(AGE_BUCKETS)]) for r in backlog],
        ),
        note=_("The backlog is the situation now, whatever the period."),
    )

    channels = Table(
        "channels",
        _("Channel mix"),
        [_("Channel"), _("Tickets"), _("Share (%)")],
        [
            [
                str(c.label),
                channel_counts.get(c.value, 0),
                share(channel_counts.get(c.value, 0), sum(channel_counts.values())),
            ]
            for c in Channel
        ],
    )
    channels.chart = charts.bar(
        title=_("Tickets by channel"),
        description=_("Where the tickets of the period came from."),
        labels=[r[0] for r in channels.rows],
        values=[r[1] for r in channels.rows],
    )

    now_by_category: Counter[int | None] = Counter()
    for _org_unit_id, _site_id, category_id, n in opened["place"]:
        now_by_category[category_id] += n
    before_by_category = dict(
        qs.filter(_within("created_at", period.previous()))
        .values_list("category_id")
        .annotate(n=Count("*"))
    )
    top = sorted(now_by_category.items(), key=lambda kv: (-kv[1], cats.label(kv[0])))[:TOP]
    categories_table = Table(
        "top_categories",
        _("Top categories and their trend"),
        [_("Category"), _("Tickets"), _("Previous period"), _("Difference")],
        [
            [cats.label(pk), n, before_by_category.get(pk, 0), n - before_by_category.get(pk, 0)]
            for pk, n in top
        ],
        note=_("The previous period is the one of the same length just before."),
    )
    categories_table.chart = charts.hbar(
        title=_("Top categories"),
        description=_("The %(n)s categories with the most tickets in the period.")
        % {"n": len(top)},
        labels=[cats.label(pk) for pk, _n in top],
        values=[n for _pk, n in top],
    )

    # Directions and sites, each with its main category, from the same scan.
    per_direction: Counter[int | None] = Counter()
    per_site: Counter[int | None] = Counter()
    direction_categories: dict[int | None, Counter[int | None]] = defaultdict(Counter)
    site_categories: dict[int | None, Counter[int | None]] = defaultdict(Counter)
    for org_unit_id, site_id, category_id, n in opened["place"]:
        direction = units.root(org_unit_id)
        per_direction[direction] += n
        per_site[site_id] += n
        direction_categories[direction][category_id] += n
        site_categories[site_id][category_id] += n

    def main_category(counts: Counter[int | None]) -> list[Any]:
        pk, n = min(counts.items(), key=lambda kv: (-kv[1], cats.label(kv[0])))
        return [cats.label(pk), n]

    place_columns = [_("Tickets"), _("Main category"), _("Its tickets")]
    directions = Table(
        "directions",
        _("Tickets by requester direction"),
        [_("Direction"), *place_columns],
        sorted(
            (
                [units.label(pk) if pk else "—", n, *main_category(direction_categories[pk])]
                for pk, n in per_direction.items()
            ),
            key=lambda r: (-r[1], r[0]),
        ),
    )
    directions.chart = charts.hbar(
        title=_("Tickets by requester direction"),
        description=_("The tickets of the period by the direction of the person who asked."),
        labels=[r[0] for r in directions.rows[:TOP]],
        values=[r[1] for r in directions.rows[:TOP]],
    )
    site_names = dict(
        Site.objects.filter(pk__in=[s for s in per_site if s]).values_list("pk", "name")
    )
    sites = Table(
        "sites",
        _("Tickets by requester site"),
        [_("Site"), *place_columns],
        sorted(
            (
                [site_names.get(pk, "—") if pk else "—", n, *main_category(site_categories[pk])]
                for pk, n in per_site.items()
            ),
            key=lambda r: (-r[1], r[0]),
        ),
    )
    total_created, total_resolved = sum(created_n), sum(resolved_n)
    return Dashboard(
        figures=[
            Figure("created", _("Opened"), total_created),
            Figure("resolved", _("Resolved"), total_resolved),
            Figure("reopened", _("Resolved after a reopening"), sum(reopened_n)),
            Figure("backlog", _("Open now"), backlog_total),
        ],
        tables=[flow, backlog_table, channels, categories_table, directions, sites],
    )


def _compliance_rows(rows: list[dict[str, Any]], key: Any, label: Any) -> list[list[Any]]:
    totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        k = key(row)
        totals[k][0] += row["n"]
        totals[k][1] += row["late"]
    out = [[label(k), n, n - late, late, share(n - late, n)] for k, (n, late) in totals.items()]
    return sorted(out, key=lambda r: str(r[0]))


def _percentiles(
    qs: QuerySet[TicketFact], field: str
) -> tuple[dict[str, tuple[Any, ...]], tuple[Any, ...]]:
    """Median and 90th percentile (seconds) per priority and overall."""
    return percentiles_by(qs, "priority", field, (0.5, 0.9))


def service_levels(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    cats, units = trees(shared)
    qs = facts(filters, cats, units)
    responded = qs.filter(_within("first_responded_at", period))
    resolved = qs.filter(_within("resolved_at", period))
    fr_rows = list(
        responded.filter(has_sla=True)
        .values("priority", "team_id", "category_id")
        .annotate(
            n=Count("*"),
            late=Count("first_responded_at", filter=Q(first_response_breached=True)),
        )
    )
    res_rows = [
        {"priority": p, "team_id": t, "category_id": c, "n": n, "late": n if late else 0}
        for p, t, c, has_sla, late, n in resolved_counts(qs, period, shared)["sla"]
        if has_sla
    ]
    team_ids = {r["team_id"] for r in fr_rows + res_rows if r["team_id"]}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    columns = [_("Tickets with a target"), _("Met"), _("Breached"), _("Compliance (%)")]
    dims = [
        ("priority", _("Priority"), lambda r: r["priority"], lambda k: str(Priority(k).label)),
        ("team", _("Team"), lambda r: r["team_id"], lambda k: teams.get(k, _("No team"))),
        ("category", _("Category"), lambda r: cats.root(r["category_id"]), lambda k: cats.label(k)),
    ]
    tables = []
    for kind, rows, title in (
        ("first_response", fr_rows, _("First response within target, by %(dimension)s")),
        ("resolution", res_rows, _("Resolution within target, by %(dimension)s")),
    ):
        for dim, dim_label, key, label in dims:
            tables.append(
                Table(
                    f"{kind}_by_{dim}",
                    title % {"dimension": dim_label.lower()},
                    [dim_label, *columns],
                    _compliance_rows(rows, key, label),
                )
            )
    fr_per, fr_all = _percentiles(
        responded.filter(first_response_seconds__isnull=False), "first_response_seconds"
    )
    res_per, res_all = _percentiles(
        resolved.filter(resolution_seconds__isnull=False), "resolution_seconds"
    )
    times = Table(
        "times",
        _("Time to first response and to resolution (hours)"),
        [
            _("Priority"),
            _("First response, median"),
            _("First response, 90th percentile"),
            _("Resolution, median"),
            _("Resolution, 90th percentile"),
        ],
        [
            [
                str(p.label),
                hours(fr_per.get(p.value, (None, None))[0]),
                hours(fr_per.get(p.value, (None, None))[1]),
                hours(res_per.get(p.value, (None, None))[0]),
                hours(res_per.get(p.value, (None, None))[1]),
            ]
            for p in Priority
        ]
        + [[_("All"), hours(fr_all[0]), hours(fr_all[1]), hours(res_all[0]), hours(res_all[1])]],
        note=_("Elapsed time from opening, over the tickets answered (resolved) in the period."),
    )
    chart_labels = [str(p.label) for p in Priority]
    for table, title, description in (
        (
            tables[0],
            _("First-response compliance by priority (%)"),
            _("Share of the tickets answered in the period within their first-response target."),
        ),
        (
            tables[3],
            _("Resolution compliance by priority (%)"),
            _("Share of the tickets resolved in the period within their resolution target."),
        ),
    ):
        compliance = {r[0]: r[4] or 0 for r in table.rows}
        table.chart = charts.bar(
            title=title,
            description=description,
            labels=chart_labels,
            values=[compliance.get(label, 0) for label in chart_labels],
            name=_("Compliance (%)"),
        )
    fr_n, fr_late = sum(r["n"] for r in fr_rows), sum(r["late"] for r in fr_rows)
    res_n, res_late = sum(r["n"] for r in res_rows), sum(r["late"] for r in res_rows)
    return Dashboard(
        figures=[
            Figure(
                "first_response_compliance",
                _("First response within target"),
                share(fr_n - fr_late, fr_n),
                "%",
            ),
            Figure(
                "resolution_compliance",
                _("Resolution within target"),
                share(res_n - res_late, res_n),
                "%",
            ),
            Figure(
                "first_response_median", _("Median time to first response"), hours(fr_all[0]), "h"
            ),
            Figure(
                "first_response_p90", _("90th percentile, first response"), hours(fr_all[1]), "h"
            ),
            Figure("resolution_median", _("Median time to resolution"), hours(res_all[0]), "h"),
            Figure("resolution_p90", _("90th percentile, resolution"), hours(res_all[1]), "h"),
        ],
        tables=[times, *tables],
    )


def satisfaction(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    cats, units = trees(shared)
    qs = facts(filters, cats, units).filter(_within("rated_at", period))
    rows = list(qs.values("team_id", "rating", "rating_commented").annotate(n=Count("*")))
    distribution = Counter[int]()
    per_team: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    commented = sum(row["n"] for row in rows if row["rating_commented"])
    for row in rows:
        distribution[row["rating"]] += row["n"]
        per_team[row["team_id"]][0] += row["n"]
        per_team[row["team_id"]][1] += row["n"] * row["rating"]
    count = sum(distribution.values())
    total = sum(r * n for r, n in distribution.items())
    average = round(total / count, 2) if count else None
    teams = dict(Team.objects.filter(pk__in=[t for t in per_team if t]).values_list("pk", "name"))
    dist = Table(
        "ratings",
        _("Ratings"),
        [_("Rating"), _("Tickets"), _("Share (%)")],
        [
            [f"{r}/5", distribution.get(r, 0), share(distribution.get(r, 0), count)]
            for r in range(5, 0, -1)
        ],
        chart=charts.bar(
            title=_("Satisfaction ratings"),
            description=_("%(count)s ratings, average %(average)s out of 5.")
            % {"count": count, "average": average if average is not None else "—"},
            labels=[f"{r}/5" for r in range(5, 0, -1)],
            values=[distribution.get(r, 0) for r in range(5, 0, -1)],
        ),
    )
    by_team = Table(
        "by_team",
        _("Average rating by team"),
        [_("Team"), _("Ratings"), _("Average")],
        sorted(
            (
                [teams.get(t, _("No team")) if t else _("No team"), n, round(s / n, 2)]
                for t, (n, s) in per_team.items()
            ),
            key=lambda r: str(r[0]),
        ),
    )
    latest = list(
        qs.filter(rating_commented=True)
        .order_by("-rated_at", "-pk")
        .values_list("pk", flat=True)[:20]
    )
    comments = (
        Satisfaction.objects.filter(ticket_id__in=latest)
        .select_related("ticket")
        .only("rating", "comment", "created_at", "ticket__reference")
        .order_by("-created_at", "-ticket_id")
    )
    comment_table = Table(
        "comments",
        _("Latest comments"),
        [_("Date"), _("Ticket"), _("Rating"), _("Comment")],
        [
            [timezone.localdate(s.created_at), s.ticket.reference, s.rating, s.comment]
            for s in comments
        ],
    )
    return Dashboard(
        figures=[
            Figure("average", _("Average rating (out of 5)"), average),
            Figure("ratings", _("Ratings"), count),
            Figure("comments", _("Ratings with a comment"), commented),
        ],
        tables=[dist, by_team, comment_table],
    )
