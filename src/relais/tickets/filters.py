"""The one definition of ticket list filters, shared by the agent queue page and the API."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.accounts.choices import Role
from relais.accounts.models import OrgUnit, Site, Team, User
from relais.core.widgets import FastSelectsMixin
from relais.tickets.choices import OPEN_STATUSES, Priority, TicketStatus, TicketType
from relais.tickets.models import Category, Ticket


class Queue:
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    BREACHING = "breaching"
    ALL = "all"


QUEUE_CHOICES = [
    (Queue.MINE, _("Assigned to me")),
    (Queue.TEAM, _("My teams")),
    (Queue.UNASSIGNED, _("Unassigned")),
    (Queue.BREACHING, _("Breaching soon")),
    (Queue.ALL, _("All")),
]
# Sort keys → ORM orderings (an allow-list: nothing else reaches order_by).
ORDERINGS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "priority": ("priority", "-created_at", "-id"),
    "due": ("resolution_due", "id"),
    "reference": ("reference",),
}
ORDERING_CHOICES = [
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("-updated", _("Recently updated")),
    ("priority", _("Priority")),
    ("due", _("Resolution due")),
    ("reference", _("Reference")),
]
BREACHING_WINDOW = timedelta(hours=4)


class TicketFilterForm(FastSelectsMixin, forms.Form):
    queue = forms.ChoiceField(label=_("Queue"), choices=QUEUE_CHOICES, required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=TicketStatus.choices, required=False
    )
    open = forms.NullBooleanField(label=_("Open only"), required=False)
    priority = forms.MultipleChoiceField(
        label=_("Priority"), choices=Priority.choices, required=False
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types")), *TicketType.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.select_related("parent").only("name", "parent__name"),
        required=False,
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.only("name"), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=User.objects.filter(
            is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
        ).only("display_name", "email"),
        required=False,
    )
    # An id, not a choice: validating it against the users would tell who exists.
    requester = forms.IntegerField(label=_("Requester (id)"), required=False, min_value=1)
    direction = forms.ModelChoiceField(
        label=_("Direction"), queryset=OrgUnit.objects.only("name"), required=False
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.only("name"), required=False
    )
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    ordering = forms.ChoiceField(label=_("Sort"), choices=ORDERING_CHOICES, required=False)

    # Every query parameter the lists accept; anything else is refused (SECURITY.md B2).
    ALLOWED_PARAMETERS = frozenset(
        {
            "queue",
            "status",
            "open",
            "priority",
            "type",
            "category",
            "team",
            "assignee",
            "requester",
            "direction",
            "site",
            "created_from",
            "created_to",
            "q",
            "ordering",
            "page",
            "page_size",
            "view",
        }
    )

    def unknown_parameters(self) -> list[str]:
        return sorted(set(self.data) - self.ALLOWED_PARAMETERS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        unknown = self.unknown_parameters()
        if unknown:
            raise forms.ValidationError(
                _("Unknown filter: %(names)s") % {"names": ", ".join(unknown)}
            )
        return cleaned


def apply_filters(qs: QuerySet[Ticket], data: dict[str, Any], viewer: Any) -> QuerySet[Ticket]:
    """Apply cleaned filters to a queryset that is already scoped to what `viewer` may see."""
    queue = data.get("queue") or ""
    now = timezone.now()
    if queue == Queue.MINE:
        qs = qs.filter(assignee_id=viewer.pk, status__in=OPEN_STATUSES)
    elif queue == Queue.TEAM:
        from relais.tickets.permissions import team_ids

        qs = qs.filter(team_id__in=sorted(team_ids(viewer)), status__in=OPEN_STATUSES)
    elif queue == Queue.UNASSIGNED:
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif queue == Queue.BREACHING:
        qs = qs.filter(status__in=OPEN_STATUSES).filter(
            Q(resolution_due__lte=now + BREACHING_WINDOW)
            | Q(first_responded_at__isnull=True, first_response_due__lte=now + BREACHING_WINDOW)
        )
    if data.get("status"):
        qs = qs.filter(status__in=data["status"])
    if data.get("open") is True:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif data.get("open") is False:
        qs = qs.exclude(status__in=OPEN_STATUSES)
    if data.get("priority"):
        qs = qs.filter(priority__in=data["priority"])
    if data.get("type"):
        qs = qs.filter(type=data["type"])
    if data.get("category"):
        category = data["category"]
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    if data.get("team"):
        qs = qs.filter(team=data["team"])
    if data.get("assignee"):
        qs = qs.filter(assignee=data["assignee"])
    if data.get("requester"):
        qs = qs.filter(requester_id=data["requester"])
    if data.get("direction"):
        unit = data["direction"]
        qs = qs.filter(Q(requester__org_unit=unit) | Q(requester__org_unit__parent=unit))
    if data.get("site"):
        qs = qs.filter(requester__site=data["site"])
    tz = timezone.get_current_timezone()
    if data.get("created_from"):
        qs = qs.filter(created_at__gte=datetime.combine(data["created_from"], time.min, tz))
    if data.get("created_to"):
        qs = qs.filter(
            created_at__lt=datetime.combine(data["created_to"] + timedelta(days=1), time.min, tz)
        )
    text = (data.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(reference__iexact=text) | Q(title__icontains=text))
    ordering = data.get("ordering") or ("due" if queue == Queue.BREACHING else "-created")
    return qs.order_by(*ORDERINGS[ordering])
