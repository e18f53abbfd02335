from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from relais.accounts.choices import Role
from relais.accounts.models import Team, User
from relais.core.widgets import FastSelectsMixin
from relais.tickets.choices import Level, TicketStatus, TicketType
from relais.tickets.models import Category


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class TicketOpenForm(FastSelectsMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("In a few words, e.g. “VPN disconnects every 10 minutes”."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                # Answers appear under the title while it is typed (relais.js).
                "data-suggest": reverse_lazy("search:suggest"),
                "data-suggest-context": "demande",
                "data-suggest-target": "deflection",
            }
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=50_000,
        help_text=_("What happens, since when, what you already tried. Markdown is accepted."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    impact = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=[
            (Level.LOW, _("Only me")),
            (Level.MEDIUM, _("My team or my site")),
            (Level.HIGH, _("Many people or the tenants")),
        ],
        initial=Level.LOW,
        widget=forms.RadioSelect,
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=[
            (Level.LOW, _("I can keep working")),
            (Level.MEDIUM, _("I am slowed down")),
            (Level.HIGH, _("I cannot work")),
        ],
        initial=Level.MEDIUM,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, category: Category, desk: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        for spec in category.extra_fields:
            name = f"extra_{spec['name']}"
            if spec.get("type") == "choice":
                field: forms.Field = forms.ChoiceField(
                    label=spec["label"],
                    required=bool(spec.get("required")),
                    choices=[("", "—"), *[(c, c) for c in spec.get("choices", [])]],
                )
            else:
                field = forms.CharField(
                    label=spec["label"], required=bool(spec.get("required")), max_length=500
                )
            self.fields[name] = field
        if desk:
            self.fields["requester_email"] = forms.EmailField(
                label=_("On behalf of (e-mail)"),
                required=False,
                help_text=_("Leave empty to open the ticket for yourself."),
            )
            self.fields["type"] = forms.ChoiceField(
                label=_("Type"), choices=TicketType.choices, initial=category.default_type
            )
        self.fields["contact_name"] = forms.CharField(
            label=_("Person without an account (e.g. a tenant)"), required=False, max_length=150
        )
        self.fields["contact_phone"] = forms.CharField(
            label=_("Their phone"), required=False, max_length=32
        )

    def extra_values(self) -> dict[str, str]:
        return {
            spec["name"]: self.cleaned_data.get(f"extra_{spec['name']}", "")
            for spec in self.category.extra_fields
        }


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=50_000,
    )
    internal = forms.BooleanField(
        label=_("Internal note (never shown to the requester)"), required=False
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class TicketEditForm(FastSelectsMixin, forms.Form):
    """The desk's side panel: every field carries the version the agent loaded."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
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
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True)
        .select_related("parent")
        .only("name", "parent__name"),
    )
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. vpn, télétravail"),
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the problem not solved?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your satisfaction"),
        coerce=int,
        choices=[
            (5, _("5 — very satisfied")),
            (4, "4"),
            (3, "3"),
            (2, "2"),
            (1, _("1 — not satisfied")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BulkForm(FastSelectsMixin, forms.Form):
    tickets = forms.CharField(widget=forms.MultipleHiddenInput)
    action = forms.ChoiceField(choices=[("assign", _("Assign")), ("status", _("Change status"))])
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(
            is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
        ).only("display_name", "email"),
        required=False,
    )
    status = forms.ChoiceField(choices=[("", "—"), *TicketStatus.choices], required=False)
