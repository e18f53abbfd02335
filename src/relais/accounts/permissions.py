"""Who may see and change users, organisational units, sites, teams and API tokens."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from relais.accounts.models import ApiToken, OrgUnit, Site, Team, User
from relais.core.permissions import M, Policy, is_active_user


def _pk(user: User | AnonymousUser) -> int:
    return cast(int, user.pk)


def is_staff_member(user: User | AnonymousUser) -> bool:
    return is_active_user(user) and isinstance(user, User) and user.is_staff_member


def is_admin(user: User | AnonymousUser) -> bool:
    return is_active_user(user) and isinstance(user, User) and user.is_admin


class UserPolicy(Policy[User]):
    """Everyone sees their own profile; the desk (agents, supervisors, admins) sees the
    directory; only administrators create users or change roles."""

    model = User

    def scope(self, user: User | AnonymousUser, action: str = "view") -> QuerySet[User]:
        qs = User.objects.all()
        if action == "view":
            if is_staff_member(user):
                return qs
            if is_active_user(user):
                return qs.filter(pk=_pk(user))
            return qs.none()
        if action in {
            "update",
            "deactivate",
            "change_role",
            "grant_archive",
            "reset_otp",
            "export_data",
            "erase",
        }:
            return qs if is_admin(user) else qs.none()
        return qs.none()

    def can(self, user: User | AnonymousUser, action: str, obj: User | None = None) -> bool:
        if action == "list":
            return is_staff_member(user)
        if action == "create":
            return is_admin(user)
        if obj is None:
            return False
        if action == "view":
            return is_staff_member(user) or (is_active_user(user) and obj.pk == user.pk)
        if action == "update_profile":
            return is_active_user(user) and obj.pk == user.pk
        if action in {"update", "change_role", "grant_archive", "reset_otp", "export_data"}:
            return is_admin(user)
        if action in {"deactivate", "erase"}:
            # An administrator cannot lock themselves out.
            return is_admin(user) and obj.pk != user.pk
        return False


class ReferenceDataPolicy(Policy[M]):
    """Reference data (organisation chart, sites) is visible to every signed-in person;
    administrators maintain it."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def scope(self, user: User | AnonymousUser, action: str = "view") -> QuerySet[M]:
        manager = self.model._default_manager
        if (action == "view" and is_active_user(user)) or is_admin(user):
            return manager.all()
        return manager.none()

    def can(self, user: User | AnonymousUser, action: str, obj: M | None = None) -> bool:
        if action in {"view", "list"}:
            return is_active_user(user)
        return is_admin(user)


class TeamPolicy(Policy[Team]):
    """Teams are the desk's business: staff see them, admins maintain them."""

    model = Team

    def scope(self, user: User | AnonymousUser, action: str = "view") -> QuerySet[Team]:
        if (action == "view" and is_staff_member(user)) or is_admin(user):
            return Team.objects.all()
        return Team.objects.none()

    def can(self, user: User | AnonymousUser, action: str, obj: Team | None = None) -> bool:
        if action in {"view", "list"}:
            return is_staff_member(user)
        return is_admin(user)


class ApiTokenPolicy(Policy[ApiToken]):
    """People manage their own tokens; administrators may see and revoke anyone's."""

    model = ApiToken

    def scope(self, user: User | AnonymousUser, action: str = "view") -> QuerySet[ApiToken]:
        if is_admin(user):
            return ApiToken.objects.all()
        if is_active_user(user):
            return ApiToken.objects.filter(user_id=_pk(user))
        return ApiToken.objects.none()

    def can(self, user: User | AnonymousUser, action: str, obj: ApiToken | None = None) -> bool:
        if not is_active_user(user):
            return False
        if action in {"list", "create"}:
            return True
        if obj is None:
            return False
        return obj.user_id == user.pk or is_admin(user)


users = UserPolicy()
org_units = ReferenceDataPolicy(OrgUnit)
sites = ReferenceDataPolicy(Site)
teams = TeamPolicy()
api_tokens = ApiTokenPolicy()
