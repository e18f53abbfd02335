"""The asset park over the API: the same services, selectors and policies as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from relais.accounts.models import Site, User
from relais.accounts.selectors import current_user
from relais.assets import permissions, selectors, services
from relais.assets.choices import AssetState, EventKind, ReturnCondition, TargetState
from relais.assets.filters import FILTER_KEYS, AssetFilterForm
from relais.assets.models import Asset, AssetModel, CampaignTarget, Supplier
from relais.core.api import ApiError, ErrorOut, Page

router = Router(tags=["assets"])


class AssetOut(Schema):
    id: int
    tag: str
    serial_number: str
    hostname: str
    mac_address: str
    type: str = Field(..., alias="asset_type.name")
    kind: str = Field(..., alias="asset_type.kind")
    model_id: int
    model: str = Field(..., alias="model.name")
    manufacturer: str = Field(..., alias="model.manufacturer")
    state: AssetState
    assigned_to_id: int | None
    site_id: int | None
    updated_at: datetime


class AssetDetailOut(AssetOut):
    stock_room: str
    supplier_id: int | None
    purchase_date: date | None
    warranty_end: date | None
    cost: Decimal | None
    notes: str
    version: int


class AssetFilters(Schema):
    q: str | None = None
    state: AssetState | None = None
    type: int | None = None
    site: int | None = None
    holder: int | None = None
    ordering: str | None = None


class AssetIn(Schema):
    tag: str = Field("", max_length=32)
    model_id: int
    serial_number: str = Field("", max_length=64)
    hostname: str = Field("", max_length=63)
    mac_address: str = Field("", max_length=32)
    site_id: int | None = None
    stock_room: str = Field("", max_length=100)
    supplier_id: int | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None
    cost: Decimal | None = None
    notes: str = Field("", max_length=5000)


class AssetPatch(AssetIn):
    version: int = Field(..., description="The version you read; a stale one is 409.")


class MoveIn(Schema):
    state: AssetState
    holder_id: int | None = None
    reason: str = Field("", max_length=500)


class EventOut(Schema):
    kind: EventKind
    actor_id: int | None
    from_state: str
    to_state: str
    from_user_id: int | None
    to_user_id: int | None
    reason: str
    created_at: datetime


class LoanOut(Schema):
    id: int
    asset_id: int
    borrower_id: int
    starts_on: date
    due_on: date
    returned_at: datetime | None
    return_condition: str


class LoanIn(Schema):
    asset_id: int
    borrower_id: int
    due_on: date
    reason: str = Field("", max_length=500)


class ReturnIn(Schema):
    condition: ReturnCondition
    notes: str = Field("", max_length=500)


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    due_on: date | None
    total: int
    done: int
    percent: int
    by_state: dict[str, int]


class TargetOut(Schema):
    id: int
    person_id: int
    direction_id: int | None
    state: TargetState
    asset_id: int | None


class TargetIn(Schema):
    state: TargetState
    asset_id: int | None = None


def _person(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise ValidationError({field: "Unknown person."})
    return person


def _data(payload: AssetIn) -> services.AssetData:
    model = AssetModel.objects.filter(pk=payload.model_id).first()
    if model is None:
        raise ValidationError({"model_id": "Unknown model."})
    site = Site.objects.filter(pk=payload.site_id).first() if payload.site_id else None
    if payload.site_id and site is None:
        raise ValidationError({"site_id": "Unknown site."})
    supplier = (
        Supplier.objects.filter(pk=payload.supplier_id).first() if payload.supplier_id else None
    )
    if payload.supplier_id and supplier is None:
        raise ValidationError({"supplier_id": "Unknown supplier."})
    return services.AssetData(
        model=model,
        tag=payload.tag,
        serial_number=payload.serial_number,
        hostname=payload.hostname,
        mac_address=payload.mac_address,
        site=site,
        stock_room=payload.stock_room,
        supplier=supplier,
        purchase_date=payload.purchase_date,
        warranty_end=payload.warranty_end,
        cost=payload.cost,
        notes=payload.notes,
    )


def _detail_qs(request: HttpRequest) -> Any:
    return permissions.assets.scope(current_user(request), "view").select_related(
        "model", "asset_type"
    )


@router.get("/assets", response={200: list[AssetOut], 400: ErrorOut, 403: ErrorOut})
@paginate(Page)
def list_assets(request: HttpRequest, filters: Query[AssetFilters]) -> Any:
    user = current_user(request)
    if not permissions.assets.can(user, "list"):
        raise PermissionDenied
    unknown = sorted(set(request.GET) - FILTER_KEYS)
    if unknown:
        raise ApiError(400, f"Unknown parameters: {', '.join(unknown)}.", "bad_request")
    form = AssetFilterForm(request.GET)
    if not form.is_valid():
        raise ValidationError([f"{name}: {errs[0]}" for name, errs in form.errors.items()])
    return selectors.asset_list(user, form)


@router.get("/assets/mine", response=list[AssetOut], summary="The caller's own equipment")
def my_assets(request: HttpRequest) -> Any:
    return selectors.my_assets(current_user(request))


@router.post("/assets", response={201: AssetDetailOut, 400: ErrorOut, 403: ErrorOut})
def create_asset(request: HttpRequest, payload: AssetIn) -> Status:
    user = current_user(request)
    if not permissions.assets.can(user, "create"):
        raise PermissionDenied
    asset = services.asset_create(actor=user, data=_data(payload), request=request)
    return Status(201, _detail_qs(request).get(pk=asset.pk))


@router.get("/assets/{asset_id}", response={200: AssetDetailOut, 404: ErrorOut})
def get_asset(request: HttpRequest, asset_id: int) -> Any:
    permissions.assets.get_or_404(current_user(request), asset_id)
    return _detail_qs(request).get(pk=asset_id)


@router.patch(
    "/assets/{asset_id}",
    response={200: AssetDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_asset(request: HttpRequest, asset_id: int, payload: AssetPatch) -> Any:
    user = current_user(request)
    asset = permissions.assets.get_for(user, asset_id, "edit")
    try:
        services.asset_update(
            actor=user,
            asset=asset,
            data=_data(payload),
            expected_version=payload.version,
            request=request,
        )
    except services.AssetConflict as exc:
        raise ApiError(409, "The asset changed since you read it.", "conflict") from exc
    return _detail_qs(request).get(pk=asset_id)


@router.post(
    "/assets/{asset_id}/state",
    response={200: AssetDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Move an asset along its lifecycle (assign, repair, retire…)",
)
def move_asset(request: HttpRequest, asset_id: int, payload: MoveIn) -> Any:
    user = current_user(request)
    asset = permissions.assets.get_for(user, asset_id, "move")
    services.asset_move(
        actor=user,
        asset=asset,
        state=payload.state,
        holder=_person(payload.holder_id, "holder_id"),
        reason=payload.reason,
        request=request,
    )
    return _detail_qs(request).get(pk=asset_id)


@router.get(
    "/assets/{asset_id}/history",
    response={200: list[EventOut], 403: ErrorOut, 404: ErrorOut},
    summary="States and assignments of an asset, newest first",
)
def asset_history(request: HttpRequest, asset_id: int) -> Any:
    asset = permissions.assets.get_for(current_user(request), asset_id, "history")
    return selectors.asset_history(asset)


@router.get("/loans", response={200: list[LoanOut], 403: ErrorOut})
@paginate(Page)
def list_loans(request: HttpRequest, overdue: bool = False) -> Any:
    user = current_user(request)
    if not permissions.is_desk(user):
        raise PermissionDenied
    return selectors.overdue_loans(user) if overdue else selectors.open_loans(user)


@router.post("/loans", response={201: LoanOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def create_loan(request: HttpRequest, payload: LoanIn) -> Status:
    user = current_user(request)
    asset = permissions.assets.get_for(user, payload.asset_id, "lend")
    borrower = _person(payload.borrower_id, "borrower_id")
    assert borrower is not None
    loan = services.loan_create(
        actor=user,
        asset=asset,
        borrower=borrower,
        due_on=payload.due_on,
        reason=payload.reason,
        request=request,
    )
    return Status(201, loan)


@router.post(
    "/loans/{loan_id}/return",
    response={200: LoanOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def return_loan(request: HttpRequest, loan_id: int, payload: ReturnIn) -> Any:
    user = current_user(request)
    loan = permissions.loans.get_for(user, loan_id, "return")
    return services.loan_return(
        actor=user, loan=loan, condition=payload.condition, notes=payload.notes, request=request
    )


def _campaign_out(campaign: Any) -> dict[str, Any]:
    progress = selectors.campaign_progress(campaign)
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "state": campaign.state,
        "due_on": campaign.due_on,
        "total": progress.total,
        "done": progress.done,
        "percent": progress.percent,
        "by_state": progress.by_state,
    }


@router.get("/campaigns", response={200: list[CampaignOut], 403: ErrorOut})
def list_campaigns(request: HttpRequest) -> Any:
    user = current_user(request)
    if not permissions.campaigns.can(user, "list"):
        raise PermissionDenied
    return [_campaign_out(c) for c in permissions.campaigns.scope(user, "view")[:100]]


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, 404: ErrorOut})
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return _campaign_out(permissions.campaigns.get_or_404(current_user(request), campaign_id))


@router.get("/campaigns/{campaign_id}/targets", response={200: list[TargetOut], 404: ErrorOut})
@paginate(Page)
def list_targets(request: HttpRequest, campaign_id: int, state: TargetState | None = None) -> Any:
    campaign = permissions.campaigns.get_or_404(current_user(request), campaign_id)
    return selectors.campaign_targets(campaign, state=state)


@router.patch(
    "/campaigns/targets/{target_id}",
    response={200: TargetOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def update_target(request: HttpRequest, target_id: int, payload: TargetIn) -> Any:
    user = current_user(request)
    target = (
        CampaignTarget.objects.select_related("campaign")
        .filter(campaign__in=permissions.campaigns.scope(user, "deliver"), pk=target_id)
        .first()
    )
    if target is None:
        raise ApiError(404, "Not found.", "not_found")
    asset: Asset | None = None
    if payload.asset_id is not None:
        asset = permissions.assets.get_or_404(user, payload.asset_id)
    return services.campaign_target_set(
        actor=user, target=target, state=payload.state, asset=asset, request=request
    )
