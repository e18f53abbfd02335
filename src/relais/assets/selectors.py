"""Reads of the asset park, shared by the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from relais.accounts.models import OrgUnit, Site, User
from relais.assets import permissions
from relais.assets.choices import (
    HELD_STATES,
    REMOTE_ACCESS_KINDS,
    AssetKind,
    AssetState,
    TargetState,
)
from relais.assets.filters import AssetFilterForm
from relais.assets.models import (
    Asset,
    AssetEvent,
    AssetType,
    Campaign,
    CampaignTarget,
    Loan,
    RemoteAccess,
    TicketAsset,
)

LIST_RELATED = ("model", "asset_type", "assigned_to", "site")


# What the list page and the API list show: narrower rows than whole assets and people.
LIST_FIELDS = (
    "id",
    "tag",
    "serial_number",
    "hostname",
    "mac_address",
    "state",
    "updated_at",
    "model_id",
    "asset_type_id",
    "assigned_to_id",
    "site_id",
    "model__name",
    "model__manufacturer",
    "asset_type__name",
    "asset_type__kind",
    "assigned_to__display_name",
    "site__name",
)


def asset_list(viewer: Any, filters: AssetFilterForm) -> QuerySet[Asset]:
    qs = permissions.assets.scope(viewer, "view").select_related(*LIST_RELATED)
    return filters.apply(qs).only(*LIST_FIELDS)


def asset_export_list(viewer: Any, filters: AssetFilterForm) -> QuerySet[Asset]:
    qs = permissions.assets.scope(viewer, "view").select_related(*LIST_RELATED, "supplier")
    return filters.apply(qs)


def my_assets(viewer: Any) -> list[Asset]:
    return list(
        permissions.assets.scope(viewer, "view")
        .filter(assigned_to=viewer)
        .select_related("model", "asset_type")
        .order_by("asset_type__name", "tag")
    )


def my_loans(viewer: Any) -> list[Loan]:
    return list(
        permissions.loans.scope(viewer, "view")
        .filter(borrower=viewer, returned_at__isnull=True)
        .select_related("asset__model")
    )


def asset_history(asset: Asset) -> list[AssetEvent]:
    return list(asset.events.select_related("actor", "from_user", "to_user")[:200])


def asset_tickets(viewer: Any, asset: Asset) -> list[Any]:
    """Tickets about the asset that the viewer may see."""
    from relais.tickets.permissions import tickets as ticket_policy

    visible = ticket_policy.scope(viewer, "view")
    ids = TicketAsset.objects.filter(asset=asset).values("ticket_id")
    return list(visible.filter(pk__in=ids).order_by("-created_at")[:50])


def ticket_page_assets(ticket: Any) -> tuple[list[Asset], list[Asset]]:
    """The assets a ticket is about, then the other assets its requester holds, in one query
    (each side is an index lookup; the union feeds a primary-key lookup)."""
    linked_ids = TicketAsset.objects.filter(ticket=ticket).order_by().values("asset_id")
    held_ids = (
        Asset.objects.filter(assigned_to=ticket.requester_id, state__in=HELD_STATES)
        .order_by()
        .values("pk")
    )
    rows = (
        Asset.objects.filter(pk__in=linked_ids.union(held_ids, all=True))
        .annotate(is_linked=Exists(TicketAsset.objects.filter(ticket=ticket, asset=OuterRef("pk"))))
        .select_related("model", "asset_type")
        .order_by("tag")
    )
    linked: list[Asset] = []
    others: list[Asset] = []
    for asset in rows:
        (linked if asset.is_linked else others).append(asset)
    return linked, others


def overdue_loans(viewer: Any) -> QuerySet[Loan]:
    return (
        permissions.loans.scope(viewer, "view")
        .filter(returned_at__isnull=True, due_on__lt=timezone.localdate())
        .select_related("asset__model", "borrower")
        .order_by("due_on", "id")
    )


def open_loans(viewer: Any) -> QuerySet[Loan]:
    return (
        permissions.loans.scope(viewer, "view")
        .filter(returned_at__isnull=True)
        .select_related("asset__model", "borrower")
        .order_by("due_on", "id")
    )


# --- Campaigns --------------------------------------------------------------------------------


@dataclass
class CampaignProgress:
    total: int
    by_state: dict[str, int]
    by_direction: list[dict[str, Any]]

    @property
    def done(self) -> int:
        return self.by_state.get(TargetState.DELIVERED, 0) + self.by_state.get(
            TargetState.REFUSED, 0
        )

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    rows = (
        CampaignTarget.objects.filter(campaign=campaign)
        .values("direction_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_state: dict[str, int] = dict.fromkeys(TargetState.values, 0)
    per_direction: dict[int | None, dict[str, int]] = {}
    for row in rows:
        by_state[row["state"]] += row["n"]
        per_direction.setdefault(row["direction_id"], dict.fromkeys(TargetState.values, 0))[
            row["state"]
        ] += row["n"]
    names = dict(
        OrgUnit.objects.filter(pk__in=[k for k in per_direction if k]).values_list("pk", "name")
    )
    by_direction = []
    for direction_id, counts in per_direction.items():
        total = sum(counts.values())
        by_direction.append(
            {
                "name": names.get(direction_id, "—") if direction_id else "—",
                "total": total,
                "counts": counts,
                "delivered": counts[TargetState.DELIVERED],
                "waiting": counts[TargetState.TO_PREPARE] + counts[TargetState.READY],
            }
        )
    by_direction.sort(key=lambda d: str(d["name"]))
    return CampaignProgress(sum(by_state.values()), by_state, by_direction)


def campaign_targets(campaign: Campaign, *, state: str | None = None) -> QuerySet[CampaignTarget]:
    qs = CampaignTarget.objects.filter(campaign=campaign).select_related(
        "person", "direction", "asset", "person__site"
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("direction__name", "person__display_name", "id")


# --- Telework readiness -----------------------------------------------------------------------


@dataclass
class ReadinessGroup:
    name: str
    total: int = 0
    laptop: int = 0
    remote: int = 0
    unblocked: int = 0
    ready: int = 0

    def pct(self, value: int) -> int:
        return round(value * 100 / self.total) if self.total else 0

    @property
    def laptop_pct(self) -> int:
        return self.pct(self.laptop)

    @property
    def remote_pct(self) -> int:
        return self.pct(self.remote)

    @property
    def unblocked_pct(self) -> int:
        return self.pct(self.unblocked)

    @property
    def ready_pct(self) -> int:
        return self.pct(self.ready)


@dataclass
class Readiness:
    overall: ReadinessGroup
    by_direction: list[ReadinessGroup] = field(default_factory=list)
    by_site: list[ReadinessGroup] = field(default_factory=list)
    not_ready: list[dict[str, Any]] = field(default_factory=list)


def readiness_people() -> QuerySet[Any, dict[str, Any]]:
    """Every active person, annotated with the three readiness conditions."""
    from relais.tickets.choices import OPEN_STATUSES, Priority
    from relais.tickets.models import Ticket

    held = Asset.objects.filter(
        assigned_to=OuterRef("pk"), state__in=(AssetState.ASSIGNED, AssetState.ON_LOAN)
    )
    # Type ids rather than a join on the type's kind: the holder index answers on its own.
    laptop_types = list(
        AssetType.objects.filter(kind=AssetKind.LAPTOP).values_list("pk", flat=True)
    )
    remote_types = list(
        AssetType.objects.filter(kind__in=list(REMOTE_ACCESS_KINDS)).values_list("pk", flat=True)
    )
    return (
        User.objects.filter(is_active=True)
        .annotate(
            has_laptop=Exists(held.filter(asset_type_id__in=laptop_types)),
            has_token=Exists(held.filter(asset_type_id__in=remote_types)),
            has_flag=Exists(RemoteAccess.objects.filter(person=OuterRef("pk"), enabled=True)),
            blocked=Exists(
                Ticket.objects.filter(
                    requester=OuterRef("pk"),
                    status__in=list(OPEN_STATUSES),
                    priority__in=[Priority.P1, Priority.P2],
                )
            ),
            direction_id=Coalesce("org_unit__parent_id", "org_unit_id"),
        )
        .values(
            "pk",
            "email",
            "display_name",
            "site_id",
            "direction_id",
            "has_laptop",
            "has_token",
            "has_flag",
            "blocked",
        )
        .order_by("display_name", "pk")
    )


def readiness(*, direction_id: int | None = None, site_id: int | None = None) -> Readiness:
    directions = dict(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", "name"))
    sites = dict(Site.objects.values_list("pk", "name"))
    overall = ReadinessGroup(name="")
    per_direction: dict[int | None, ReadinessGroup] = {}
    per_site: dict[int | None, ReadinessGroup] = {}
    not_ready: list[dict[str, Any]] = []
    for person in readiness_people():
        remote = person["has_token"] or person["has_flag"]
        ready = person["has_laptop"] and remote and not person["blocked"]
        d = per_direction.setdefault(
            person["direction_id"], ReadinessGroup(directions.get(person["direction_id"], "—"))
        )
        s = per_site.setdefault(
            person["site_id"], ReadinessGroup(sites.get(person["site_id"], "—"))
        )
        for group in (overall, d, s):
            group.total += 1
            group.laptop += person["has_laptop"]
            group.remote += bool(remote)
            group.unblocked += not person["blocked"]
            group.ready += bool(ready)
        if not ready:
            if direction_id and person["direction_id"] != direction_id:
                continue
            if site_id and person["site_id"] != site_id:
                continue
            not_ready.append(
                {
                    **person,
                    "remote": remote,
                    "direction": directions.get(person["direction_id"], ""),
                    "site": sites.get(person["site_id"], ""),
                }
            )
    return Readiness(
        overall=overall,
        by_direction=sorted(per_direction.values(), key=lambda g: g.name),
        by_site=sorted(per_site.values(), key=lambda g: g.name),
        not_ready=not_ready,
    )
