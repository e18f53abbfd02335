"""A month of desk activity written through the ticket services at chosen instants, with the
edge cases the figures must get right: a ticket spanning the period's start and one spanning
its end, a paused SLA, a reopened ticket, a breach, ratings (one with a formula-like comment),
and another team's tickets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import get_resolver
from freezegun import freeze_time

from relais.accounts.choices import OrgUnitKind, Role
from relais.accounts.models import Team, User
from relais.reports.periods import Period
from relais.tickets import services
from relais.tickets.choices import Level, TicketStatus
from relais.tickets.models import Category, Ticket
from tests.factories import OrgUnitFactory, SiteFactory, TeamFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def at(day: str, hour: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hour}").replace(tzinfo=PARIS)


def within(value: Any, period: Period = OCTOBER) -> bool:
    """Is an instant (of a raw row) in the period?"""
    return value is not None and period.since <= value < period.until


def nearest_rank(values: list[float], fraction: float) -> float | None:
    """The percentile definition of the dashboards, recomputed independently."""
    values = sorted(values)
    return values[max(math.ceil(fraction * len(values)), 1) - 1] if values else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


@dataclass
class Desk:
    vpn: Team
    apps: Team
    supervisor: User
    vpn_agent: User
    apps_agent: User
    requester: User
    other_requester: User
    vpn_category: Category
    apps_category: Category
    tickets: dict[str, Ticket] = field(default_factory=dict)

    def open(
        self,
        name: str,
        when: datetime,
        *,
        category: Category | None = None,
        requester: User | None = None,
        impact: str = Level.LOW,
        urgency: str = Level.MEDIUM,
    ) -> Ticket:
        with freeze_time(when):
            ticket = services.ticket_open(
                actor=requester or self.requester,
                requester=requester or self.requester,
                draft=services.TicketDraft(
                    category=category or self.vpn_category,
                    title=f"Ticket {name}",
                    description="Le VPN se déconnecte.",
                    impact=impact,
                    urgency=urgency,
                ),
            )
        self.tickets[name] = ticket
        return ticket

    def reply(self, name: str, when: datetime) -> None:
        with freeze_time(when):
            services.ticket_reply(
                ticket=self.fresh(name), actor=self.supervisor, body="Nous regardons."
            )

    def status(self, name: str, status: str, when: datetime) -> None:
        changes: dict[str, Any] = {"status": status}
        if status == TicketStatus.RESOLVED:
            changes["resolution"] = "Réglé."
        with freeze_time(when):
            services.ticket_update(
                ticket=self.fresh(name),
                actor=self.supervisor,
                changes=changes,
                expected_version=None,
            )

    def reopen(self, name: str, when: datetime) -> None:
        with freeze_time(when):
            services.ticket_reopen(
                ticket=self.fresh(name), actor=self.supervisor, reason="Toujours en panne."
            )

    def rate(self, name: str, rating: int, comment: str, when: datetime) -> None:
        ticket = self.fresh(name)
        with freeze_time(when):
            services.ticket_rate(
                ticket=ticket, actor=ticket.requester, rating=rating, comment=comment
            )

    def fresh(self, name: str) -> Ticket:
        return Ticket.objects.get(pk=self.tickets[name].pk)


def make_desk() -> Desk:
    vpn = TeamFactory(name="Réseau et VPN", code="reseau-vpn")
    apps = TeamFactory(name="Applications métier", code="applications")
    root = Category.objects.get(name="Connexion & VPN", parent=None)
    vpn_category = Category.objects.get(name="VPN", parent=root)
    vpn_category.team = vpn
    vpn_category.save()
    apps_category = (
        Category.objects.filter(parent__isnull=False, extra_fields=[])
        .exclude(parent=root)
        .order_by("pk")
        .first()
    )
    assert apps_category is not None
    apps_category.team = apps
    apps_category.save()
    vpn_agent = UserFactory(role=Role.AGENT, display_name="Agent Réseau")
    vpn.members.add(vpn_agent)
    apps_agent = UserFactory(role=Role.AGENT, display_name="Agent Applis")
    apps.members.add(apps_agent)
    direction = OrgUnitFactory(name="Direction de la proximité")
    agency = OrgUnitFactory(name="Agence Nord", parent=direction, kind=OrgUnitKind.SERVICE)
    return Desk(
        vpn=vpn,
        apps=apps,
        supervisor=UserFactory(role=Role.SUPERVISOR, display_name="Superviseur"),
        vpn_agent=vpn_agent,
        apps_agent=apps_agent,
        requester=UserFactory(
            role=Role.COLLABORATOR, org_unit=agency, site=SiteFactory(name="Lille")
        ),
        other_requester=UserFactory(
            role=Role.COLLABORATOR, org_unit=OrgUnitFactory(), site=SiteFactory(name="Roubaix")
        ),
        vpn_category=vpn_category,
        apps_category=apps_category,
    )


def play_october(desk: Desk) -> Desk:
    # Spans the period's start: opened and answered in September, resolved in October.
    desk.open("spans_start", at("2026-09-28"))
    desk.reply("spans_start", at("2026-09-29"))
    desk.status("spans_start", TicketStatus.RESOLVED, at("2026-10-02"))
    # A paused SLA: waiting for the requester three days, then resolved and rated.
    desk.open("paused", at("2026-10-05", "09:00"))
    desk.reply("paused", at("2026-10-05", "09:30"))
    desk.status("paused", TicketStatus.WAITING_REQUESTER, at("2026-10-06"))
    desk.status("paused", TicketStatus.IN_PROGRESS, at("2026-10-09"))
    desk.status("paused", TicketStatus.RESOLVED, at("2026-10-12"))
    desk.rate("paused", 5, '=HYPERLINK("http://evil.example")', at("2026-10-13"))
    # Reopened, then resolved again.
    desk.open("reopened", at("2026-10-10"))
    desk.status("reopened", TicketStatus.RESOLVED, at("2026-10-11"))
    desk.reopen("reopened", at("2026-10-13"))
    desk.status("reopened", TicketStatus.RESOLVED, at("2026-10-20"))
    desk.rate("reopened", 2, "Trop long.", at("2026-10-21"))
    # Spans the period's end: opened late on the 31st (local time), resolved in November.
    desk.open("spans_end", at("2026-10-31", "23:30"))
    desk.status("spans_end", TicketStatus.RESOLVED, at("2026-11-02"))
    # Critical, answered and resolved late: both targets breached.
    desk.open("late", at("2026-10-07"), impact=Level.HIGH, urgency=Level.HIGH)
    desk.reply("late", at("2026-10-08"))
    desk.status("late", TicketStatus.RESOLVED, at("2026-10-25"))
    # Another team's ticket, still open, from another requester.
    desk.open("apps", at("2026-10-15"), category=desk.apps_category, requester=desk.other_requester)
    desk.reply("apps", at("2026-10-16"))
    # After the period.
    desk.open("november", at("2026-11-01", "00:10"))
    # Opened in the period, still open, never answered: the SLA watch records the breach.
    desk.open("waiting", at("2026-10-28"))
    with freeze_time(at("2026-11-05")):
        services.sla_watch()
    return desk


@pytest.fixture
def desk(db: Any) -> Desk:
    # Import the URLconf (and the API schemas) before any frozen clock: pydantic cannot build
    # a schema for freezegun's datetime class.
    get_resolver().url_patterns  # noqa: B018
    return make_desk()


@pytest.fixture
def october(desk: Desk) -> Desk:
    return play_october(desk)
