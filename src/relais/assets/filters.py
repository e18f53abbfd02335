"""The one definition of asset list filters, shared by the park list, its exports, the label
sheet and the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Site
from relais.assets.choices import AssetState
from relais.assets.models import Asset, AssetType

# Sort keys → ORM orderings (an allow-list: nothing else reaches order_by).
ORDERINGS = {
    "-id": ("-id",),
    "tag": ("tag",),
    "-updated": ("-updated_at", "-id"),
    "warranty": ("warranty_end", "id"),
}
ORDERING_CHOICES = [
    ("-id", _("Newest first")),
    ("tag", _("Asset tag")),
    ("-updated", _("Recently updated")),
    ("warranty", _("End of warranty")),
]
FILTER_KEYS = frozenset({"q", "state", "type", "site", "holder", "ordering", "page", "page_size"})


def _prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, written so that both databases use the field's index:
    the range finds the candidates in the index (SQLite's LIKE is case-insensitive and
    would scan the table), the LIKE keeps the exact prefix whatever the collation."""
    return Q(
        **{
            f"{field}__gte": value,
            f"{field}__lt": value + "\U0010ffff",
            f"{field}__startswith": value,
        }
    )


class AssetFilterForm(forms.Form):
    q = forms.CharField(label=_("Tag, serial number or hostname"), required=False, max_length=64)
    state = forms.ChoiceField(
        label=_("State"), choices=[("", "—"), *AssetState.choices], required=False
    )
    type = forms.TypedChoiceField(label=_("Type"), coerce=int, required=False, empty_value=None)
    site = forms.TypedChoiceField(label=_("Site"), coerce=int, required=False, empty_value=None)
    holder = forms.IntegerField(label=_("Person (id)"), required=False, min_value=1)
    ordering = forms.ChoiceField(label=_("Sort"), choices=ORDERING_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type_field = self.fields["type"]
        site_field = self.fields["site"]
        assert isinstance(type_field, forms.ChoiceField)
        assert isinstance(site_field, forms.ChoiceField)
        type_field.choices = [("", "—"), *AssetType.objects.values_list("pk", "name")]
        site_field.choices = [("", "—"), *Site.objects.values_list("pk", "name")]

    def apply(self, qs: QuerySet[Asset]) -> QuerySet[Asset]:
        data = self.cleaned_data if self.is_valid() else {}
        q = (data.get("q") or "").strip()
        if q:
            condition = Q(_prefix("tag", q.upper()))
            for value in dict.fromkeys((q, q.upper(), q.lower())):
                condition |= _prefix("serial_number", value) | _prefix("hostname", value)
            qs = qs.filter(condition)
        if data.get("state"):
            qs = qs.filter(state=data["state"])
        if data.get("type"):
            qs = qs.filter(asset_type_id=data["type"])
        if data.get("site"):
            qs = qs.filter(site_id=data["site"])
        if data.get("holder"):
            qs = qs.filter(assigned_to_id=data["holder"])
        return qs.order_by(*ORDERINGS[data.get("ordering") or "-id"])

    def query(self) -> dict[str, str]:
        """The active filters, to keep them in pagination and export links."""
        if not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in (None, "")}
