"""Saved queue views: a desk member's named filters."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from relais.accounts.models import User
from relais.tickets.filters import TicketFilterForm
from relais.tickets.models import SavedView


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": _("Give the view a name of 80 characters at most.")})
    return name


def saved_view_save(*, owner: User, name: str, query: str) -> SavedView:
    """Save the queue's filters under a name (the owner's view of that name is replaced)."""
    name = _clean_name(name)
    if len(query) > 1000 or not TicketFilterForm(QueryDict(query)).is_valid():
        raise ValidationError({"query": _("The view's filters are not valid.")})
    view, _created = SavedView.objects.update_or_create(
        owner=owner, name=name, defaults={"query": query}
    )
    return view


def saved_view_rename(*, view: SavedView, name: str) -> SavedView:
    name = _clean_name(name)
    if name == view.name:
        return view
    try:
        with transaction.atomic():
            SavedView.objects.filter(pk=view.pk).update(name=name)
    except IntegrityError as exc:
        raise ValidationError({"name": _("You already have a view of that name.")}) from exc
    view.name = name
    return view


def saved_view_delete(*, view: SavedView) -> None:
    SavedView.objects.filter(pk=view.pk).delete()
