"""Reads of users and the organisation, shared by the HTML views and the API."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from relais.accounts import permissions
from relais.accounts.models import ApiToken, OrgUnit, User

USER_ORDERINGS = {
    "name": ("display_name", "id"),
    "-name": ("-display_name", "-id"),
    "email": ("email",),
    "-email": ("-email",),
}


def current_user(request: HttpRequest) -> User:
    """The signed-in person of a request that passed authentication (views and API)."""
    user = request.user
    assert isinstance(user, User)
    return user


def user_list(
    *,
    viewer: User | AnonymousUser,
    q: str = "",
    role: str = "",
    org_unit_id: int | None = None,
    site_id: int | None = None,
    active: bool | None = True,
    ordering: str = "name",
) -> QuerySet[User]:
    qs = permissions.users.scope(viewer, "view").select_related("org_unit", "site")
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(email__icontains=q))
    if role:
        qs = qs.filter(role=role)
    if org_unit_id:
        qs = qs.filter(Q(org_unit_id=org_unit_id) | Q(org_unit__parent_id=org_unit_id))
    if site_id:
        qs = qs.filter(site_id=site_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by(*USER_ORDERINGS[ordering])


def org_unit_list(*, viewer: User | AnonymousUser) -> QuerySet[OrgUnit]:
    return (
        permissions.org_units.scope(viewer, "view")
        .select_related("parent")
        .order_by("kind", "name")
    )


def token_list(*, viewer: User | AnonymousUser, owner: User) -> QuerySet[ApiToken]:
    return permissions.api_tokens.scope(viewer, "view").filter(user=owner)
