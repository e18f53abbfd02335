"""Reports benchmark: every dashboard's p95 with 1,000,000 tickets.

Seeds the tickets with the desk benchmark's COPY seeding (`bench.tickets.seed`: three years of
tickets), varies their priority and channel and rates one resolved ticket in five, then times
`relais reports-rebuild` (the facts from the tickets) and each dashboard page (in-process client,
the full HTML page), each table download (CSV and XLSX, rotating over the dashboard's tables)
and the printable monthly report, as a supervisor and an admin (every ticket) and as an agent
(one team), over this month, this quarter and last month.

    python -m bench reports --database postgres --tickets 1000000
    python -m bench reports --database sqlite --tickets 100000
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench.assets import analyze
from bench.http_baseline import measure
from bench.tickets import ROOT, bench_environment, fresh_instance, relais, seed

PERIODS = ["month", "quarter", "previous_month"]
ROLES = (
    ("supervisor", "superviseur@relais.test"),
    ("admin", "admin@relais.test"),
    ("agent", "agent@relais.test"),
)

# Constant SQL (no input): spread priorities and channels, and rate a fifth of the resolved
# tickets the day after their resolution.
VARY_POSTGRES = [
    "UPDATE tickets_ticket SET priority = (ARRAY['P1','P2','P3','P4','P3','P4'])[1 + id % 6], "
    "channel = (ARRAY['portal','email','phone','portal','walk_in','api'])[1 + id % 6], "
    "first_response_breached = (id % 9 = 0), resolution_breached = (id % 7 = 0)",
    "INSERT INTO tickets_satisfaction (ticket_id, rating, comment, created_at) "
    "SELECT id, 1 + id % 5, CASE WHEN id % 4 = 0 THEN 'Merci pour votre aide.' ELSE '' END, "
    "resolved_at + interval '1 day' FROM tickets_ticket "
    "WHERE resolved_at IS NOT NULL AND id % 5 = 0",
]
VARY_SQLITE = [
    "UPDATE tickets_ticket SET priority = 'P' || (1 + id % 4), "
    "channel = CASE id % 3 WHEN 0 THEN 'portal' WHEN 1 THEN 'email' ELSE 'phone' END, "
    "first_response_breached = (id % 9 = 0), resolution_breached = (id % 7 = 0)",
    "INSERT INTO tickets_satisfaction (ticket_id, rating, comment, created_at) "
    "SELECT id, 1 + id % 5, CASE WHEN id % 4 = 0 THEN 'Merci pour votre aide.' ELSE '' END, "
    "datetime(resolved_at, '+1 day') FROM tickets_ticket "
    "WHERE resolved_at IS NOT NULL AND id % 5 = 0",
]


def vary(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in VARY_POSTGRES if database == "postgres" else VARY_SQLITE:
            cursor.execute(sql)


# What the other dashboards read, at a size the department reaches in about a year (on top of
# the desk benchmark's 200 people): the staff of DESIGN.md with their laptops and tokens,
# deployment campaigns, articles read daily, searches without results, deflections, a peer-help
# community, and probes with daily roll-ups and incidents over 400 days.
STAFF = 3_000
ARTICLES = 2_000
QUESTIONS, ANSWERS, VOTES = 20_000, 60_000, 50_000
SERVICES, CHECKS, INCIDENTS = 30, 200, 2_000
HISTORY_DAYS = 400
# Constant SQL (no input): the votes' instants spread over the history (the model's
# `auto_now` dates them all today in a bulk load).
SPREAD_VOTES = {
    "postgres": (
        "UPDATE kb_articlefeedback SET created_at = created_at - (id % 400) * interval '1 day'"
    ),
    "sqlite": (
        "UPDATE kb_articlefeedback "
        "SET created_at = datetime(created_at, '-' || (id % 400) || ' days')"
    ),
}


# Constant SQL (no input): the facts of every ticket in one statement, as
# `relais.tickets.services.facts` computes them row by row (`_values`, `_rating_values`).
FACTS_POSTGRES = [
    "SET LOCAL statement_timeout = 0",
    "TRUNCATE tickets_ticketfact",
    "INSERT INTO tickets_ticketfact (ticket_id, created_at, first_responded_at, resolved_at, "
    "status, priority, channel, team_id, category_id, first_response_breached, "
    "resolution_breached, reopen_count, org_unit_id, site_id, has_sla, first_response_seconds, "
    "resolution_seconds, rating, rated_at, rating_commented) "
    "SELECT t.id, t.created_at, t.first_responded_at, t.resolved_at, t.status, t.priority, "
    "t.channel, t.team_id, t.category_id, t.first_response_breached, t.resolution_breached, "
    "t.reopen_count, u.org_unit_id, u.site_id, t.first_response_target IS NOT NULL, "
    "CASE WHEN t.first_responded_at IS NOT NULL THEN "
    "GREATEST(FLOOR(EXTRACT(EPOCH FROM t.first_responded_at - t.created_at)), 0)::int END, "
    "CASE WHEN t.resolved_at IS NOT NULL THEN "
    "GREATEST(FLOOR(EXTRACT(EPOCH FROM t.resolved_at - t.created_at)), 0)::int END, "
    "s.rating, s.created_at, COALESCE(s.comment <> '', false) "
    "FROM tickets_ticket t JOIN accounts_user u ON u.id = t.requester_id "
    "LEFT JOIN tickets_satisfaction s ON s.ticket_id = t.id",
]


def facts_by_sql(sample: int = 5000) -> float:
    """PostgreSQL: every ticket's facts in one `INSERT … SELECT` (the ORM rebuild of
    `relais reports-rebuild` takes 5 to 50 minutes for 1,000,000 tickets on this shared
    machine); then `sample` random tickets' rows are checked equal to what the ticket
    services compute. Returns the seconds it took."""
    import random

    from django.db import connection, transaction

    from relais.tickets.models import Ticket, TicketFact
    from relais.tickets.services.facts import FIELDS, ticket_facts_rebuild

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in FACTS_POSTGRES:
            cursor.execute(sql)
    seconds = time.perf_counter() - started
    ids = list(Ticket.objects.values_list("pk", flat=True))
    chosen = sorted(random.Random(3).sample(ids, min(sample, len(ids))))

    def rows() -> dict[int, tuple[Any, ...]]:
        return {
            r["ticket_id"]: tuple(r[f] for f in FIELDS)
            for r in TicketFact.objects.filter(ticket_id__in=chosen).values("ticket_id", *FIELDS)
        }

    by_sql = rows()
    ticket_facts_rebuild(ticket_ids=chosen)
    assert rows() == by_sql, "the SQL facts differ from the ticket services'"
    print(f"facts by SQL in {seconds:.0f} s; {len(chosen)} sampled rows equal", flush=True)
    return seconds


def seed_activity(database: str) -> dict[str, int]:
    """Bulk rows for the knowledge, peer-help, service-watch and asset dashboards."""
    import random
    from datetime import UTC, datetime, timedelta

    from django.db import connection

    from bench.assets import bulk_staff
    from relais.accounts.choices import Role
    from relais.accounts.models import User
    from relais.assets.choices import AssetKind, CampaignState, TargetState
    from relais.assets.models import AssetModel, AssetType, Campaign, CampaignTarget
    from relais.kb.models import Article, ArticleDailyViews, ArticleFeedback, ArticleState
    from relais.search.models import DailySearchMiss, Deflection, ZeroResultQuery

    if database == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")  # VACUUM ANALYZE of a large database
    rng = random.Random(9)
    now = datetime.now(UTC)
    today = now.date()
    days = [today - timedelta(days=n) for n in range(1, HISTORY_DAYS + 1)]
    for kind, manufacturer, name in (
        (AssetKind.LAPTOP, "Dell", "Latitude 5440"),
        (AssetKind.SECURITY_KEY, "Yubico", "YubiKey 5 NFC"),
    ):
        AssetModel.objects.get_or_create(
            asset_type=AssetType.objects.get(kind=kind), manufacturer=manufacturer, name=name
        )
    if User.objects.count() < STAFF:
        bulk_staff(STAFF, rng)
    people = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    admin = User.objects.get(email="admin@relais.test")
    agents = list(User.objects.filter(role=Role.AGENT).values_list("pk", flat=True))

    # Each part is skipped when its rows are there (a --reuse run that stopped half-way).
    for n in range(0 if Campaign.objects.exists() else 5):
        campaign = Campaign.objects.create(
            name=f"Campagne {n}",
            state=CampaignState.ACTIVE,
            created_by=admin,
            due_on=today + timedelta(days=30 * n),
        )
        CampaignTarget.objects.bulk_create(
            CampaignTarget(campaign=campaign, person_id=pk, state=rng.choice(TargetState.values))
            for pk in rng.sample(people, 600)
        )

    if Article.objects.exists():
        return resume_activity(database, rng, now, days, admin)
    Article.objects.bulk_create(
        Article(
            title=f"Article {n} : VPN, messagerie et impression",
            body="…",
            owner_id=rng.choice(agents),
            state=ArticleState.PUBLISHED,
        )
        for n in range(ARTICLES)
    )
    articles = list(Article.objects.values_list("pk", flat=True))
    ArticleDailyViews.objects.bulk_create(
        (
            ArticleDailyViews(article_id=pk, day=day, views=rng.randint(1, 40))
            for day in days
            for pk in rng.sample(articles, 150)
        ),
        batch_size=5000,
    )
    ArticleFeedback.objects.bulk_create(
        (
            ArticleFeedback(article_id=a, user_id=u, useful=rng.random() < 0.7)
            for a, u in {(rng.choice(articles), rng.choice(people)) for _n in range(20_000)}
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(SPREAD_VOTES[database])
    ZeroResultQuery.objects.bulk_create(
        ZeroResultQuery(normalized=f"recherche {n}", example=f"Recherche {n}") for n in range(5_000)
    )
    misses = list(ZeroResultQuery.objects.values_list("pk", flat=True))
    DailySearchMiss.objects.bulk_create(
        (
            DailySearchMiss(query_id=pk, day=day, count=rng.randint(1, 5))
            for day in days
            for pk in rng.sample(misses, 50)
        ),
        batch_size=5000,
    )
    Deflection.objects.bulk_create(
        (
            Deflection(
                query="vpn",
                kind=rng.choice(["article", "answer"]),
                object_id=rng.choice(articles),
                created_at=now - timedelta(minutes=rng.randint(60, HISTORY_DAYS * 1440)),
            )
            for _n in range(30_000)
        ),
        batch_size=5000,
    )

    return resume_activity(database, rng, now, days, admin)


def resume_activity(
    database: str, rng: Any, now: Any, days: list[Any], admin: Any
) -> dict[str, int]:
    """The peer-help community, then the service watch (see `seed_activity`)."""
    from datetime import timedelta

    from bench import community
    from relais.community.models import Question
    from relais.monitoring.choices import AlertKind, CheckKind
    from relais.monitoring.models import Alert, Check, DailyRollup, Incident, Service

    if not Question.objects.exists():
        community.seed(QUESTIONS, ANSWERS, VOTES, database)
    Service.objects.bulk_create(Service(name=f"Service {n}", position=n) for n in range(SERVICES))
    services = list(Service.objects.values_list("pk", flat=True))
    Check.objects.bulk_create(
        Check(
            service_id=services[n % len(services)],
            name=f"check {n}",
            kind=CheckKind.TCP,
            target=f"host{n}.example.fr:443",
        )
        for n in range(CHECKS)
    )
    checks = list(Check.objects.values_list("pk", flat=True))
    DailyRollup.objects.bulk_create(
        (
            DailyRollup(check_ref_id=pk, day=day, total=1440, failures=rng.choice([0, 0, 0, 3, 40]))
            for day in days
            for pk in checks
        ),
        batch_size=5000,
    )
    incidents = []
    for _n in range(INCIDENTS):
        started = now - timedelta(minutes=rng.randint(60, HISTORY_DAYS * 1440))
        incidents.append(
            Incident(
                service_id=rng.choice(services),
                title="Coupure",
                started_at=started,
                resolved_at=started + timedelta(minutes=rng.randint(5, 600)),
            )
        )
    Incident.objects.bulk_create(incidents, batch_size=1000)
    Alert.objects.bulk_create(
        (
            Alert(
                incident_id=incident.pk,
                kind=AlertKind.DOWN,
                recipient=admin,
                acknowledged_at=incident.started_at + timedelta(minutes=rng.randint(1, 60)),
            )
            for incident in Incident.objects.only("pk", "started_at")
        ),
        batch_size=1000,
    )
    return {"staff": STAFF, "articles": ARTICLES, "questions": QUESTIONS, "incidents": INCIDENTS}


def measure_cpu(label: str, call: Any, samples: Any) -> dict[str, float]:
    """`measure` (wall clock), plus this process's CPU time per measured request: on a
    loaded shared machine the wall clock waits for the cores, the CPU time much less (the
    database server's own CPU is not in it)."""
    from bench.http_baseline import percentile

    samples = list(samples)
    cpu: list[float] = []

    def timed(item: Any) -> None:
        started = time.process_time()
        call(item)
        cpu.append((time.process_time() - started) * 1000)

    result = measure(label, timed, samples)
    measured = sorted(cpu[-len(samples) :])
    result["cpu_p50"] = round(percentile(measured, 50), 1)
    result["cpu_p95"] = round(percentile(measured, 95), 1)
    print(f"{'':<44} CPU p50 {result['cpu_p50']:6.1f} ms  p95 {result['cpu_p95']:6.1f} ms")
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reports")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="measured per dashboard and role")
    parser.add_argument(
        "--downloads", type=int, default=30, help="measured per dashboard, role and format"
    )
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database")
    parser.add_argument(
        "--facts-by-sql",
        action="store_true",
        help="With --reuse on PostgreSQL: the facts in one INSERT … SELECT (sample-checked)",
    )
    parser.add_argument("--only", default="", help="Comma-separated dashboards (default: all)")
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="Seed (or complete) the database, measure nothing",
    )
    parser.add_argument(
        "--add-activity",
        action="store_true",
        help="With --reuse: add the other dashboards' rows to a database seeded without them",
    )
    args = parser.parse_args(argv)

    env = bench_environment(args.database, "bench-reports")
    seeded: dict[str, Any] = {}
    if not args.reuse:
        fresh_instance(env, args.database)
        seconds = seed(args.tickets, 0, args.database)
        vary(args.database)
        seeded["seed_seconds"] = round(seconds, 1)
        print(f"seeded {args.tickets:,} tickets in {seconds:.0f} s", flush=True)
        started = time.perf_counter()
        out = relais(env, "reports-rebuild")
        seeded["rebuild_seconds"] = round(time.perf_counter() - started, 1)
        print(out.strip(), flush=True)
        started = time.perf_counter()
        seeded["activity"] = seed_activity(args.database)
        seeded["activity_seconds"] = round(time.perf_counter() - started, 1)
        analyze(args.database)
    else:
        from bench.tickets import django_setup

        relais(env, "migrate", "-v0")
        django_setup(env)
        if args.facts_by_sql:
            seeded["facts_sql_seconds"] = round(facts_by_sql(), 1)
        if args.add_activity:
            started = time.perf_counter()
            seeded["activity"] = seed_activity(args.database)
            seeded["activity_seconds"] = round(time.perf_counter() - started, 1)
            print(f"activity seeded in {seeded['activity_seconds']:.0f} s", flush=True)
            analyze(args.database)

    if args.prepare_only:
        return 0

    from django.test import Client

    from relais.accounts.models import User
    from relais.reports import selectors
    from relais.reports.choices import DashboardKey
    from relais.reports.filters import TicketFilters
    from relais.reports.periods import period_for

    # Every role that sees the reports: the admin and the supervisor see every ticket, the
    # agent their one team's.
    clients = {}
    for role, email in ROLES:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(email=email))
        clients[role] = client
    samples = [PERIODS[i % len(PERIODS)] for i in range(args.requests)]
    results: dict[str, Any] = {}
    keys = args.only.split(",") if args.only else list(DashboardKey.values)
    for key in keys:
        for role, client in clients.items():

            def page(period: str, key: str = key, client: Any = client) -> None:
                response = client.get(f"/rapports/{key}/", {"period": period})
                assert response.status_code == 200, response.status_code

            label = f"{key} ({role})"
            results[label] = measure_cpu(label, page, samples)

    # The table downloads: per dashboard, role and format, rotating over the dashboard's
    # tables and the periods (each download builds the dashboard, then writes one table).
    for key in keys:
        tables = [
            t.key
            for t in selectors.dashboard(
                key, period=period_for("month"), filters=TicketFilters()
            ).tables
        ]
        picks = [
            (PERIODS[i % len(PERIODS)], tables[i % len(tables)]) for i in range(args.downloads)
        ]
        for role, client in clients.items():
            for fmt in ("csv", "xlsx"):

                def download(
                    pick: tuple[str, str], key: str = key, client: Any = client, fmt: str = fmt
                ) -> None:
                    period, table = pick
                    response = client.get(
                        f"/rapports/{key}/export/{table}.{fmt}", {"period": period}
                    )
                    assert response.status_code == 200, response.status_code
                    if response.streaming:
                        b"".join(response.streaming_content)  # the whole file is the answer

                label = f"{key} {fmt.upper()} ({role})"
                results[label] = measure_cpu(label, download, picks)

    for role, client in clients.items():

        def monthly(_: Any, client: Any = client) -> None:
            response = client.get("/rapports/mensuel/")
            assert response.status_code == 200, response.status_code

        label = f"monthly report ({role})"
        results[label] = measure_cpu(label, monthly, range(max(5, args.requests // 3)))
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"reports-{args.database}.json").write_text(
        json.dumps(
            {"database": args.database, "tickets": args.tickets, **seeded, "results": results},
            indent=2,
        )
    )
    return 0
