"""The period and filters of every report, one definition for the pages, the exports and the
API (like `tickets.filters`). Unknown parameters are refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import OrgUnit, Site, Team
from relais.reports.choices import PeriodKind
from relais.reports.periods import MAX_DAYS, Period, period_for
from relais.tickets.choices import Priority
from relais.tickets.models import Category

ALLOWED_PARAMETERS = frozenset(
    {"period", "start", "end", "team", "category", "priority", "direction", "site"}
)


@dataclass(frozen=True)
class TicketFilters:
    """What the ticket figures are restricted to. `teams` None = every team."""

    teams: frozenset[int] | None = None
    category: int | None = None
    priority: str | None = None
    direction: int | None = None
    site: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "teams": sorted(self.teams) if self.teams is not None else None,
            "category": self.category,
            "priority": self.priority,
            "direction": self.direction,
            "site": self.site,
        }


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), choices=PeriodKind.choices, required=False, initial=PeriodKind.MONTH
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    direction = forms.TypedChoiceField(
        label=_("Direction"), required=False, coerce=int, empty_value=None
    )
    site = forms.TypedChoiceField(label=_("Site"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: Any, *, team_scope: frozenset[int] | None) -> None:
        super().__init__(data)
        self.team_scope = team_scope
        unknown = sorted(set(data or {}) - ALLOWED_PARAMETERS)
        self.unknown = unknown
        teams = Team.objects.order_by("name")
        if team_scope is not None:
            teams = teams.filter(pk__in=team_scope)
        everyone = _("All") if team_scope is None else _("My teams")
        self._choice("team").choices = [("", everyone), *teams.values_list("pk", "name")]
        self._choice("category").choices = [("", _("All"))] + [
            (c.pk, str(c)) for c in Category.objects.select_related("parent").order_by("name")
        ]
        self._choice("priority").choices = [("", _("All")), *Priority.choices]
        self._choice("direction").choices = [
            ("", _("All")),
            *OrgUnit.objects.filter(parent__isnull=True).order_by("name").values_list("pk", "name"),
        ]
        self._choice("site").choices = [
            ("", _("All")),
            *Site.objects.order_by("name").values_list("pk", "name"),
        ]

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.unknown:
            raise ValidationError(
                _("Unknown filter: %(names)s") % {"names": ", ".join(self.unknown)}
            )
        kind = cleaned.get("period") or PeriodKind.MONTH
        if kind == PeriodKind.CUSTOM:
            start, end = cleaned.get("start"), cleaned.get("end")
            if not start or not end:
                raise ValidationError(_("Give both dates of a custom period."))
            if end < start:
                raise ValidationError(_("The end date is before the start date."))
            if (end - start).days + 1 > MAX_DAYS:
                raise ValidationError(
                    _("A period covers %(days)s days at most.") % {"days": MAX_DAYS}
                )
        return cleaned

    def chosen_period(self) -> Period:
        cleaned = self.cleaned_data
        kind = cleaned.get("period") or PeriodKind.MONTH
        if kind == PeriodKind.CUSTOM:
            return Period(cleaned["start"], cleaned["end"], PeriodKind.CUSTOM)
        return period_for(kind)

    def ticket_filters(self) -> TicketFilters:
        cleaned = self.cleaned_data
        team = cleaned.get("team")
        if team is not None:
            teams: frozenset[int] | None = frozenset({team})
        else:
            teams = self.team_scope
        return TicketFilters(
            teams=teams,
            category=cleaned.get("category"),
            priority=cleaned.get("priority") or None,
            direction=cleaned.get("direction"),
            site=cleaned.get("site"),
        )

    def error_text(self) -> str:
        return " ".join(str(m) for messages in self.errors.values() for m in messages)
