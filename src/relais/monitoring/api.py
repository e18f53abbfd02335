"""Service watch over the API: services, checks, results, incidents, maintenance windows,
on-call rotas, alert channels, remote probers' results and the heartbeat endpoint. Same
services and policies as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import HttpBearer

from relais.core.api import ApiError, ErrorOut, Id, Page
from relais.core.permissions import deny
from relais.monitoring import selectors, services
from relais.monitoring.choices import (
    ChannelKind,
    CheckKind,
    CheckState,
    IncidentImpact,
    IncidentStatus,
    UpdateVisibility,
)
from relais.monitoring.executors import Outcome
from relais.monitoring.models import (
    AlertChannel,
    Check,
    Maintenance,
    OnCallOverride,
    OnCallRota,
    RotaMember,
)
from relais.monitoring.permissions import (
    channel_policy,
    check_policy,
    incident_policy,
    is_admin,
    is_staff,
    maintenance_policy,
    rota_policy,
    service_policy,
)

router = Router(tags=["service watch"])


class ServiceOut(Schema):
    id: int
    name: str
    group: str | None = Field(None, alias="group.name")
    description: str
    state: str
    state_since: datetime
    is_public: bool
    locations_required: int


class ServiceIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    group: str | None = Field(None, max_length=100)
    is_public: bool = False
    locations_required: int = Field(1, ge=1, le=5)
    escalation_minutes: int = Field(15, ge=1, le=1440)
    reminder_minutes: int = Field(60, ge=0, le=1440)


class CheckOut(Schema):
    id: int
    service_id: int
    name: str
    kind: CheckKind
    target: str
    config: dict[str, Any]
    interval_seconds: int
    timeout_seconds: float
    failures_before_down: int
    successes_before_up: int
    auth_kind: str
    has_secret: bool
    heartbeat_cron: str
    grace_seconds: int
    is_enabled: bool
    state: CheckState
    last_result_at: datetime | None


class CheckIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: CheckKind
    target: str = Field("", max_length=500)
    config: dict[str, Any] = Field(default_factory=dict)
    interval_seconds: int = Field(60, ge=10, le=86400)
    timeout_seconds: float = Field(10, ge=0.5, le=60)
    failures_before_down: int = Field(3, ge=1, le=20)
    successes_before_up: int = Field(1, ge=1, le=20)
    auth_kind: str = Field("", pattern="^(|basic|bearer)$")
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=2000)
    token: str | None = Field(None, max_length=2000)
    heartbeat_cron: str = Field("", max_length=100)
    grace_seconds: int = Field(300, ge=0, le=86400)
    is_enabled: bool = True

    def service_data(self) -> dict[str, Any]:
        return self.dict(exclude={"username", "password", "token"})

    def secret(self) -> dict[str, str] | None:
        if self.auth_kind == "basic" and self.username:
            return {"username": self.username, "password": self.password or ""}
        if self.auth_kind == "bearer" and self.token:
            return {"token": self.token}
        return None


class ResultOut(Schema):
    at: datetime
    state: CheckState
    latency_ms: float | None
    http_status: int | None
    error_code: str
    location: str


class UpdateOut(Schema):
    visibility: UpdateVisibility
    status: str
    body: str
    created_at: datetime


class IncidentOut(Schema):
    id: int
    service_id: int
    title: str
    impact: IncidentImpact
    status: IncidentStatus
    started_at: datetime
    resolved_at: datetime | None
    is_automatic: bool
    ticket_reference: str | None = Field(None, alias="ticket.reference")


class IncidentIn(Schema):
    service_id: int
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=5000)
    impact: IncidentImpact = IncidentImpact.DOWN


class UpdateIn(Schema):
    body: str = Field(..., min_length=1, max_length=5000)
    visibility: UpdateVisibility = UpdateVisibility.PUBLIC
    status: IncidentStatus | None = None


class MaintenanceOut(Schema):
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    service_ids: list[int]

    @staticmethod
    def resolve_service_ids(obj: Maintenance) -> list[int]:
        return [s.pk for s in obj.services.all()]


class MaintenanceIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    service_ids: list[Id] = Field(..., min_length=1, max_length=100)
    starts_at: datetime
    ends_at: datetime


class RemoteResultIn(Schema):
    check_id: int
    at: datetime
    state: CheckState
    latency_ms: float | None = None
    http_status: int | None = Field(None, ge=100, le=599)
    error_code: str = Field("", max_length=24)


class RemoteBatchIn(Schema):
    results: list[RemoteResultIn] = Field(..., min_length=1, max_length=1000)


class RecordedOut(Schema):
    recorded: int


def _user(request: HttpRequest) -> Any:
    return request.user


def _admin_setting(request: HttpRequest) -> None:
    """Administrators' settings: 403 for staff, 404 for everyone else (core.permissions.deny,
    as the pages do)."""
    if not is_admin(_user(request)):
        deny(_user(request))


def _service_data(request: HttpRequest, payload: ServiceIn) -> dict[str, Any]:
    data = payload.dict()
    group = data.pop("group")
    data["group"] = (
        services.group_get_or_create(actor=_user(request), name=group) if group else None
    )
    return data


@router.get("/monitoring/services", response=list[ServiceOut])
@paginate(Page)
def list_services(request: HttpRequest) -> Any:
    return service_policy.scope(_user(request)).select_related("group").order_by("position", "name")


@router.post("/monitoring/services", response={201: ServiceOut, 400: ErrorOut, 403: ErrorOut})
def create_service(request: HttpRequest, payload: ServiceIn) -> Any:
    _admin_setting(request)
    service = services.service_create(
        actor=_user(request), data=_service_data(request, payload), request=request
    )
    return Status(201, service)


@router.get("/monitoring/services/{service_id}", response={200: ServiceOut, 404: ErrorOut})
def get_service(request: HttpRequest, service_id: int) -> Any:
    return service_policy.get_for(_user(request), service_id, "view")


@router.put(
    "/monitoring/services/{service_id}",
    response={200: ServiceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def update_service(request: HttpRequest, service_id: int, payload: ServiceIn) -> Any:
    service = service_policy.get_for(_user(request), service_id, "change")
    return services.service_update(
        actor=_user(request),
        service=service,
        data=_service_data(request, payload),
        request=request,
    )


@router.delete(
    "/monitoring/services/{service_id}",
    response={204: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def delete_service(request: HttpRequest, service_id: int) -> Any:
    service = service_policy.get_for(_user(request), service_id, "delete")
    services.service_delete(actor=_user(request), service=service, request=request)
    return Status(204, None)


@router.get("/monitoring/checks", response=list[CheckOut])
@paginate(Page)
def list_checks(request: HttpRequest, service_id: int | None = None) -> Any:
    qs = check_policy.scope(_user(request)).order_by("service_id", "name", "pk")
    if service_id:
        qs = qs.filter(service_id=service_id)
    return qs


@router.post(
    "/monitoring/services/{service_id}/checks",
    response={201: CheckOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def create_check(request: HttpRequest, service_id: int, payload: CheckIn) -> Any:
    service = service_policy.get_for(_user(request), service_id, "change")
    check = services.check_create(
        actor=_user(request),
        service=service,
        data=payload.service_data(),
        secret=payload.secret(),
        request=request,
    )
    return Status(201, check)


@router.get("/monitoring/checks/{check_id}", response={200: CheckOut, 404: ErrorOut})
def get_check(request: HttpRequest, check_id: int) -> Any:
    return check_policy.get_for(_user(request), check_id, "view")


@router.put(
    "/monitoring/checks/{check_id}",
    response={200: CheckOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def update_check(request: HttpRequest, check_id: int, payload: CheckIn) -> Any:
    check = check_policy.get_for(_user(request), check_id, "change")
    return services.check_update(
        actor=_user(request),
        check=check,
        data=payload.service_data(),
        secret=payload.secret(),
        request=request,
    )


@router.delete("/monitoring/checks/{check_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def delete_check(request: HttpRequest, check_id: int) -> Any:
    check = check_policy.get_for(_user(request), check_id, "delete")
    services.check_delete(actor=_user(request), check=check, request=request)
    return Status(204, None)


@router.get("/monitoring/checks/{check_id}/results", response=list[ResultOut])
@paginate(Page)
def list_results(request: HttpRequest, check_id: int) -> Any:
    check = check_policy.get_for(_user(request), check_id, "view")
    return selectors.check_results(check)


@router.get("/monitoring/incidents", response=list[IncidentOut])
@paginate(Page)
def list_incidents(request: HttpRequest, open_only: bool = False) -> Any:
    qs = (
        incident_policy.scope(_user(request))
        .select_related("ticket")
        .order_by("-started_at", "-id")
    )
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs


@router.post(
    "/monitoring/incidents",
    response={201: IncidentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def create_incident(request: HttpRequest, payload: IncidentIn) -> Any:
    if not incident_policy.can(_user(request), "update"):
        raise ApiError(404, "Not found.", "not_found")
    service = service_policy.get_for(_user(request), payload.service_id, "view")
    incident = services.incident_create(
        actor=_user(request),
        service=service,
        title=payload.title,
        body=payload.body,
        impact=payload.impact,
    )
    return Status(201, incident)


@router.get("/monitoring/incidents/{incident_id}", response={200: IncidentOut, 404: ErrorOut})
def get_incident(request: HttpRequest, incident_id: int) -> Any:
    return incident_policy.get_for(_user(request), incident_id, "view")


@router.get("/monitoring/incidents/{incident_id}/updates", response=list[UpdateOut])
@paginate(Page)
def list_updates(request: HttpRequest, incident_id: int) -> Any:
    incident = incident_policy.get_for(_user(request), incident_id, "view")
    return incident.updates.order_by("-created_at", "-id")


@router.post(
    "/monitoring/incidents/{incident_id}/updates",
    response={201: UpdateOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def add_update(request: HttpRequest, incident_id: int, payload: UpdateIn) -> Any:
    incident = incident_policy.get_for(_user(request), incident_id, "update")
    update = services.incident_update_add(
        actor=_user(request),
        incident=incident,
        body=payload.body,
        visibility=payload.visibility,
        status=payload.status or "",
    )
    return Status(201, update)


@router.get("/monitoring/maintenances", response=list[MaintenanceOut])
@paginate(Page)
def list_maintenances(request: HttpRequest) -> Any:
    return (
        maintenance_policy.scope(_user(request)).prefetch_related("services").order_by("-starts_at")
    )


@router.post(
    "/monitoring/maintenances",
    response={201: MaintenanceOut, 400: ErrorOut, 403: ErrorOut},
)
def create_maintenance(request: HttpRequest, payload: MaintenanceIn) -> Any:
    _admin_setting(request)
    maintenance = services.maintenance_create(
        actor=_user(request),
        **_maintenance_fields(request, payload),
        request=request,
    )
    return Status(201, maintenance)


def _maintenance_fields(request: HttpRequest, payload: MaintenanceIn) -> dict[str, Any]:
    chosen = list(service_policy.scope(_user(request)).filter(pk__in=payload.service_ids))
    if len(chosen) != len(set(payload.service_ids)):
        raise ApiError(400, "Unknown service.", "invalid")
    return {
        "title": payload.title,
        "services": chosen,
        "starts_at": payload.starts_at,
        "ends_at": payload.ends_at,
        "description": payload.description,
    }


@router.get(
    "/monitoring/maintenances/{maintenance_id}", response={200: MaintenanceOut, 404: ErrorOut}
)
def get_maintenance(request: HttpRequest, maintenance_id: int) -> Any:
    return maintenance_policy.get_for(_user(request), maintenance_id, "view")


@router.put(
    "/monitoring/maintenances/{maintenance_id}",
    response={200: MaintenanceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def update_maintenance(request: HttpRequest, maintenance_id: int, payload: MaintenanceIn) -> Any:
    maintenance = maintenance_policy.get_for(_user(request), maintenance_id, "change")
    return services.maintenance_update(
        actor=_user(request),
        maintenance=maintenance,
        **_maintenance_fields(request, payload),
        request=request,
    )


@router.delete(
    "/monitoring/maintenances/{maintenance_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
)
def delete_maintenance(request: HttpRequest, maintenance_id: int) -> Any:
    maintenance = maintenance_policy.get_for(_user(request), maintenance_id, "delete")
    services.maintenance_delete(actor=_user(request), maintenance=maintenance, request=request)
    return Status(204, None)


# --- On-call rotas (the team reads them; administrators write) and alert channels ---------


class PersonOut(Schema):
    id: int
    display_name: str


class OverrideOut(Schema):
    id: int
    user: PersonOut
    starts_at: datetime
    ends_at: datetime
    reason: str


class RotaOut(Schema):
    id: int
    name: str
    starts_at: datetime
    fallback_email: str
    members: list[PersonOut]
    on_duty: PersonOut | None
    overrides: list[OverrideOut]

    @staticmethod
    def resolve_members(obj: OnCallRota) -> list[Any]:
        return [m.user for m in obj.members.all()]

    @staticmethod
    def resolve_on_duty(obj: OnCallRota) -> Any:
        members = [m.user for m in obj.members.all()]
        return services.on_duty(obj, members, list(obj.overrides.all()), timezone.now())

    @staticmethod
    def resolve_overrides(obj: OnCallRota) -> list[Any]:
        now = timezone.now()
        return [o for o in obj.overrides.all() if o.ends_at > now]


class RotaIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    starts_at: datetime
    fallback_email: str = Field("", max_length=254)
    member_ids: list[Id] = Field(..., max_length=50)


class OverrideIn(Schema):
    user_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str = Field("", max_length=200)


class ChannelOut(Schema):
    id: int
    name: str
    kind: ChannelKind
    target: str
    is_enabled: bool
    has_secret: bool

    @staticmethod
    def resolve_has_secret(obj: AlertChannel) -> bool:
        return bool(obj.secret_encrypted)


class ChannelIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: ChannelKind
    target: str = Field(..., min_length=1, max_length=500)
    is_enabled: bool = True
    # Write-only: never returned.
    signing_secret: str = Field("", max_length=200)


def _rotas(user: Any) -> Any:
    return rota_policy.scope(user).prefetch_related(
        Prefetch("members", queryset=RotaMember.objects.select_related("user")),
        Prefetch("overrides", queryset=OnCallOverride.objects.select_related("user")),
    )


def _people(request: HttpRequest, ids: list[int]) -> list[Any]:
    """Staff people by id, in the order given (a rotation's order)."""
    from relais.accounts.models import User

    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    if len(found) != len(set(ids)) or any(not is_staff(found[pk]) for pk in found):
        raise ApiError(400, "Unknown person or not a member of the IT staff.", "invalid")
    return [found[pk] for pk in ids]


@router.get("/monitoring/rotas", response=list[RotaOut])
@paginate(Page)
def list_rotas(request: HttpRequest) -> Any:
    return _rotas(_user(request)).order_by("name")


@router.get("/monitoring/rotas/{rota_id}", response={200: RotaOut, 404: ErrorOut})
def get_rota(request: HttpRequest, rota_id: int) -> Any:
    rota: Any = rota_policy.get_for(_user(request), rota_id, "view")
    return _rotas(_user(request)).get(pk=rota.pk)


@router.post("/monitoring/rotas", response={201: RotaOut, 400: ErrorOut, 403: ErrorOut})
def create_rota(request: HttpRequest, payload: RotaIn) -> Any:
    _admin_setting(request)
    rota = services.rota_create(
        actor=_user(request),
        name=payload.name,
        starts_at=payload.starts_at,
        members=_people(request, payload.member_ids),
        fallback_email=payload.fallback_email,
        request=request,
    )
    return Status(201, _rotas(_user(request)).get(pk=rota.pk))


@router.put(
    "/monitoring/rotas/{rota_id}",
    response={200: RotaOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def update_rota(request: HttpRequest, rota_id: int, payload: RotaIn) -> Any:
    rota: Any = rota_policy.get_for(_user(request), rota_id, "change")
    services.rota_update(
        actor=_user(request),
        rota=rota,
        name=payload.name,
        starts_at=payload.starts_at,
        members=_people(request, payload.member_ids),
        fallback_email=payload.fallback_email,
        request=request,
    )
    return _rotas(_user(request)).get(pk=rota.pk)


@router.delete("/monitoring/rotas/{rota_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def delete_rota(request: HttpRequest, rota_id: int) -> Any:
    rota: Any = rota_policy.get_for(_user(request), rota_id, "delete")
    services.rota_delete(actor=_user(request), rota=rota, request=request)
    return Status(204, None)


@router.post(
    "/monitoring/rotas/{rota_id}/overrides",
    response={201: OverrideOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def add_override(request: HttpRequest, rota_id: int, payload: OverrideIn) -> Any:
    rota: Any = rota_policy.get_for(_user(request), rota_id, "change")
    override = services.rota_override_add(
        actor=_user(request),
        rota=rota,
        user=_people(request, [payload.user_id])[0],
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reason=payload.reason,
        request=request,
    )
    return Status(201, override)


@router.delete(
    "/monitoring/rotas/{rota_id}/overrides/{override_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
)
def remove_override(request: HttpRequest, rota_id: int, override_id: int) -> Any:
    rota: Any = rota_policy.get_for(_user(request), rota_id, "change")
    override = rota.overrides.filter(pk=override_id).first()
    if override is None:
        raise ApiError(404, "Not found.", "not_found")
    services.rota_override_remove(actor=_user(request), override=override, request=request)
    return Status(204, None)


@router.get("/monitoring/channels", response={200: list[ChannelOut], 403: ErrorOut, 404: ErrorOut})
@paginate(Page)
def list_channels(request: HttpRequest) -> Any:
    _admin_setting(request)
    return channel_policy.scope(_user(request)).order_by("name", "pk")


@router.get(
    "/monitoring/channels/{channel_id}", response={200: ChannelOut, 403: ErrorOut, 404: ErrorOut}
)
def get_channel(request: HttpRequest, channel_id: int) -> Any:
    _admin_setting(request)
    return channel_policy.get_for(_user(request), channel_id, "view")


@router.post("/monitoring/channels", response={201: ChannelOut, 400: ErrorOut, 403: ErrorOut})
def create_channel(request: HttpRequest, payload: ChannelIn) -> Any:
    _admin_setting(request)
    channel = services.channel_create(
        actor=_user(request),
        name=payload.name,
        kind=payload.kind,
        target=payload.target,
        signing_secret=payload.signing_secret,
        request=request,
    )
    if not payload.is_enabled:
        channel = services.channel_update(
            actor=_user(request),
            channel=channel,
            name=channel.name,
            target=channel.target,
            is_enabled=False,
            request=request,
        )
    return Status(201, channel)


@router.put(
    "/monitoring/channels/{channel_id}",
    response={200: ChannelOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def update_channel(request: HttpRequest, channel_id: int, payload: ChannelIn) -> Any:
    _admin_setting(request)
    channel: Any = channel_policy.get_for(_user(request), channel_id, "change")
    if payload.kind != channel.kind:
        raise ApiError(400, "The kind of a channel cannot change.", "invalid")
    return services.channel_update(
        actor=_user(request),
        channel=channel,
        name=payload.name,
        target=payload.target,
        is_enabled=payload.is_enabled,
        signing_secret=payload.signing_secret,
        request=request,
    )


@router.delete(
    "/monitoring/channels/{channel_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}
)
def delete_channel(request: HttpRequest, channel_id: int) -> Any:
    _admin_setting(request)
    channel: Any = channel_policy.get_for(_user(request), channel_id, "delete")
    services.channel_delete(actor=_user(request), channel=channel, request=request)
    return Status(204, None)


class ProberAuth(HttpBearer):
    """`Authorization: Bearer rlp_…`: a remote prober's own token (not a person's)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        prober = services.remote_prober_authenticate(token)
        if prober is not None:
            request.remote_prober = prober  # type: ignore[attr-defined]
        return prober


class ProberCheckOut(Schema):
    id: int
    kind: str
    target: str
    interval: int
    timeout: float
    config: dict[str, Any]
    auth_kind: str
    secret: dict[str, Any]


class ProberChecksOut(Schema):
    checks: list[ProberCheckOut]
    # Where HTTP checks may be redirected to: (kind, value) pairs of the allow-list.
    allow_list: list[tuple[str, str]]


@router.get("/monitoring/probers/checks", auth=ProberAuth(), response={200: ProberChecksOut})
def remote_checks(request: HttpRequest) -> Any:
    """What a remote prober runs: every enabled probing check, with the credentials it needs
    (sent only to an authenticated prober; use HTTPS)."""
    from relais.monitoring.prober import load_specs
    from relais.monitoring.services.config import allow_list

    services.remote_prober_seen(prober=request.remote_prober)  # type: ignore[attr-defined]
    return {
        "checks": [spec.__dict__ for spec in load_specs(None).values()],
        "allow_list": allow_list(),
    }


@router.post(
    "/monitoring/probers/results",
    auth=ProberAuth(),
    response={200: RecordedOut, 400: ErrorOut, 401: ErrorOut},
)
def remote_results(request: HttpRequest, payload: RemoteBatchIn) -> Any:
    """A prober in another zone reports its results with its own token; they count for its
    location (see "locations that must agree before down")."""
    prober = request.remote_prober  # type: ignore[attr-defined]
    known = set(
        Check.objects.filter(pk__in={r.check_id for r in payload.results}).values_list(
            "pk", flat=True
        )
    )
    batch = [
        services.ProbeResult(
            r.check_id,
            r.at,
            Outcome(r.state, r.latency_ms, r.http_status, r.error_code),
            prober.location,
        )
        for r in payload.results
        if r.check_id in known
    ]
    services.results_record(results=batch)
    services.remote_prober_seen(prober=prober)
    return {"recorded": len(batch)}
