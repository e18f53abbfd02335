"""Knowledge, peer help, service watch and asset figures (no team dimension: the same for the
whole desk). Read-only queries on the other apps' tables; volumes there are small."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from relais.accounts.models import User
from relais.assets import selectors as asset_selectors
from relais.assets.choices import CampaignState, TargetState
from relais.assets.models import Campaign, CampaignTarget
from relais.community.models import Answer, Question
from relais.core import charts
from relais.kb.models import ArticleDailyViews, ArticleFeedback
from relais.monitoring.models import DailyRollup, Incident, Service
from relais.reports.filters import TicketFilters
from relais.reports.periods import Period
from relais.reports.selectors.base import (
    Dashboard,
    Figure,
    Shared,
    Table,
    hours,
    percentile,
    share,
)
from relais.search.models import DailySearchMiss, Deflection

TOP = 10


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.since, f"{field}__lt": period.until})


def _history_note(first_day: date | None, period: Period, message: str) -> str:
    """`message` (with %(day)s) when the period begins before the first day counted: the
    daily counts started with the upgrade that added them (decision 0020)."""
    if first_day is None or period.start >= first_day:
        return ""
    return message % {"day": date_format(first_day, "SHORT_DATE_FORMAT")}


def knowledge(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    days = Q(day__gte=period.start, day__lte=period.end)
    viewed = ArticleDailyViews.objects.filter(days)
    read = list(
        viewed.values_list("article_id", "article__title")
        .annotate(n=Sum("views"))
        .order_by("-n", "article__title", "article_id")[:TOP]
    )
    votes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    titles: dict[int, str] = {}
    for article_id, title, useful, n in (
        ArticleFeedback.objects.filter(_within("created_at", period))
        .values_list("article_id", "article__title", "useful")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        votes[article_id][0 if useful else 1] += n
        titles[article_id] = title
    useful = sum(v[0] for v in votes.values())
    not_useful = sum(v[1] for v in votes.values())
    voted = sorted(votes.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), titles[kv[0]]))[:TOP]
    misses = DailySearchMiss.objects.filter(days)
    missed = list(
        misses.values_list("query_id", "query__example")
        .annotate(n=Sum("count"), last=Max("day"))
        .order_by("-n", "query__example", "query_id")[:20]
    )
    deflections = Counter[Any]()
    kinds = Counter[str]()
    for day, kind, n in (
        Deflection.objects.filter(_within("created_at", period))
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        deflections[period.bucket_of(day)] += n
        kinds[kind] += n
    buckets = period.buckets()
    per_bucket = [deflections.get(b, 0) for b in buckets]
    first_view = ArticleDailyViews.objects.aggregate(first=Min("day"))["first"]
    first_miss = DailySearchMiss.objects.aggregate(first=Min("day"))["first"]
    return Dashboard(
        figures=[
            Figure("views", _("Article views"), viewed.aggregate(n=Sum("views"))["n"] or 0),
            Figure("useful", _("“Useful” votes"), useful),
            Figure("not_useful", _("“Not useful” votes"), not_useful),
            Figure("useful_share", _("Useful share"), share(useful, useful + not_useful), "%"),
            Figure("deflections", _("Tickets avoided (deflections)"), sum(per_bucket)),
            Figure(
                "failed_searches",
                _("Searches without results"),
                misses.aggregate(n=Sum("count"))["n"] or 0,
            ),
        ],
        tables=[
            Table(
                "top_articles",
                _("Most read articles"),
                [_("Article"), _("Views")],
                [[title, n] for _pk, title, n in read],
                note=_history_note(
                    first_view,
                    period,
                    _("Views are counted per day from %(day)s: earlier views are not dated."),
                ),
            ),
            Table(
                "votes",
                _("“Was this useful?” votes in the period"),
                [_("Article"), _("Useful"), _("Not useful"), _("Useful share (%)")],
                [[titles[pk], u, n, share(u, u + n)] for pk, (u, n) in voted],
                note=_("A reader's latest vote counts, on the day they cast it."),
            ),
            Table(
                "failed_searches",
                _("Searches without results"),
                [_("Search text"), _("Times"), _("Last day")],
                [[example, n, last] for _pk, example, n, last in missed],
                note=_history_note(
                    first_miss,
                    period,
                    _(
                        "Searches without results are counted per day from %(day)s: earlier "
                        "ones are not dated."
                    ),
                ),
            ),
            Table(
                "deflections",
                _("Tickets avoided: people who found the answer while writing a ticket"),
                [_("Week of") if period.by_week else _("Day"), _("Deflections")],
                [[b, n] for b, n in zip(buckets, per_bucket, strict=True)],
                chart=charts.bar(
                    title=_("Deflections"),
                    description=_("%(n)s tickets avoided in the period.") % {"n": sum(per_bucket)},
                    labels=[date_format(b, "d/m") for b in buckets],
                    values=per_bucket,
                ),
                note=", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())),
            ),
        ],
    )


def community(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    # One pass over the period's questions and their visible answers (two EXISTS subqueries
    # per question read the answers table three times).
    shown = Q(answers__is_hidden=False)
    questions = list(
        Question.objects.filter(_within("created_at", period), is_hidden=False)
        .annotate(
            peer=Count("answers", filter=shown & Q(answers__as_it=False)),
            it=Count("answers", filter=shown & Q(answers__as_it=True)),
            first_answer=Min("answers__created_at", filter=shown),
        )
        .values_list("created_at", "peer", "it", "first_answer")
        .order_by()
    )
    asked = len(questions)
    by_peer = sum(1 for q in questions if q[1])
    by_it_only = sum(1 for q in questions if q[2] and not q[1])
    unanswered = sum(1 for q in questions if q[3] is None)
    waits = [(q[3] - q[0]).total_seconds() for q in questions if q[3] is not None]
    # The period's visible answers counted once per author and side (peer or IT): the two
    # totals and the leaderboard come from the same scan; names and acceptances are then read
    # for the few people who may be on it.
    answered = Answer.objects.filter(
        _within("created_at", period), is_hidden=False, question__is_hidden=False
    )
    per_author = list(answered.values_list("author_id", "as_it").annotate(n=Count("*")).order_by())
    answers = Counter[bool]()
    by_peer_author = Counter[int]()
    for author_id, as_it, n in per_author:
        answers[as_it] += n
        if not as_it:
            by_peer_author[author_id] += n
    ranked = sorted(by_peer_author.values(), reverse=True)
    floor = ranked[TOP - 1] if len(ranked) >= TOP else 1
    candidates = [a for a, n in by_peer_author.items() if n >= floor]
    names = dict(User.objects.filter(pk__in=candidates).values_list("pk", "display_name"))
    top = sorted(candidates, key=lambda a: (-by_peer_author[a], names.get(a, ""), a))[:TOP]
    accepted = Counter(
        answered.filter(as_it=False, author_id__in=top)
        .filter(Exists(Question.objects.filter(accepted_answer=OuterRef("pk"))))
        .values_list("author_id", flat=True)
    )
    helpers = [(names.get(a, ""), by_peer_author[a], accepted[a]) for a in top]
    outcomes: list[list[Any]] = [
        [_("Answered by a peer"), by_peer, share(by_peer, asked)],
        [_("Answered by IT only"), by_it_only, share(by_it_only, asked)],
        [_("Unanswered"), unanswered, share(unanswered, asked)],
    ]
    return Dashboard(
        figures=[
            Figure("questions", _("Questions asked"), asked),
            Figure("peer_share", _("Answered by peers"), share(by_peer, asked), "%"),
            Figure(
                "median_first_answer",
                _("Median time to first answer"),
                hours(percentile(waits, 0.5)),
                "h",
            ),
            Figure("unanswered", _("Still unanswered"), unanswered),
        ],
        tables=[
            Table(
                "questions",
                _("Questions asked in the period"),
                [_("Outcome"), _("Questions"), _("Share (%)")],
                outcomes,
                chart=charts.bar(
                    title=_("Who answered the questions of the period"),
                    description=_(
                        "%(asked)s questions: %(peer)s answered by a peer, %(it)s by IT only, "
                        "%(none)s unanswered."
                    )
                    % {"asked": asked, "peer": by_peer, "it": by_it_only, "none": unanswered},
                    labels=[str(r[0]) for r in outcomes],
                    values=[r[1] for r in outcomes],
                ),
                note=_(
                    "A question counts as answered by a peer when a colleague's visible answer "
                    "exists, whenever it was written."
                ),
            ),
            Table(
                "answers",
                _("Answers in the period"),
                [_("Author"), _("Answers")],
                [[_("Peers"), answers.get(False, 0)], [_("IT agents"), answers.get(True, 0)]],
            ),
            Table(
                "helpers",
                _("Top helpers"),
                [_("Person"), _("Answers"), _("Accepted")],
                [[name, n, acc] for name, n, acc in helpers],
                chart=charts.hbar(
                    title=_("Top helpers"),
                    description=_(
                        "The %(n)s colleagues who answered the most questions in the period."
                    )
                    % {"n": len(helpers)},
                    labels=[name for name, _n, _acc in helpers],
                    values=[n for _name, n, _acc in helpers],
                ),
            ),
        ],
    )


def watch(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    uptime_rows = (
        DailyRollup.objects.filter(day__gte=period.start, day__lte=period.end)
        .values_list("check_ref__service_id")
        .annotate(total=Sum("total"), failures=Sum("failures"))
        .order_by()
    )
    measured = {pk: (total or 0, failures or 0) for pk, total, failures in uptime_rows}
    services = list(Service.objects.order_by("position", "name").values_list("pk", "name"))
    uptime: list[list[Any]] = []
    for pk, name in services:
        total, failures = measured.get(pk, (0, 0))
        uptime.append(
            [name, round(100 * (total - failures) / total, 3) if total else None, total, failures]
        )
    incidents = list(
        Incident.objects.filter(_within("started_at", period))
        .annotate(acknowledged=Min("alerts__acknowledged_at"))
        .values_list(
            "started_at", "service__name", "title", "impact", "resolved_at", "acknowledged"
        )
        .order_by("-started_at")
    )
    to_ack = [(a - s).total_seconds() for s, *_rest, a in incidents if a is not None]
    to_resolve = [(r - s).total_seconds() for s, _n, _t, _i, r, _a in incidents if r is not None]
    per_service = Counter(name for _s, name, *_rest in incidents)
    by_service: list[list[Any]] = sorted(
        ([name, n] for name, n in per_service.items()), key=lambda r: (-r[1], r[0])
    )
    return Dashboard(
        figures=[
            Figure("incidents", _("Incidents"), len(incidents)),
            Figure(
                "ack_median",
                _("Median time to acknowledge"),
                _minutes(percentile(to_ack, 0.5)),
                "min",
            ),
            Figure(
                "ack_p90",
                _("90th percentile, time to acknowledge"),
                _minutes(percentile(to_ack, 0.9)),
                "min",
            ),
            Figure(
                "resolve_median",
                _("Median time to resolve"),
                _minutes(percentile(to_resolve, 0.5)),
                "min",
            ),
            Figure(
                "resolve_p90",
                _("90th percentile, time to resolve"),
                _minutes(percentile(to_resolve, 0.9)),
                "min",
            ),
        ],
        tables=[
            Table(
                "uptime",
                _("Availability per service"),
                [_("Service"), _("Availability (%)"), _("Checks"), _("Failures")],
                uptime,
                chart=charts.hbar(
                    title=_("Availability per service (%)"),
                    description=_("Share of successful checks per service over the period."),
                    labels=[r[0] for r in uptime],
                    values=[r[1] or 0 for r in uptime],
                ),
                note=_("From the daily roll-ups: complete days only (today is not counted)."),
            ),
            Table(
                "incidents_by_service",
                _("Incidents per service"),
                [_("Service"), _("Incidents")],
                by_service,
                chart=charts.hbar(
                    title=_("Incidents per service"),
                    description=_("%(n)s incidents began in the period.") % {"n": len(incidents)},
                    labels=[r[0] for r in by_service],
                    values=[r[1] for r in by_service],
                ),
            ),
            Table(
                "incidents",
                _("Incidents in the period"),
                [
                    _("Started"),
                    _("Service"),
                    _("Incident"),
                    _("Acknowledged after (min)"),
                    _("Resolved after (min)"),
                ],
                [
                    [
                        date_format(timezone.localtime(started), "SHORT_DATETIME_FORMAT"),
                        service,
                        title,
                        _minutes((ack - started).total_seconds()) if ack else None,
                        _minutes((resolved - started).total_seconds()) if resolved else None,
                    ]
                    for started, service, title, _impact, resolved, ack in incidents[:100]
                ],
                note=_("The 100 most recent."),
            ),
        ],
    )


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def park(*, period: Period, filters: TicketFilters, shared: Shared) -> Dashboard:
    campaigns = list(
        Campaign.objects.filter(state=CampaignState.ACTIVE)
        .order_by("due_on", "name")
        .values_list("pk", "name", "due_on")[:20]
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for campaign_id, state, n in (
        CampaignTarget.objects.filter(campaign_id__in=[c[0] for c in campaigns])
        .values_list("campaign_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[campaign_id][state] = n
    campaign_rows: list[list[Any]] = []
    for pk, name, due_on in campaigns:
        c = counts[pk]
        total = sum(c.values())
        done = c[TargetState.DELIVERED] + c[TargetState.REFUSED]
        campaign_rows.append(
            [
                name,
                due_on,
                total,
                c[TargetState.TO_PREPARE],
                c[TargetState.READY],
                c[TargetState.DELIVERED],
                c[TargetState.REFUSED],
                share(done, total),
            ]
        )
    readiness = asset_selectors.readiness(direction_id=filters.direction, site_id=filters.site)
    groups = readiness.by_direction

    def group_row(g: Any) -> list[Any]:
        return [g.name, g.total, g.laptop_pct, g.remote_pct, g.unblocked_pct, g.ready_pct]

    readiness_columns = [
        _("Group"),
        _("People"),
        _("With a laptop (%)"),
        _("With remote access (%)"),
        _("Not blocked (%)"),
        _("Ready (%)"),
    ]
    return Dashboard(
        figures=[
            Figure("ready", _("Ready to telework"), readiness.overall.ready_pct, "%"),
            Figure("people", _("People counted"), readiness.overall.total),
            Figure("campaigns", _("Campaigns in progress"), len(campaigns)),
        ],
        tables=[
            Table(
                "campaigns",
                _("Deployment campaigns in progress"),
                [
                    _("Campaign"),
                    _("Deadline"),
                    _("Targets"),
                    _("To prepare"),
                    _("Ready"),
                    _("Delivered"),
                    _("Refused"),
                    _("Done (%)"),
                ],
                campaign_rows,
                chart=charts.stacked_hbar(
                    title=_("Campaign progress"),
                    description=_("Targets per state for each campaign in progress."),
                    labels=[r[0] for r in campaign_rows],
                    series=[
                        (_("Delivered"), [r[5] for r in campaign_rows]),
                        (_("Refused"), [r[6] for r in campaign_rows]),
                        (_("Ready"), [r[4] for r in campaign_rows]),
                        (_("To prepare"), [r[3] for r in campaign_rows]),
                    ],
                ),
            ),
            Table(
                "readiness_directions",
                _("Telework readiness by direction"),
                readiness_columns,
                [
                    [_("Everyone"), *group_row(readiness.overall)[1:]],
                    *[group_row(g) for g in groups],
                ],
                chart=charts.hbar(
                    title=_("Ready to telework by direction (%)"),
                    description=_("%(pct)s %% of the %(n)s people are ready.")
                    % {"pct": readiness.overall.ready_pct, "n": readiness.overall.total},
                    labels=[g.name for g in groups],
                    values=[g.ready_pct for g in groups],
                ),
                note=_("The situation now, whatever the period."),
            ),
            Table(
                "readiness_sites",
                _("Telework readiness by site"),
                readiness_columns,
                [group_row(g) for g in readiness.by_site],
            ),
        ],
    )
