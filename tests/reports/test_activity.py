"""Knowledge, peer-help, service-watch and asset figures, each asserted against a computation
from the raw rows, with rows on both sides of the period's bounds."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time

from relais.accounts.choices import Role
from relais.assets.choices import CampaignState, TargetState
from relais.assets.models import Campaign, CampaignTarget
from relais.community.models import Answer, Question
from relais.kb import services as kb_services
from relais.kb.models import Article, ArticleDailyViews, ArticleState
from relais.monitoring.choices import CheckKind
from relais.monitoring.models import Alert, Check, DailyRollup, Incident, Service
from relais.reports import selectors
from relais.reports.filters import TicketFilters
from relais.reports.periods import Period
from relais.search import services as search_services
from relais.search.models import Deflection
from tests.factories import UserFactory
from tests.reports.conftest import OCTOBER, PARIS, at

pytestmark = pytest.mark.django_db
NONE = TicketFilters()


def nearest_rank(values: list[float], fraction: float) -> float | None:
    values = sorted(values)
    return values[max(math.ceil(fraction * len(values)), 1) - 1] if values else None


def _local_day(when: datetime) -> date:
    return when.astimezone(PARIS).date()


def _in(when: datetime, period: Period = OCTOBER) -> bool:
    return period.start <= _local_day(when) <= period.end


def test_knowledge_figures_follow_the_period(db: Any) -> None:
    """Views, votes, searches without results and deflections recorded through the services
    at chosen instants around both bounds of October (local days: 00:30 on 1 November in
    Paris is still 31 October in UTC), each figure against the list of what happened."""
    owner = UserFactory(role=Role.AGENT)
    readers = [UserFactory() for _ in range(4)]

    def publish(title: str) -> Article:
        return Article.objects.create(
            title=title, body="…", owner=owner, state=ArticleState.PUBLISHED
        )

    vpn, mail, printer = publish("Configurer le VPN"), publish("Outlook"), publish("Imprimante")
    draft = Article.objects.create(title="Brouillon", body="…", owner=owner)
    views = [
        (vpn, at("2026-09-30", "23:30")),  # before the period (22:30 UTC)
        (vpn, at("2026-10-01", "00:30")),  # in it, although still 30 September in UTC
        (vpn, at("2026-10-12")),
        (vpn, at("2026-10-12", "15:00")),
        (mail, at("2026-10-31", "23:59")),
        (mail, at("2026-11-01", "00:30")),  # after it (31 October 23:30 UTC)
        (mail, at("2026-11-02")),
        (mail, at("2026-11-03")),
        (mail, at("2026-11-04")),
        (printer, at("2026-10-20")),
        (draft, at("2026-10-20")),  # an editor's preview: not counted
    ]
    for article, when in views:
        with freeze_time(when):
            kb_services.article_viewed(Article.objects.get(pk=article.pk))
    votes = [  # (article, reader, useful, when): a reader's latest vote replaces the earlier one
        (vpn, readers[0], True, at("2026-10-03")),
        (vpn, readers[1], True, at("2026-09-30", "23:30")),
        (vpn, readers[1], False, at("2026-10-20")),  # changed in the period
        (vpn, readers[2], False, at("2026-10-21")),
        (mail, readers[0], False, at("2026-10-31", "23:00")),
        (mail, readers[3], True, at("2026-10-30")),
        (mail, readers[3], False, at("2026-11-01", "00:30")),  # changed after: out of October
    ]
    for article, reader, useful, when in votes:
        with freeze_time(when):
            kb_services.article_feedback(article=article, actor=reader, useful=useful)
    misses = [
        ("=imprimante 3D", at("2026-10-15")),
        ("Imprimante  3d", at("2026-10-16")),  # the same normalised search
        ("=imprimante 3D", at("2026-11-01", "00:30")),
        ("badge", at("2026-09-15")),
        ("badge", at("2026-10-01", "00:30")),
        ("badge", at("2026-10-31", "23:30")),
        ("badge", at("2026-10-31", "23:45")),
        ("wifi salle 12", at("2026-09-30", "23:30")),
    ]
    for text, when in misses:
        with freeze_time(when):
            search_services.zero_result_record(text)
    for when in (at("2026-09-30", "23:30"), at("2026-10-01", "00:30"), at("2026-10-31", "12:00")):
        Deflection.objects.create(query="vpn", kind="article", object_id=vpn.pk, created_at=when)

    board = selectors.dashboard("knowledge", period=OCTOBER, filters=NONE)

    # Views: each counted view of a published article on an October day (local time).
    read = Counter(a.title for a, when in views if _in(when) and a.pk != draft.pk)
    assert board.figure("views") == sum(read.values()) == 5
    expected_top = sorted(read.items(), key=lambda kv: (-kv[1], kv[0]))
    assert board.table("top_articles").rows == [list(r) for r in expected_top]  # type: ignore[union-attr]
    assert expected_top == [("Configurer le VPN", 3), ("Imprimante", 1), ("Outlook", 1)]
    # The all-time counter (the knowledge base's own "most read" order) still counts them all.
    assert Article.objects.get(pk=mail.pk).view_count == 5
    assert Article.objects.get(pk=draft.pk).view_count == 0
    # Votes: each reader's latest vote, when it was cast in October.
    latest = {(a.pk, r.pk): (a.title, useful, when) for a, r, useful, when in votes}
    october = [(title, useful) for title, useful, when in latest.values() if _in(when)]
    useful = sum(1 for _t, u in october if u)
    assert (board.figure("useful"), board.figure("not_useful")) == (useful, len(october) - useful)
    assert (useful, len(october) - useful) == (1, 3)
    assert board.figure("useful_share") == 25.0
    assert board.table("votes").rows == [["Configurer le VPN", 1, 2, 33.3], ["Outlook", 0, 1, 0.0]]  # type: ignore[union-attr]
    # Searches without results: by normalised text, the times in October, the last such day.
    in_october = [(" ".join(t.lower().split()).lstrip("="), w) for t, w in misses if _in(w)]
    assert board.figure("failed_searches") == len(in_october) == 5
    assert board.table("failed_searches").rows == [  # type: ignore[union-attr]
        ["badge", 3, date(2026, 10, 31)],
        ["=imprimante 3D", 2, date(2026, 10, 16)],  # shown in its latest wording
    ]
    # Deflections: dated by their instant, in local days.
    assert (
        board.figure("deflections")
        == sum(1 for d in Deflection.objects.all() if _in(d.created_at))
        == 2
    )
    # No note: the daily counts began before October.
    assert board.table("top_articles").note == ""  # type: ignore[union-attr]

    # A period that begins before the first counted day says so.
    september = selectors.dashboard(
        "knowledge", period=Period(date(2026, 9, 1), date(2026, 9, 30)), filters=NONE
    )
    assert september.figure("views") == 1
    assert september.table("top_articles").note == (  # type: ignore[union-attr]
        "Les consultations sont comptées par jour depuis le 30/09/2026 : les précédentes ne "
        "sont pas datées."
    )
    assert "depuis le 15/09/2026" in september.table("failed_searches").note  # type: ignore[union-attr]


def test_daily_counts_are_exact_under_concurrent_requests(db: Any) -> None:
    """The per-day upsert never loses a count, whether the day's row exists or not (the
    concurrent case is in tests/core/test_counters.py)."""
    owner = UserFactory(role=Role.AGENT)
    article = Article.objects.create(
        title="VPN", body="…", owner=owner, state=ArticleState.PUBLISHED
    )
    for _ in range(3):
        kb_services.article_viewed(article, day=date(2026, 10, 5))
    kb_services.article_viewed(article, day=date(2026, 10, 6))
    assert sorted(
        ArticleDailyViews.objects.filter(article=article).values_list("day", "views")
    ) == [(date(2026, 10, 5), 3), (date(2026, 10, 6), 1)]


def test_community(db: Any) -> None:
    asker, peer, it = (
        UserFactory(),
        UserFactory(display_name="Paul Pair"),
        UserFactory(role=Role.AGENT),
    )

    def question(day: str, *answers: tuple[Any, bool, int]) -> Question:
        q = Question.objects.create(title=f"Question {day}", body="…", author=asker)
        Question.objects.filter(pk=q.pk).update(created_at=at(day))
        for author, as_it, after_hours in answers:
            a = Answer.objects.create(question=q, body="…", author=author, as_it=as_it)
            Answer.objects.filter(pk=a.pk).update(created_at=at(day) + timedelta(hours=after_hours))
        return q

    question("2026-09-30", (peer, False, 1))  # before the period
    question("2026-10-02", (peer, False, 2), (it, True, 1))
    accepted = question("2026-10-05", (peer, False, 10))
    Question.objects.filter(pk=accepted.pk).update(accepted_answer=accepted.answers.get())
    question("2026-10-07", (it, True, 4))
    question("2026-10-09")
    question("2026-10-31", (peer, False, 30))  # answered in November

    board = selectors.dashboard("community", period=OCTOBER, filters=NONE)

    asked = [q for q in Question.objects.all() if OCTOBER.since <= q.created_at < OCTOBER.until]
    assert board.figure("questions") == len(asked) == 5
    by_peer = sum(1 for q in asked if q.answers.filter(as_it=False).exists())
    assert board.figure("peer_share") == round(100 * by_peer / len(asked), 1) == 60.0
    waits = [
        (min(a.created_at for a in q.answers.all()) - q.created_at).total_seconds()
        for q in asked
        if q.answers.exists()
    ]
    assert board.figure("median_first_answer") == round(nearest_rank(waits, 0.5) / 3600, 1) == 4.0  # type: ignore[operator]
    assert board.figure("unanswered") == 1
    assert board.table("answers").rows == [["Collègues", 2], ["Agents de la DSI", 2]]  # type: ignore[union-attr]
    assert board.table("helpers").rows == [["Paul Pair", 2, 1]]  # type: ignore[union-attr]


def test_service_watch(db: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    vpn = Service.objects.create(name="VPN", position=1)
    mail = Service.objects.create(name="Messagerie", position=2)
    check = Check.objects.create(
        service=vpn, name="vpn", kind=CheckKind.TCP, target="vpn.example.fr:443"
    )
    other = Check.objects.create(
        service=mail, name="mail", kind=CheckKind.TCP, target="mail.example.fr:443"
    )
    for day, total, failures in (
        (date(2026, 9, 30), 1440, 1440),
        (date(2026, 10, 1), 1440, 0),
        (date(2026, 10, 31), 1440, 144),
        (date(2026, 11, 1), 1440, 1440),
    ):
        DailyRollup.objects.create(check_ref=check, day=day, total=total, failures=failures)
    DailyRollup.objects.create(check_ref=other, day=date(2026, 10, 10), total=100, failures=1)
    first = Incident.objects.create(
        service=vpn,
        title="VPN coupé",
        started_at=at("2026-10-03", "08:00"),
        resolved_at=at("2026-10-03", "09:30"),
    )
    Alert.objects.create(
        incident=first, kind="down", recipient=admin, acknowledged_at=at("2026-10-03", "08:10")
    )
    Alert.objects.create(
        incident=first, kind="reminder", recipient=admin, acknowledged_at=at("2026-10-03", "08:50")
    )
    Incident.objects.create(service=mail, title="Lenteurs", started_at=at("2026-10-20", "14:00"))
    Incident.objects.create(
        service=vpn, title="Hors période", started_at=at("2026-09-29"), resolved_at=at("2026-10-02")
    )

    board = selectors.dashboard("watch", period=OCTOBER, filters=NONE)

    rollups = DailyRollup.objects.filter(
        day__gte=OCTOBER.start, day__lte=OCTOBER.end, check_ref=check
    )
    total = sum(r.total for r in rollups)
    up = total - sum(r.failures for r in rollups)
    assert board.table("uptime").rows == [
        ["VPN", round(100 * up / total, 3), 2880, 144],
        ["Messagerie", 99.0, 100, 1],
    ]  # type: ignore[union-attr]
    assert board.figure("incidents") == 2
    assert board.figure("ack_median") == 10.0  # the first acknowledgement counts
    assert board.figure("resolve_median") == 90.0
    assert board.table("incidents_by_service").rows == [["Messagerie", 1], ["VPN", 1]]  # type: ignore[union-attr]


def test_assets(db: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    active = Campaign.objects.create(
        name="Portables 2026",
        state=CampaignState.ACTIVE,
        created_by=admin,
        due_on=date(2026, 12, 1),
    )
    Campaign.objects.create(name="Brouillon", state=CampaignState.DRAFT, created_by=admin)
    states = [TargetState.DELIVERED] * 3 + [
        TargetState.REFUSED,
        TargetState.READY,
        TargetState.TO_PREPARE,
    ]
    for state in states:
        CampaignTarget.objects.create(campaign=active, person=UserFactory(), state=state)

    board = selectors.dashboard("park", period=OCTOBER, filters=NONE)

    row = board.table("campaigns").rows[0]  # type: ignore[union-attr]
    assert row == ["Portables 2026", date(2026, 12, 1), 6, 1, 1, 3, 1, round(100 * 4 / 6, 1)]
    assert board.figure("campaigns") == 1
    from relais.accounts.models import User

    assert board.figure("people") == User.objects.filter(is_active=True).count()
    assert board.figure("ready") == 0  # nobody has a laptop and remote access yet
