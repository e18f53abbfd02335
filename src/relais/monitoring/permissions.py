"""Who may see and change the service watch.

- The public status page shows only the services marked public, to anyone.
- Staff (agents, supervisors, administrators) see every service, check state, result,
  incident and maintenance; they post incident updates and acknowledge alerts.
- Only administrators create or change services, checks, the allow-list, alert channels,
  rotas and maintenance windows. The on-call rota is visible to the whole IT team; alert
  channels (addresses, webhook URLs) to administrators only.
- Collaborators see the banner of ongoing outages on the portal and say they are affected
  (through the major-incident ticket); nothing else of the watch.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from relais.core.permissions import Policy, is_active_user
from relais.monitoring.models import (
    AlertChannel,
    Check,
    Incident,
    Maintenance,
    OnCallRota,
    Service,
)

STAFF_ACTIONS = frozenset({"view", "update", "acknowledge"})
ADMIN_ACTIONS = frozenset({"create", "change", "delete"})


def is_staff(user: Any) -> bool:
    return is_active_user(user) and bool(getattr(user, "is_staff_member", False))


def is_admin(user: Any) -> bool:
    return is_active_user(user) and bool(getattr(user, "is_admin", False))


class StaffReadAdminWritePolicy(Policy[Any]):
    """Staff read (and, for incidents, update); administrators configure."""

    def __init__(self, model: type[Model], staff_actions: frozenset[str]) -> None:
        self.model = model
        self.staff_actions = staff_actions

    def scope(self, user: Any, action: str = "view") -> QuerySet[Any]:
        manager = self.model._default_manager
        if self.can(user, action):
            return manager.all()
        return manager.none()

    def can(self, user: Any, action: str, obj: Any = None) -> bool:
        if action in self.staff_actions:
            return is_staff(user)
        return is_admin(user)

    def get_for(self, user: Any, pk: object, action: str) -> Any:
        obj = self.get_or_404(user, pk, "view")
        if not self.can(user, action, obj):
            raise PermissionDenied
        return obj


def public_services() -> QuerySet[Service]:
    """What anyone, signed in or not, sees of the watch: the services marked public. Any other
    id is answered exactly like one that does not exist."""
    return Service.objects.filter(is_public=True)


service_policy = StaffReadAdminWritePolicy(Service, frozenset({"view"}))
check_policy = StaffReadAdminWritePolicy(Check, frozenset({"view"}))
incident_policy = StaffReadAdminWritePolicy(Incident, frozenset({"view", "update"}))
maintenance_policy = StaffReadAdminWritePolicy(Maintenance, frozenset({"view"}))
rota_policy = StaffReadAdminWritePolicy(OnCallRota, frozenset({"view"}))
channel_policy = StaffReadAdminWritePolicy(AlertChannel, frozenset())
