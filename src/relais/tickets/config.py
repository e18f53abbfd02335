"""The desk's reference data, read once per process and reused until it changes.

Opening a ticket needs the priority matrix, the SLA policies, the calendars, the desk settings
and the category tree: six small tables that administrators change a few times a year, but
that every ticket, from every channel, used to read again (a query each). `desk_config()`
returns one immutable snapshot of them and costs one query: the version row, which any change
to those tables bumps in the same transaction (signals below, so the Django admin, the
services and the demo are all covered). A process sees a committed change on its next use; a
change rolled back rolls the version back with it, so no process keeps data that never existed.

The snapshot's model instances are shared between callers: read them, never change them.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save

from relais.tickets.choices import DEFAULT_PRIORITY_MATRIX, Level, Priority
from relais.tickets.models import (
    BusinessCalendar,
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

    def routing_team_id(self, category_id: int) -> int | None:
        """The team of the category, else of its nearest ancestor that has one."""
        for node in self.ancestry(category_id):
            if node in self.category_teams:
                return self.category_teams[node]
        return None


_lock = threading.Lock()
_cached: DeskConfig | None = None


def _version() -> int:
    value = ConfigVersion.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0


def desk_config() -> DeskConfig:
    """The current snapshot (one query when nothing changed)."""
    global _cached
    version = _version()  # read before the data: the data is at least as new as the version
    cached = _cached
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        _cached = _load(version)
        return _cached


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
    )


# --- invalidation -----------------------------------------------------------------------------


def config_changed(raw: bool = False, **_kwargs: Any) -> None:
    """Give the reference data a new version, in the caller's transaction. Versions are random,
    never reused: a snapshot taken inside a transaction that then rolls back carries a version
    that never becomes current, so no process can take it for a committed state."""
    global _cached
    if raw:  # loaddata: the version row itself may be among the rows still to load
        transaction.on_commit(config_changed)
        return
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


for _model in (BusinessCalendar, Category, DeskSettings, PriorityRule, SlaPolicy):
    post_save.connect(config_changed, sender=_model, dispatch_uid=f"desk-config-{_model.__name__}")
    post_delete.connect(
        config_changed, sender=_model, dispatch_uid=f"desk-config-del-{_model.__name__}"
    )
post_save.connect(_team_settings_changed, sender=TeamSettings, dispatch_uid="desk-config-team")
post_delete.connect(config_changed, sender=TeamSettings, dispatch_uid="desk-config-team-del")
