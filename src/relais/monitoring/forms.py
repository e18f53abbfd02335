"""Forms of the service watch screens (validation of the domain happens in services)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relais.accounts.choices import STAFF_ROLES
from relais.accounts.models import User
from relais.monitoring.choices import (
    AllowKind,
    AuthKind,
    ChannelKind,
    CheckKind,
    IncidentImpact,
    IncidentStatus,
    UpdateVisibility,
)
from relais.monitoring.models import OnCallRota, Service
from relais.tickets.models import Category


class IncidentUpdateForm(forms.Form):
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=UpdateVisibility.choices, initial=UpdateVisibility.PUBLIC
    )
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[("", _("Unchanged")), *IncidentStatus.choices],
        required=False,
    )
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class CheckForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=CheckKind.choices)
    target = forms.CharField(
        label=_("Target"),
        max_length=500,
        required=False,
        help_text=_("URL for HTTP, host:port for TCP and TLS, host name for DNS and ping."),
    )
    interval_seconds = forms.IntegerField(label=_("Interval (seconds)"), min_value=10, initial=60)
    timeout_seconds = forms.FloatField(label=_("Timeout (seconds)"), min_value=0.5, initial=10)
    failures_before_down = forms.IntegerField(
        label=_("Failures before down"), min_value=1, max_value=20, initial=3
    )
    successes_before_up = forms.IntegerField(
        label=_("Successes before up"), min_value=1, max_value=20, initial=1
    )
    config = forms.CharField(
        label=_("Options (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('For example {"expected_status": [200], "keyword": "OK"}.'),
    )
    auth_kind = forms.ChoiceField(
        label=_("Authentication"), choices=AuthKind.choices, required=False
    )
    username = forms.CharField(label=_("User name"), required=False, max_length=200)
    password = forms.CharField(
        label=_("Password or token"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep it."),
    )
    heartbeat_cron = forms.CharField(label=_("Cron expression"), required=False, max_length=100)
    grace_seconds = forms.IntegerField(label=_("Grace (seconds)"), min_value=0, initial=300)
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def clean_config(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("config") or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Options must be an object."))
        return value

    def secret(self) -> dict[str, str] | None:
        kind = self.cleaned_data.get("auth_kind") or ""
        password = self.cleaned_data.get("password") or ""
        if not kind:
            return None
        if not password:
            return None
        if kind == AuthKind.BEARER:
            return {"token": password}
        return {"username": self.cleaned_data.get("username") or "", "password": password}

    def data_for_service(self) -> dict[str, Any]:
        fields = (
            "name",
            "kind",
            "target",
            "interval_seconds",
            "timeout_seconds",
            "failures_before_down",
            "successes_before_up",
            "config",
            "heartbeat_cron",
            "grace_seconds",
            "is_enabled",
        )
        data = {k: self.cleaned_data[k] for k in fields}
        data["auth_kind"] = self.cleaned_data.get("auth_kind") or ""
        return data


class AllowEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AllowKind.choices)
    value = forms.CharField(label=_("Network or domain"), max_length=255)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MaintenanceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    services = forms.ModelMultipleChoiceField(label=_("Services"), queryset=Service.objects.all())
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))


class ServiceForm(forms.Form):
    actor: Any = None  # the administrator, for creating the group on the fly

    name = forms.CharField(label=_("Name"), max_length=100)
    group = forms.CharField(label=_("Group"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_public = forms.BooleanField(label=_("Shown on the public status page"), required=False)
    locations_required = forms.IntegerField(
        label=_("Locations that must agree before down"), min_value=1, max_value=5, initial=1
    )
    rota = forms.ModelChoiceField(
        label=_("On-call rota"), queryset=OnCallRota.objects.all(), required=False
    )
    ticket_category = forms.ModelChoiceField(
        label=_("Category of the major-incident ticket"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
    )
    escalation_minutes = forms.IntegerField(
        label=_("Escalate after (minutes)"), min_value=1, max_value=1440, initial=15
    )
    reminder_minutes = forms.IntegerField(
        label=_("Remind every (minutes)"), min_value=0, max_value=1440, initial=60
    )


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    target = forms.CharField(label=_("Address or URL"), max_length=500)
    signing_secret = forms.CharField(
        label=_("Signing secret (whsec_…)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to generate one. Stored encrypted, never shown again."),
    )


class RemoteProberForm(forms.Form):
    location = forms.CharField(label=_("Location"), max_length=50)


class OverrideForm(forms.Form):
    rota = forms.ModelChoiceField(label=_("Rota"), queryset=OnCallRota.objects.all())
    user = forms.ModelChoiceField(
        label=_("Person on duty"),
        queryset=User.objects.filter(is_active=True, role__in=sorted(STAFF_ROLES)).order_by(
            "display_name"
        ),
    )
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    impact = forms.ChoiceField(label=_("Impact"), choices=IncidentImpact.choices)
    body = forms.CharField(
        label=_("What is happening"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class LinkTicketForm(forms.Form):
    reference = forms.CharField(label=_("Ticket reference"), max_length=32)


def _staff_people() -> Any:
    return User.objects.filter(is_active=True, role__in=sorted(STAFF_ROLES))


class RotaForm(forms.Form):
    """A weekly rotation: the people on duty in turn, a week each, from the first handover."""

    name = forms.CharField(label=_("Name"), max_length=100)
    starts_at = forms.DateTimeField(
        label=_("First handover"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("The first person's week starts then; each handover is a week later."),
    )
    members = forms.CharField(
        label=_("People on duty in turn"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One e-mail address per line, in the order of the weeks."),
    )
    fallback_email = forms.EmailField(label=_("Team address"), required=False)

    def clean_members(self) -> list[User]:
        emails = [line.strip().lower() for line in self.cleaned_data["members"].splitlines()]
        emails = [e for e in emails if e]
        found = {u.email.lower(): u for u in _staff_people().filter(email__in=emails)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(
                _("Not a member of the IT staff: %(emails)s") % {"emails": ", ".join(unknown)}
            )
        return [found[e] for e in emails]


class ChannelEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    target = forms.CharField(label=_("Address or URL"), max_length=500)
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False)
    signing_secret = forms.CharField(
        label=_("New signing secret (whsec_…)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one (never shown)."),
    )
