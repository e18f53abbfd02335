"""Base of the per-model permission policies.

Each model that users act on has one policy (in its app's permissions.py) answering the two
questions every interface asks: "may this user do X to this object?" and "which objects may
this user X?". Views and API endpoints only ever ask the policy; a rule written anywhere else
is a bug.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from relais.core.models import AuditLogEntry, OutboxMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from relais.accounts.models import User

M = TypeVar("M", bound=models.Model)


class Policy(ABC, Generic[M]):
    model: type[M]

    @abstractmethod
    def scope(self, user: User | AnonymousUser, action: str = "view") -> models.QuerySet[M]:
        """The objects `user` may `action`; must never include one `can` would refuse."""

    @abstractmethod
    def can(self, user: User | AnonymousUser, action: str, obj: M | None = None) -> bool:
        """Whether `user` may `action` on `obj` (or on the model, for `create`)."""

    def get_or_404(self, user: User | AnonymousUser, pk: object, action: str = "view") -> M:
        """The object if `user` may see it; otherwise 404, exactly like a missing one."""
        try:
            return self.scope(user, action).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc


def is_active_user(user: Any) -> bool:
    """Signed in with an account that is still active (every policy starts here)."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def _is_admin(user: Any) -> bool:
    return is_active_user(user) and bool(getattr(user, "is_admin", False))


class AdminOnlyPolicy(Policy[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model

    def scope(self, user: Any, action: str = "view") -> models.QuerySet[M]:
        manager = self.model._default_manager
        return manager.all() if _is_admin(user) else manager.none()

    def can(self, user: Any, action: str, obj: M | None = None) -> bool:
        return _is_admin(user)


def deny(user: Any) -> None:
    """Refuse an admin-only page: staff learn that it exists but is not theirs (403);
    everyone else gets a 404, as if it did not exist (SECURITY.md A7)."""
    from django.core.exceptions import PermissionDenied

    if user.is_authenticated and getattr(user, "is_staff_member", False):
        raise PermissionDenied
    raise Http404


outbox_policy = AdminOnlyPolicy(OutboxMessage)
audit_policy = AdminOnlyPolicy(AuditLogEntry)
