"""Membership. Asking, answering, commenting, voting, following and flagging are for members.
Supervisors and administrators (the moderators of the organisation, and the actor of the
corpus import) are joined automatically on their first post. Agents answer *as IT* without
joining; anything else needs them to join like everyone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from relais.community.models import Follow, Member
from relais.community.permissions import forget_membership, member_of
from relais.community.services.votes import _reputation_refresh
from relais.core.permissions import is_active_user
from relais.tickets.permissions import sees_everything

if TYPE_CHECKING:
    from relais.accounts.models import User


def _ensure_participant(user: User) -> None:
    """Posting needs membership; supervisors and administrators are joined on the way."""
    if member_of(user) is not None:
        return
    if sees_everything(user):
        member_join(user=user)
        return
    raise PermissionDenied(_("Join the peer-help community to take part."))


@transaction.atomic
def member_join(*, user: User) -> Member:
    """Join the community (idempotent)."""
    if not is_active_user(user):
        raise PermissionDenied
    member, created = Member.objects.get_or_create(user=user)
    forget_membership(user)
    if created:  # what they earned before joining, or in an earlier membership
        _reputation_refresh({user.pk})
        member.refresh_from_db()
    return member


@transaction.atomic
def member_leave(*, user: User) -> None:
    """Leave the community: posts stay; follows and the membership (with its moderator mark)
    go. The monthly points stay, and make the reputation again if the person rejoins."""
    if not is_active_user(user):
        raise PermissionDenied
    Follow.objects.filter(user=user).delete()
    Member.objects.filter(pk=user.pk).delete()
    forget_membership(user)


@transaction.atomic
def member_set_notifications(*, user: User, email: bool) -> Member:
    member = member_of(user)
    if member is None:
        raise PermissionDenied
    Member.objects.filter(pk=user.pk).update(email_notifications=email)
    forget_membership(user)
    member.email_notifications = email
    return member
