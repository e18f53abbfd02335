"""Scheduled e-mail reports: the one write of the reports app (it records what it sent).

`scheduled_reports_send` runs every day (`tasks.send_scheduled_reports`). For each active
schedule it sends the last complete period (the previous Monday–Sunday week, or the previous
month) unless that period was already sent: a `ScheduledReportRun` row per schedule and period,
under a unique constraint, is written in the same transaction as the outbox rows. A restarted
or doubled worker therefore never sends twice, and a worker that was down on the Monday sends
on the next day it runs."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.core.services import email_enqueue
from relais.core.text import render_text
from relais.reports import selectors
from relais.reports.choices import TICKET_DASHBOARDS, DashboardKey, Frequency
from relais.reports.filters import TicketFilters
from relais.reports.models import ScheduledReport, ScheduledReportRun
from relais.reports.periods import Period, last_month, last_week

logger = logging.getLogger(__name__)


def report_period(report: ScheduledReport, today: date) -> Period:
    return last_week(today) if report.frequency == Frequency.WEEKLY else last_month(today)


def report_addresses(report: ScheduledReport) -> list[str]:
    """The chosen people (active, with an address) and the extra addresses, once each."""
    addresses = [u.email for u in report.recipients.filter(is_active=True) if u.email]
    for line in report.extra_addresses.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            validate_email(line)
        except ValidationError:
            logger.warning("scheduled_report.bad_address report=%s", report.pk)
            continue
        addresses.append(line)
    return list(dict.fromkeys(a.lower() for a in addresses))


def report_render(report: ScheduledReport, period: Period) -> tuple[str, str, str]:
    """Subject, text and HTML of one report (figures in the body; HTML escaped)."""
    filters = TicketFilters(teams=frozenset({report.team_id}) if report.team_id else None)
    keys = [k for k in report.dashboards if k in DashboardKey.values] or list(DashboardKey.values)
    with translation.override(report.language or "fr"):
        boards = selectors.dashboards(keys, period=period, filters=filters)
        context: dict[str, Any] = {
            "report": report,
            "period": period,
            "boards": boards,
            "team_note": report.team is not None,
            "ticket_keys": sorted(TICKET_DASHBOARDS),
            "site_url": settings.SITE_URL,
        }
        subject = _("%(name)s — report from %(start)s to %(end)s") % {
            "name": report.name,
            "start": period.start.strftime("%d/%m/%Y"),
            "end": period.end.strftime("%d/%m/%Y"),
        }
        text = render_text("reports/email/report.txt", context)
        html = render_to_string("reports/email/report.html", context)
    return subject, text, html


def scheduled_report_send(*, report: ScheduledReport, today: date) -> int:
    """Send the report's last complete period once. Returns the number of mails queued (0
    when that period was already sent, or nobody is left to send to)."""
    period = report_period(report, today)
    addresses = report_addresses(report)
    if not addresses:
        return 0
    subject, text, html = report_render(report, period)
    try:
        with transaction.atomic():
            ScheduledReportRun.objects.create(
                report=report,
                period_start=period.start,
                period_end=period.end,
                recipients=len(addresses),
            )
            for address in addresses:
                email_enqueue(to=[address], subject=subject, text=text, html=html)
    except IntegrityError:
        return 0  # already sent for this period (another run got there first)
    return len(addresses)


def scheduled_reports_send(*, today: date | None = None) -> int:
    """Periodic: every active schedule whose last complete period has not been sent."""
    today = today or timezone.localdate()
    sent = 0
    from relais.reports.permissions import scheduled_reports

    active = ScheduledReport.objects.filter(is_active=True).select_related("team", "scheduled_by")
    for report in active:
        if report.scheduled_by is not None and not scheduled_reports.can(
            report.scheduled_by, "edit", report
        ):
            # Checked when the report is due (SECURITY.md A7): its administrator left or lost
            # the role since; nothing is sent in their name until another one saves it.
            logger.warning(
                "scheduled_report.skipped report=%s: its author is no longer an administrator",
                report.pk,
            )
            continue
        period = report_period(report, today)
        if ScheduledReportRun.objects.filter(report=report, period_start=period.start).exists():
            continue
        sent += scheduled_report_send(report=report, today=today)
    return sent
