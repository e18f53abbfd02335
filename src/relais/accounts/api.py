from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from relais.accounts import permissions, selectors, services
from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import ApiToken, User
from relais.core.api import ErrorOut, Page

router = Router(tags=["accounts"])


class OrgUnitOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    parent_id: int | None


class SiteOut(Schema):
    id: int
    name: str
    code: str


class UserOut(Schema):
    id: int
    email: str
    display_name: str
    role: Role
    org_unit: OrgUnitOut | None
    site: SiteOut | None
    phone: str
    language: str
    is_active: bool


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    scope: TokenScope = TokenScope.READ
    days: int = Field(90, ge=1, le=366)


class IssuedTokenOut(TokenOut):
    token: str = Field(..., description="The secret. It is shown only in this response.")


class ProfileIn(Schema):
    display_name: str | None = Field(None, min_length=1, max_length=150)
    phone: str | None = Field(None, max_length=32)
    language: Literal["fr", "en"] | None = None


class UserFilters(Schema):
    q: str = Field("", max_length=100)
    role: Role | None = None
    org_unit: int | None = None
    site: int | None = None
    active: bool | None = True
    ordering: Literal["name", "-name", "email", "-email"] = "name"


_current_user = selectors.current_user


@router.get("/me", response=UserOut, summary="The signed-in person")
def me(request: HttpRequest) -> User:
    return User.objects.select_related("org_unit", "site").get(pk=_current_user(request).pk)


@router.patch("/me", response={200: UserOut, 400: ErrorOut}, summary="Update my profile")
def update_me(request: HttpRequest, payload: ProfileIn) -> User:
    user = _current_user(request)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    services.user_update(user=user, actor=user, data=data, request=request)
    return User.objects.select_related("org_unit", "site").get(pk=user.pk)


@router.get("/users", response={200: list[UserOut], 403: ErrorOut}, summary="The staff directory")
@paginate(Page)
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> object:
    if not permissions.users.can(request.user, "list"):
        raise PermissionDenied
    return selectors.user_list(
        viewer=request.user,
        q=filters.q,
        role=filters.role or "",
        org_unit_id=filters.org_unit,
        site_id=filters.site,
        active=filters.active,
        ordering=filters.ordering,
    )


@router.get("/users/{user_id}", response={200: UserOut, 404: ErrorOut})
def get_user(request: HttpRequest, user_id: int) -> User:
    return permissions.users.get_or_404(request.user, user_id)


@router.get("/org-units", response=list[OrgUnitOut], summary="Directions and services")
@paginate(Page)
def list_org_units(request: HttpRequest) -> object:
    return selectors.org_unit_list(viewer=request.user)


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
@paginate(Page)
def list_tokens(request: HttpRequest) -> object:
    return selectors.token_list(viewer=request.user, owner=_current_user(request))


@router.post("/tokens", response={201: IssuedTokenOut, 400: ErrorOut, 403: ErrorOut})
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    user = _current_user(request)
    issued = services.token_create(
        user=user, name=payload.name, scope=payload.scope, days=payload.days, request=request
    )
    data = TokenOut.from_orm(issued.token).model_dump()
    return Status(201, {**data, "token": issued.secret})


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut})
def revoke_token(request: HttpRequest, token_id: int) -> Status:
    token: ApiToken = permissions.api_tokens.get_or_404(request.user, token_id)
    services.token_revoke(token=token, actor=_current_user(request), request=request)
    return Status(204, None)
