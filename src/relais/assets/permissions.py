"""Who may see and change the asset park.

- Every signed-in person sees the assets in their hands and their own loans ("Mon équipement"),
  and nothing else of the park.
- The service desk (agents, supervisors, administrators) sees the whole park, creates and edits
  assets, moves them through their lifecycle, lends and checks in, links them to tickets,
  exports lists and prints labels, and reads campaigns and the readiness dashboard.
- Supervisors and administrators run deployment campaigns.
- Administrators import files.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from relais.accounts.choices import Role
from relais.assets.choices import HELD_STATES
from relais.assets.models import Asset, Campaign, ImportJob, Loan
from relais.core.permissions import Policy, is_active_user

DESK_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def is_desk(user: Any) -> bool:
    return is_active_user(user) and user.role in DESK_ROLES


def is_manager(user: Any) -> bool:
    return is_active_user(user) and user.role in MANAGER_ROLES


def is_admin(user: Any) -> bool:
    return is_active_user(user) and user.role == Role.ADMIN


# What the holder of an asset may do with it (see it, read its receipt).
HOLDER_ACTIONS = frozenset({"view", "download"})
DESK_ACTIONS = frozenset(
    {"view", "download", "edit", "move", "lend", "attach", "history", "link_ticket"}
)


class AssetPolicy(Policy[Asset]):
    model = Asset

    def scope(self, user: Any, action: str = "view") -> QuerySet[Asset]:
        qs = Asset.objects.all()
        if not is_active_user(user):
            return qs.none()
        if is_desk(user):
            return qs if action in DESK_ACTIONS else qs.none()
        if action in HOLDER_ACTIONS:
            return qs.filter(assigned_to=user, state__in=HELD_STATES)
        return qs.none()

    def can(self, user: Any, action: str, obj: Asset | None = None) -> bool:
        if not is_active_user(user):
            return False
        if obj is None:
            if action in ("create", "list", "export", "labels"):
                return is_desk(user)
            if action == "import":
                return is_admin(user)
            return action == "mine"
        if is_desk(user):
            return action in DESK_ACTIONS
        return (
            action in HOLDER_ACTIONS and obj.assigned_to_id == user.pk and obj.state in HELD_STATES
        )

    def get_for(self, user: Any, pk: object, action: str) -> Asset:
        """404 when `user` cannot see the asset, 403 when they see it but may not `action`."""
        asset = self.get_or_404(user, pk)
        if not self.can(user, action, asset):
            raise PermissionDenied
        return asset


class LoanPolicy(Policy[Loan]):
    model = Loan

    def scope(self, user: Any, action: str = "view") -> QuerySet[Loan]:
        qs = Loan.objects.all()
        if not is_active_user(user):
            return qs.none()
        if is_desk(user):
            return qs
        return qs.filter(borrower=user) if action == "view" else qs.none()

    def can(self, user: Any, action: str, obj: Loan | None = None) -> bool:
        if not is_active_user(user):
            return False
        if is_desk(user):
            return True
        return action == "view" and obj is not None and obj.borrower_id == user.pk

    def get_for(self, user: Any, pk: object, action: str) -> Loan:
        loan = self.get_or_404(user, pk)
        if not self.can(user, action, loan):
            raise PermissionDenied
        return loan


class CampaignPolicy(Policy[Campaign]):
    """The desk follows campaigns and records deliveries; managers create and close them."""

    model = Campaign

    def scope(self, user: Any, action: str = "view") -> QuerySet[Campaign]:
        qs = Campaign.objects.all()
        if action in ("view", "deliver", "export"):
            return qs if is_desk(user) else qs.none()
        return qs if is_manager(user) else qs.none()

    def can(self, user: Any, action: str, obj: Campaign | None = None) -> bool:
        if action in ("view", "list", "deliver", "export"):
            return is_desk(user)
        return is_manager(user)

    def get_for(self, user: Any, pk: object, action: str) -> Campaign:
        campaign = self.get_or_404(user, pk)
        if not self.can(user, action, campaign):
            raise PermissionDenied
        return campaign


class ImportJobPolicy(Policy[ImportJob]):
    model = ImportJob

    def scope(self, user: Any, action: str = "view") -> QuerySet[ImportJob]:
        return ImportJob.objects.all() if is_admin(user) else ImportJob.objects.none()

    def can(self, user: Any, action: str, obj: ImportJob | None = None) -> bool:
        return is_admin(user)


def readiness_allowed(user: Any) -> bool:
    """The continuity dashboard and the remote-access flags: the desk."""
    return is_desk(user)


assets = AssetPolicy()
loans = LoanPolicy()
campaigns = CampaignPolicy()
imports = ImportJobPolicy()
