from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from relais.reports.choices import DashboardKey
from relais.reports.models import ScheduledReport, ScheduledReportRun


class ScheduledReportForm(forms.ModelForm):
    dashboards = forms.MultipleChoiceField(
        label=_("dashboards"),
        choices=DashboardKey.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(DashboardKey.values),
    )

    class Meta:
        model = ScheduledReport
        fields = [
            "name",
            "frequency",
            "dashboards",
            "recipients",
            "extra_addresses",
            "team",
            "language",
            "is_active",
        ]

    def clean_extra_addresses(self) -> str:
        from django.core.validators import validate_email

        value: str = self.cleaned_data["extra_addresses"]
        for line in value.splitlines():
            if line.strip():
                validate_email(line.strip())
        return value


class RunInline(admin.TabularInline):
    model = ScheduledReportRun
    extra = 0
    can_delete = False
    fields = ("period_start", "period_end", "recipients", "created_at")
    readonly_fields = ("period_start", "period_end", "recipients", "created_at")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledReport)
class ScheduledReportAdmin(admin.ModelAdmin):
    form = ScheduledReportForm
    list_display = ["name", "frequency", "team", "is_active", "scheduled_by"]
    readonly_fields = ["scheduled_by"]
    list_filter = ["frequency", "is_active"]
    filter_horizontal = ["recipients"]
    inlines = [RunInline]

    def save_model(self, request: Any, obj: ScheduledReport, form: Any, change: bool) -> None:
        obj.scheduled_by = request.user  # sent in the name of whoever last saved it
        super().save_model(request, obj, form, change)
