"""Scheduled e-mail reports. The figures themselves are read from the other apps (the ticket
figures from `tickets.TicketFact`); reports stores nothing else."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.reports.choices import DashboardKey, Frequency


def _all_dashboards() -> list[str]:
    return list(DashboardKey.values)


class ScheduledReport(models.Model):
    name = models.CharField(_("name"), max_length=150)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    dashboards = models.JSONField(_("dashboards"), default=_all_dashboards)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipients (people)"),
        blank=True,
        related_name="scheduled_reports",
    )
    extra_addresses = models.TextField(
        _("other addresses"),
        blank=True,
        help_text=_("One e-mail address per line (a management mailing list, for example)."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("only this team's tickets"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The administrator who last saved the schedule: it is sent in their name, and only while
    # they are still an active administrator (SECURITY.md A7); another one adopts it by saving.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScheduledReportRun(models.Model):
    """One row per report and period: the unique constraint makes a send happen once, even
    when a restarted worker runs the periodic task again."""

    report = models.ForeignKey(ScheduledReport, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateField()
    period_end = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["report", "period_start"], name="report_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.period_start}"
