"""Knowledge, peer-help, service-watch and asset figures, each asserted against a computation
from the raw rows, with rows on both sides of the period's bounds."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest

from relais.accounts.choices import Role
from relais.assets.choices import CampaignState, TargetState
from relais.assets.models import Campaign, CampaignTarget
from relais.community.models import Answer, Question
from relais.kb.models import Article, ArticleFeedback, ArticleState
from relais.monitoring.choices import CheckKind
from relais.monitoring.models import Alert, Check, DailyRollup, Incident, Service
from relais.reports import selectors
from relais.reports.filters import TicketFilters
from relais.search.models import Deflection, ZeroResultQuery
from tests.factories import UserFactory
from tests.reports.conftest import OCTOBER, at

pytestmark = pytest.mark.django_db
NONE = TicketFilters()


def nearest_rank(values: list[float], fraction: float) -> float | None:
    values = sorted(values)
    return values[max(math.ceil(fraction * len(values)), 1) - 1] if values else None


def test_knowledge(db: Any) -> None:
    owner = UserFactory(role=Role.AGENT)
    readers = [UserFactory() for _ in range(4)]
    vpn = Article.objects.create(
        title="Configurer le VPN",
        body="…",
        owner=owner,
        state=ArticleState.PUBLISHED,
        view_count=40,
    )
    mail = Article.objects.create(
        title="Outlook", body="…", owner=owner, state=ArticleState.PUBLISHED, view_count=90
    )
    Article.objects.create(
        title="Brouillon", body="…", owner=owner, state=ArticleState.DRAFT, view_count=500
    )
    votes = [
        (vpn, readers[0], True, "2026-10-03"),
        (vpn, readers[1], True, "2026-10-20"),
        (vpn, readers[2], False, "2026-10-21"),
        (mail, readers[0], False, "2026-10-31"),
        (mail, readers[3], True, "2026-11-01"),
    ]
    for article, reader, useful, day in votes:
        feedback = ArticleFeedback.objects.create(article=article, user=reader, useful=useful)
        ArticleFeedback.objects.filter(pk=feedback.pk).update(created_at=at(day, "23:00"))
    ZeroResultQuery.objects.create(
        normalized="imprimante 3d", example="=imprimante 3D", count=7, last_seen=at("2026-10-15")
    )
    ZeroResultQuery.objects.create(
        normalized="badge", example="badge", count=30, last_seen=at("2026-09-15")
    )
    for day in ("2026-09-30", "2026-10-01", "2026-10-01", "2026-10-31", "2026-11-01"):
        Deflection.objects.create(
            query="vpn", kind="article", object_id=vpn.pk, created_at=at(day, "12:00")
        )

    board = selectors.dashboard("knowledge", period=OCTOBER, filters=NONE)

    in_period = [
        v for v in votes if date(2026, 10, 1) <= date.fromisoformat(v[3]) <= date(2026, 10, 31)
    ]
    useful = sum(1 for v in in_period if v[2])
    assert (
        (board.figure("useful"), board.figure("not_useful"))
        == (useful, len(in_period) - useful)
        == (2, 2)
    )
    assert board.figure("useful_share") == 50.0
    assert board.table("top_articles").rows == [["Outlook", 90], ["Configurer le VPN", 40]]  # type: ignore[union-attr]
    assert board.table("votes").rows == [["Configurer le VPN", 2, 1, 66.7], ["Outlook", 0, 1, 0.0]]  # type: ignore[union-attr]
    assert board.table("failed_searches").rows == [["=imprimante 3D", 7, date(2026, 10, 15)]]  # type: ignore[union-attr]
    assert (
        board.figure("deflections")
        == Deflection.objects.filter(
            created_at__gte=OCTOBER.since, created_at__lt=OCTOBER.until
        ).count()
        == 3
    )


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
