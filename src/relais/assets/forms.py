from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import OrgUnit, Site, User
from relais.assets.choices import AssetState, ReturnCondition, TargetState
from relais.assets.models import Asset, AssetModel, Supplier


class AssetForm(forms.Form):
    tag = forms.CharField(
        label=_("Asset tag"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to generate one."),
    )
    model = forms.ModelChoiceField(
        label=_("Model"), queryset=AssetModel.objects.select_related("asset_type")
    )
    serial_number = forms.CharField(label=_("Serial number"), max_length=64, required=False)
    hostname = forms.CharField(label=_("Hostname"), max_length=63, required=False)
    mac_address = forms.CharField(label=_("MAC address"), max_length=17, required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.all(), required=False)
    stock_room = forms.CharField(label=_("Stock room"), max_length=100, required=False)
    supplier = forms.ModelChoiceField(
        label=_("Supplier"), queryset=Supplier.objects.all(), required=False
    )
    purchase_date = forms.DateField(
        label=_("Purchase date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    warranty_end = forms.DateField(
        label=_("End of warranty"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    cost = forms.DecimalField(
        label=_("Cost (€)"), max_digits=10, decimal_places=2, required=False, min_value=0
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, asset: Asset | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if asset is not None:
            del self.fields["tag"]


class MoveForm(forms.Form):
    state = forms.ChoiceField(label=_("New state"), choices=AssetState.choices)
    holder = forms.EmailField(label=_("Person (e-mail)"), required=False)
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)

    def clean_holder(self) -> User | None:
        email = self.cleaned_data.get("holder")
        if not email:
            return None
        person = User.objects.with_email(email).first()
        if person is None:
            raise forms.ValidationError(_("Nobody has this e-mail address."))
        return person


class LendForm(forms.Form):
    borrower = forms.EmailField(label=_("Borrower (e-mail)"))
    due_on = forms.DateField(label=_("Due back on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)

    def clean_borrower(self) -> User:
        person = User.objects.with_email(self.cleaned_data["borrower"]).first()
        if person is None:
            raise forms.ValidationError(_("Nobody has this e-mail address."))
        return person


class ReturnForm(forms.Form):
    condition = forms.ChoiceField(label=_("Condition"), choices=ReturnCondition.choices)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File (e.g. signed delivery receipt)"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"))
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file without importing"), required=False, initial=True
    )


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    asset_models = forms.ModelMultipleChoiceField(
        label=_("Models to deploy"), queryset=AssetModel.objects.all(), required=False
    )
    org_units = forms.ModelMultipleChoiceField(
        label=_("Directions"), queryset=OrgUnit.objects.filter(parent__isnull=True), required=False
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.all(), required=False
    )
    people = forms.CharField(
        label=_("People (e-mail addresses, one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    due_on = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_people(self) -> list[User]:
        emails = [
            e.strip().lower() for e in self.cleaned_data.get("people", "").split() if e.strip()
        ]
        found = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(
                _("Nobody has these addresses: %(emails)s") % {"emails": ", ".join(unknown[:10])}
            )
        return list(found.values())


class TargetForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=TargetState.choices)
    asset_tag = forms.CharField(label=_("Asset tag delivered"), max_length=32, required=False)

    def clean_asset_tag(self) -> Asset | None:
        tag = self.cleaned_data.get("asset_tag", "").strip().upper()
        if not tag:
            return None
        asset = Asset.objects.filter(tag=tag).first()
        if asset is None:
            raise forms.ValidationError(_("No asset has this tag."))
        return asset


class RemoteAccessForm(forms.Form):
    enabled = forms.BooleanField(required=False)
