"""Knowledge, peer-help, service-watch and asset figures, each asserted against a computation
from the raw rows, with rows on both sides of the period's bounds."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from freezegun import freeze_time

from relais.accounts.choices import OrgUnitKind, Role
from relais.assets import services as asset_services
from relais.assets.choices import AssetKind, AssetState, CampaignState, TargetState
from relais.assets.models import (
    Asset,
    AssetModel,
    AssetType,
    Campaign,
    CampaignTarget,
    RemoteAccess,
)
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
from relais.tickets import services as ticket_services
from relais.tickets.choices import OPEN_STATUSES, Level, Priority
from relais.tickets.models import Category, Ticket
from tests.factories import OrgUnitFactory, SiteFactory, UserFactory
from tests.reports.conftest import OCTOBER, PARIS, at, nearest_rank

pytestmark = pytest.mark.django_db
NONE = TicketFilters()


def _local_day(when: datetime) -> date:
    return when.astimezone(PARIS).date()


def _in(when: datetime, period: Period = OCTOBER) -> bool:
    return period.start <= _local_day(when) <= period.end


def test_knowledge_figures_follow_the_period(db: Any) -> None:
    """Views, votes, searches without results and deflections recorded through the services
    at chosen instants around both bounds of October (local days: 00:30 on 1 November in
    Paris is still 31 October in UTC), each figure against the list of what happened."""
    owner = UserFactory(role=Role.AGENT)
    readers = [UserFactory() for _n in range(4)]

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
    per_day = Counter(_local_day(d.created_at) for d in Deflection.objects.all())
    assert board.table("deflections").rows == [  # type: ignore[union-attr]
        [day, per_day[day]] for day in OCTOBER.buckets()
    ]
    assert board.table("deflections").rows[0] == [date(2026, 10, 1), 1]  # type: ignore[union-attr]
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
    for _view in range(3):
        kb_services.article_viewed(article, day=date(2026, 10, 5))
    kb_services.article_viewed(article, day=date(2026, 10, 6))
    assert sorted(
        ArticleDailyViews.objects.filter(article=article).values_list("day", "views")
    ) == [(date(2026, 10, 5), 3), (date(2026, 10, 6), 1)]


def test_community(db: Any) -> None:
    """Hidden questions and hidden answers (moderated) count nowhere; a question answered
    after the period still counts as asked in it, with its wait."""
    asker, peer, it = (
        UserFactory(),
        UserFactory(display_name="Paul Pair"),
        UserFactory(role=Role.AGENT),
    )

    def question(day: str, *answers: tuple[Any, bool, int], hidden: bool = False) -> Question:
        q = Question.objects.create(
            title=f"Question {day}", body="…", author=asker, is_hidden=hidden
        )
        Question.objects.filter(pk=q.pk).update(created_at=at(day))
        for author, as_it, after_hours in answers:
            a = Answer.objects.create(
                question=q, body="…", author=author, as_it=as_it, is_hidden=after_hours < 0
            )
            Answer.objects.filter(pk=a.pk).update(
                created_at=at(day) + timedelta(hours=abs(after_hours))
            )
        return q

    question("2026-09-30", (peer, False, 1))  # before the period
    question("2026-10-02", (peer, False, 2), (it, True, 1))
    accepted = question("2026-10-05", (peer, False, 10))
    Question.objects.filter(pk=accepted.pk).update(accepted_answer=accepted.answers.get())
    question("2026-10-07", (it, True, 4))
    question("2026-10-09")
    question("2026-10-12", (peer, False, -1), (it, True, 5))  # the peer's answer was hidden
    question("2026-10-14", (peer, False, 1), hidden=True)  # hidden, with its answers
    question("2026-10-31", (peer, False, 30))  # answered in November

    board = selectors.dashboard("community", period=OCTOBER, filters=NONE)

    asked = [
        q
        for q in Question.objects.filter(is_hidden=False)
        if OCTOBER.since <= q.created_at < OCTOBER.until
    ]
    visible = {q.pk: list(q.answers.filter(is_hidden=False)) for q in asked}
    by_peer = [q for q in asked if any(not a.as_it for a in visible[q.pk])]
    by_it_only = [q for q in asked if visible[q.pk] and q not in by_peer]
    unanswered = [q for q in asked if not visible[q.pk]]
    assert board.figure("questions") == len(asked) == 6
    assert board.figure("peer_share") == round(100 * len(by_peer) / len(asked), 1) == 50.0
    waits = [
        (min(a.created_at for a in visible[q.pk]) - q.created_at).total_seconds()
        for q in asked
        if visible[q.pk]
    ]
    assert board.figure("median_first_answer") == round(nearest_rank(waits, 0.5) / 3600, 1) == 5.0  # type: ignore[operator]
    assert board.figure("unanswered") == len(unanswered) == 1
    assert board.table("questions").rows == [  # type: ignore[union-attr]
        [label, len(group), round(100 * len(group) / len(asked), 1)]
        for label, group in (
            (_("Answered by a peer"), by_peer),
            (_("Answered by IT only"), by_it_only),
            (_("Unanswered"), unanswered),
        )
    ]
    answered = [
        a
        for a in Answer.objects.filter(is_hidden=False, question__is_hidden=False)
        if OCTOBER.since <= a.created_at < OCTOBER.until
    ]
    assert board.table("answers").rows == [  # type: ignore[union-attr]
        ["Collègues", sum(1 for a in answered if not a.as_it)],
        ["Agents de la DSI", sum(1 for a in answered if a.as_it)],
    ]
    assert board.table("answers").rows == [["Collègues", 2], ["Agents de la DSI", 3]]  # type: ignore[union-attr]
    peers = Counter(a.author.display_name for a in answered if not a.as_it)
    accepted_ids = set(Question.objects.values_list("accepted_answer_id", flat=True))
    assert board.table("helpers").rows == [  # type: ignore[union-attr]
        [
            name,
            n,
            sum(1 for a in answered if a.author.display_name == name and a.pk in accepted_ids),
        ]
        for name, n in peers.most_common()
    ]
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

    def incident(
        service: Service, title: str, started: datetime, resolved: datetime | None, *acks: Any
    ) -> None:
        made = Incident.objects.create(
            service=service, title=title, started_at=started, resolved_at=resolved
        )
        for kind, when in acks:
            Alert.objects.create(incident=made, kind=kind, recipient=admin, acknowledged_at=when)

    incident(
        vpn,
        "VPN coupé",
        at("2026-10-03", "08:00"),
        at("2026-10-03", "09:30"),
        ("down", at("2026-10-03", "08:10")),
        ("reminder", at("2026-10-03", "08:50")),
    )
    incident(mail, "Lenteurs", at("2026-10-20", "14:00"), None)
    # Spans the period's end: begun late on 31 October, resolved on 1 November.
    incident(
        mail,
        "Messagerie lente",
        at("2026-10-31", "23:00"),
        at("2026-11-01", "01:00"),
        ("down", at("2026-10-31", "23:30")),
    )
    # Begun at 00:30 on 1 November in Paris (still 31 October in UTC): November's.
    incident(vpn, "Novembre", at("2026-11-01", "00:30"), None)
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
    started = [
        i
        for i in Incident.objects.order_by("-started_at")
        if OCTOBER.since <= i.started_at < OCTOBER.until
    ]

    def minutes(since: datetime, until: datetime | None) -> float | None:
        return None if until is None else round((until - since).total_seconds() / 60, 1)

    def acknowledged(incident: Incident) -> datetime | None:
        times = [a.acknowledged_at for a in incident.alerts.all() if a.acknowledged_at]
        return min(times) if times else None  # the first acknowledgement counts

    to_ack = [minutes(i.started_at, acknowledged(i)) for i in started if acknowledged(i)]
    to_resolve = [minutes(i.started_at, i.resolved_at) for i in started if i.resolved_at]
    assert board.figure("incidents") == len(started) == 3
    assert (board.figure("ack_median"), board.figure("ack_p90")) == (
        nearest_rank(to_ack, 0.5),  # type: ignore[arg-type]
        nearest_rank(to_ack, 0.9),  # type: ignore[arg-type]
    )
    assert (board.figure("ack_median"), board.figure("ack_p90")) == (10.0, 30.0)
    assert (board.figure("resolve_median"), board.figure("resolve_p90")) == (
        nearest_rank(to_resolve, 0.5),  # type: ignore[arg-type]
        nearest_rank(to_resolve, 0.9),  # type: ignore[arg-type]
    )
    assert (board.figure("resolve_median"), board.figure("resolve_p90")) == (90.0, 120.0)
    assert board.table("incidents").rows == [  # type: ignore[union-attr]
        [
            date_format(timezone.localtime(i.started_at), "SHORT_DATETIME_FORMAT"),
            i.service.name,
            i.title,
            minutes(i.started_at, acknowledged(i)),
            minutes(i.started_at, i.resolved_at),
        ]
        for i in started
    ]
    per_service = Counter(i.service.name for i in started)
    assert board.table("incidents_by_service").rows == sorted(  # type: ignore[union-attr]
        ([name, n] for name, n in per_service.items()), key=lambda r: (-r[1], r[0])
    )
    assert board.table("incidents_by_service").rows == [["Messagerie", 2], ["VPN", 1]]  # type: ignore[union-attr]


def test_assets(db: Any) -> None:
    """Campaign progress, and telework readiness by direction and site against the people's
    own rows: a laptop held, remote access (a security key held, or the access flag), and no
    open critical or high ticket of theirs."""
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

    direction = OrgUnitFactory(name="Direction de la proximité")
    agency = OrgUnitFactory(name="Agence Nord", parent=direction, kind=OrgUnitKind.SERVICE)
    lille, roubaix = SiteFactory(name="Lille"), SiteFactory(name="Roubaix")
    ready = UserFactory(org_unit=agency, site=lille)
    blocked = UserFactory(org_unit=agency, site=lille)
    laptop_only = UserFactory(org_unit=direction, site=roubaix)
    flag_only = UserFactory(org_unit=direction, site=roubaix)
    laptops = AssetModel.objects.create(
        asset_type=AssetType.objects.get(kind=AssetKind.LAPTOP), manufacturer="Dell", name="5440"
    )
    keys = AssetModel.objects.create(
        asset_type=AssetType.objects.get(kind=AssetKind.SECURITY_KEY),
        manufacturer="Yubico",
        name="5 NFC",
    )
    for n, (model, person) in enumerate(
        [(laptops, ready), (keys, ready), (laptops, blocked), (laptops, laptop_only)]
    ):
        asset = asset_services.asset_create(
            actor=admin, data=asset_services.AssetData(model=model, tag=f"A-{n}")
        )
        asset_services.asset_move(actor=admin, asset=asset, state=AssetState.PREPARED)
        asset_services.asset_move(
            actor=admin, asset=asset, state=AssetState.ASSIGNED, holder=person
        )
    RemoteAccess.objects.create(person=blocked, enabled=True)
    RemoteAccess.objects.create(person=flag_only, enabled=True)
    vpn = Category.objects.get(name="VPN", parent__name="Connexion & VPN")
    ticket_services.ticket_open(
        actor=blocked,
        requester=blocked,
        draft=ticket_services.TicketDraft(
            category=vpn, title="VPN", description="Coupé.", impact=Level.HIGH, urgency=Level.HIGH
        ),
    )

    board = selectors.dashboard("park", period=OCTOBER, filters=NONE)

    row = board.table("campaigns").rows[0]  # type: ignore[union-attr]
    assert row == ["Portables 2026", date(2026, 12, 1), 6, 1, 1, 3, 1, round(100 * 4 / 6, 1)]
    assert board.figure("campaigns") == 1

    from relais.accounts.models import User

    def holds(person: User, kinds: set[str]) -> bool:
        return Asset.objects.filter(
            assigned_to=person,
            state__in=[AssetState.ASSIGNED, AssetState.ON_LOAN],
            asset_type__kind__in=kinds,
        ).exists()

    groups: dict[tuple[str, str], list[int]] = {}
    for person in User.objects.filter(is_active=True).select_related("org_unit", "site"):
        laptop = holds(person, {AssetKind.LAPTOP})
        remote = (
            holds(person, {AssetKind.SECURITY_KEY})
            or RemoteAccess.objects.filter(person=person, enabled=True).exists()
        )
        unblocked = not Ticket.objects.filter(
            requester=person,
            status__in=list(OPEN_STATUSES),
            priority__in=[Priority.P1, Priority.P2],
        ).exists()
        unit = person.org_unit
        top = (unit.parent if unit and unit.parent else unit).name if unit else "—"
        counts = [1, laptop, remote, unblocked, laptop and remote and unblocked]
        for key in (
            ("all", ""),
            ("direction", top),
            ("site", person.site.name if person.site else "—"),
        ):
            groups[key] = [
                a + int(b) for a, b in zip(groups.get(key, [0] * 5), counts, strict=True)
            ]

    def row_of(name: str, counts: list[int]) -> list[Any]:
        total = counts[0]
        return [name, total, *[round(c * 100 / total) for c in counts[1:]]]

    everyone = groups[("all", "")]
    assert board.figure("people") == everyone[0] == User.objects.filter(is_active=True).count()
    assert board.figure("ready") == round(everyone[4] * 100 / everyone[0])
    directions = board.table("readiness_directions")
    assert directions is not None
    assert directions.rows == [
        row_of(_("Everyone"), everyone),
        *sorted(row_of(k[1], v) for k, v in groups.items() if k[0] == "direction"),
    ]
    assert board.table("readiness_sites").rows == sorted(  # type: ignore[union-attr]
        row_of(k[1], v) for k, v in groups.items() if k[0] == "site"
    )
    # Of the two people of Lille, one is ready; the other is blocked by their P1 ticket.
    assert row_of("Lille", groups[("site", "Lille")]) == ["Lille", 2, 100, 100, 50, 50]
