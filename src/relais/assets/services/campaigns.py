"""Deployment campaigns: a target population, the models to deploy, each person's state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from relais.accounts.choices import OrgUnitKind
from relais.accounts.models import OrgUnit, Site, User
from relais.assets import permissions
from relais.assets.choices import AssetState, CampaignState, TargetState
from relais.assets.models import Asset, AssetModel, Campaign, CampaignTarget
from relais.assets.services.park import _apply_move

if TYPE_CHECKING:
    pass


def population(
    *, org_units: Sequence[OrgUnit], sites: Sequence[Site], people: Sequence[User]
) -> QuerySet[User]:  # type: ignore[name-defined]  # noqa: F821
    """Active people in any of the directions (or their services), sites, or listed."""
    condition = Q(pk__in=[p.pk for p in people])
    unit_ids = [u.pk for u in org_units]
    if unit_ids:
        condition |= Q(org_unit_id__in=unit_ids) | Q(org_unit__parent_id__in=unit_ids)
    if sites:
        condition |= Q(site_id__in=[s.pk for s in sites])
    return User.objects.filter(condition, is_active=True)


def _direction_id(user: User) -> int | None:
    unit = user.org_unit
    if unit is None:
        return None
    return unit.pk if unit.kind == OrgUnitKind.DIRECTION else unit.parent_id


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    models: Sequence[AssetModel] = (),
    org_units: Sequence[OrgUnit] = (),
    sites: Sequence[Site] = (),
    people: Sequence[User] = (),
    due_on: date | None = None,
) -> Campaign:
    if not permissions.campaigns.can(actor, "create"):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("A campaign needs a name.")
    if not (org_units or sites or people):
        errors["org_units"] = _("Choose the population: directions, sites or people.")
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        name=name.strip()[:150], description=description, due_on=due_on, created_by=actor
    )
    campaign.asset_models.set(models)
    campaign.org_units.set(org_units)
    campaign.sites.set(sites)
    targets = population(org_units=org_units, sites=sites, people=people).select_related("org_unit")
    CampaignTarget.objects.bulk_create(
        [
            CampaignTarget(campaign=campaign, person=p, direction_id=_direction_id(p))
            for p in targets.iterator(chunk_size=1000)
        ],
        batch_size=1000,
    )
    return campaign


@transaction.atomic
def campaign_close(*, actor: User, campaign: Campaign) -> Campaign:
    if not permissions.campaigns.can(actor, "edit", campaign):
        raise PermissionDenied
    campaign.state = CampaignState.CLOSED
    campaign.save(update_fields=["state", "updated_at"])
    return campaign


@transaction.atomic
def campaign_target_set(
    *,
    actor: User,
    target: CampaignTarget,
    state: str,
    asset: Asset | None = None,
    request: HttpRequest | None = None,
) -> CampaignTarget:
    """Record where a person's delivery stands. Delivering an asset assigns it to them
    (through the asset lifecycle: a stock asset is prepared, then assigned)."""
    if not permissions.campaigns.can(actor, "deliver", target.campaign):
        raise PermissionDenied
    if state not in TargetState.values:
        raise ValidationError({"state": _("Unknown state.")})
    if target.campaign.state == CampaignState.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    locked = CampaignTarget.objects.select_for_update().get(pk=target.pk)
    if asset is not None:
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if state != TargetState.DELIVERED:
            raise ValidationError({"asset": _("An asset is given only on delivery.")})
        if asset.state == AssetState.IN_STOCK:
            _apply_move(
                actor=actor,
                asset=asset,
                state=AssetState.PREPARED,
                holder=None,
                reason=target.campaign.name,
                request=request,
            )
        if not (asset.state == AssetState.ASSIGNED and asset.assigned_to_id == locked.person_id):
            _apply_move(
                actor=actor,
                asset=asset,
                state=AssetState.ASSIGNED,
                holder=locked.person,
                reason=target.campaign.name,
                request=request,
            )
        locked.asset = asset
    locked.state = state
    locked.updated_by = actor
    locked.save()
    return locked
