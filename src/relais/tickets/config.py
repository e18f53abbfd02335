"""The desk's reference data, read once per process and reused until it changes.

Opening a ticket needs the priority matrix, the SLA policies, the calendars, the desk settings
and the category tree, and lists show category and team names: small tables that
administrators change a few times a year, but that every ticket, from every channel, used to
read again (a query each). `desk_config()` returns one immutable snapshot of them and costs
one query: the version row, which any change to those tables bumps in the same transaction
(signals below, so the Django admin, the services and the demo are all covered). A process
sees a committed change on its next use; a change rolled back rolls the version back with it,
so no process keeps data that never existed.

The snapshot's model instances are shared between callers: read them, never change them.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse

from relais.accounts.models import Team
from relais.tickets.choices import DEFAULT_PRIORITY_MATRIX, Level, Priority
from relais.tickets.models import (
    BusinessCalendar,
    CannedResponse,
    Category,
    ConfigVersion,
    DeskSettings,
    PriorityRule,
    SlaPolicy,
    TeamSettings,
)


@dataclass(frozen=True)
class DeskConfig:
    version: int
    matrix: dict[tuple[str, str], Priority]
    # (priority, category id or None for the default policy) → policy, calendar joined
    policies: dict[tuple[str, int | None], SlaPolicy]
    parents: dict[int, int | None]  # category → its parent
    category_teams: dict[int, int]  # category → the team it routes to (own, not inherited)
    team_calendars: dict[int, BusinessCalendar]
    round_robin_teams: frozenset[int]
    default_calendar: BusinessCalendar | None
    settings: DeskSettings
    # The first active top-level category (where mail without a mailbox category is filed)
    first_category: Category | None = None
    # Every category with its parent joined, and every team (id and name): what lists show
    categories: dict[int, Category] = field(default_factory=dict)
    teams: dict[int, Team] = field(default_factory=dict)
    # person → the teams they belong to (desk permissions read it on every request)
    memberships: dict[int, frozenset[int]] = field(default_factory=dict)
    # Canned responses in title order (team None: every team's)
    canned: tuple[CannedResponse, ...] = ()

    def priority(self, impact: str, urgency: str) -> Priority:
        found = self.matrix.get((impact, urgency))
        if found is not None:
            return found
        return DEFAULT_PRIORITY_MATRIX[(Level(impact), Level(urgency))]

    def ancestry(self, category_id: int | None) -> list[int]:
        """The category, then its parent, up to the root."""
        chain: list[int] = []
        while category_id is not None and category_id not in chain:
            chain.append(category_id)
            category_id = self.parents.get(category_id)
        return chain

    def policy(self, priority: str, category_id: int | None) -> SlaPolicy | None:
        """The most specific policy: the category, then its ancestors, then the default."""
        for node in self.ancestry(category_id):
            found = self.policies.get((priority, node))
            if found is not None:
                return found
        return self.policies.get((priority, None))

    def canned_for(self, team_id: int | None) -> list[CannedResponse]:
        """The canned responses an agent sees on a ticket of the team: shared and the team's."""
        return [c for c in self.canned if c.team_id is None or c.team_id == team_id]

    def routing_team_id(self, category_id: int) -> int | None:
        """The team of the category, else of its nearest ancestor that has one."""
        for node in self.ancestry(category_id):
            if node in self.category_teams:
                return self.category_teams[node]
        return None


_lock = threading.Lock()
_cached: DeskConfig | None = None


def _version() -> int:
    # Read on most desk requests: plain SQL skips the ORM's query compilation.
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM tickets_configversion WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# Within one web request the snapshot is checked once (see RequestScopeMiddleware).
_request_slot: ContextVar[list[DeskConfig | None] | None] = ContextVar(
    "relais_desk_config", default=None
)


def desk_config() -> DeskConfig:
    """The current snapshot (one query when nothing changed; none the second time in a
    request)."""
    global _cached
    slot = _request_slot.get()
    if slot is not None and slot[0] is not None:
        return slot[0]
    version = _version()  # read before the data: the data is at least as new as the version
    cached = _cached
    if cached is None or cached.version != version:
        with _lock:
            cached = _cached = _load(version)
    if slot is not None:
        slot[0] = cached
    return cached


class RequestScopeMiddleware:
    """Lets a request check the reference data's version once, however many times its views,
    permissions and lists ask for it; a change made by the request itself renews it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_slot.set([None])
        try:
            return self.get_response(request)
        finally:
            _request_slot.reset(token)


def _load(version: int) -> DeskConfig:
    categories = list(Category.objects.values_list("pk", "parent_id", "team_id", "is_active"))
    roots = Category.objects.filter(is_active=True, parent__isnull=True).order_by("position", "pk")
    team_settings = list(TeamSettings.objects.select_related("calendar"))
    return DeskConfig(
        version=version,
        matrix={
            (rule.impact, rule.urgency): Priority(rule.priority)
            for rule in PriorityRule.objects.all()
        },
        policies={
            (policy.priority, policy.category_id): policy
            for policy in SlaPolicy.objects.select_related("calendar")
        },
        parents={pk: parent for pk, parent, _team, _active in categories},
        category_teams={pk: team for pk, _parent, team, _active in categories if team},
        team_calendars={ts.team_id: ts.calendar for ts in team_settings if ts.calendar is not None},
        round_robin_teams=frozenset(ts.team_id for ts in team_settings if ts.round_robin),
        default_calendar=BusinessCalendar.objects.filter(is_default=True).first(),
        settings=DeskSettings.load(),
        first_category=roots.first(),
        categories={c.pk: c for c in Category.objects.select_related("parent")},
        teams={t.pk: t for t in Team.objects.only("name", "code")},
        memberships=_memberships(),
        canned=tuple(CannedResponse.objects.order_by("title", "pk")),
    )


def _memberships() -> dict[int, frozenset[int]]:
    teams_of: dict[int, set[int]] = {}
    for user_id, team_id in Team.members.through.objects.values_list("user_id", "team_id"):
        teams_of.setdefault(user_id, set()).add(team_id)
    return {user_id: frozenset(teams) for user_id, teams in teams_of.items()}


# --- invalidation -----------------------------------------------------------------------------


def config_changed(raw: bool = False, **_kwargs: Any) -> None:
    """Give the reference data a new version, in the caller's transaction. Versions are random,
    never reused: a snapshot taken inside a transaction that then rolls back carries a version
    that never becomes current, so no process can take it for a committed state."""
    global _cached
    if raw:  # loaddata: the version row itself may be among the rows still to load
        transaction.on_commit(config_changed)
        return
    slot = _request_slot.get()
    if slot is not None:
        slot[0] = None
    version = secrets.randbits(62) + 1
    if not ConfigVersion.objects.filter(pk=1).update(value=version):
        try:
            with transaction.atomic():
                ConfigVersion.objects.create(pk=1, value=version)
        except IntegrityError:
            ConfigVersion.objects.filter(pk=1).update(value=version)
    _cached = None


def _team_settings_changed(
    sender: type[TeamSettings], update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    # Round robin writes the last assignee on every ticket: that is state, not configuration.
    if update_fields is not None and set(update_fields) <= {"last_assigned"}:
        return
    config_changed(**kwargs)


for _model in (
    BusinessCalendar,
    CannedResponse,
    Category,
    DeskSettings,
    PriorityRule,
    SlaPolicy,
    Team,
):
    post_save.connect(config_changed, sender=_model, dispatch_uid=f"desk-config-{_model.__name__}")
    post_delete.connect(
        config_changed, sender=_model, dispatch_uid=f"desk-config-del-{_model.__name__}"
    )
post_save.connect(_team_settings_changed, sender=TeamSettings, dispatch_uid="desk-config-team")
post_delete.connect(config_changed, sender=TeamSettings, dispatch_uid="desk-config-team-del")


def _members_changed(action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        config_changed()


m2m_changed.connect(
    _members_changed, sender=Team.members.through, dispatch_uid="desk-config-members"
)
post_delete.connect(
    config_changed, sender=Team.members.through, dispatch_uid="desk-config-member-del"
)
