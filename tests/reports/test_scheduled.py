"""Scheduled e-mail reports: sent through the outbox to the real test SMTP server, with the
figures in the body (HTML escaped), once per period whatever the number of runs."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from relais.accounts.choices import Role
from relais.core.services import outbox_deliver_due
from relais.reports import services
from relais.reports.choices import DashboardKey, Frequency
from relais.reports.models import ScheduledReport, ScheduledReportRun
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.reports.conftest import Desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def october_mailed(october: Desk, smtp_server: Any) -> Desk:
    """The scenario's ticket notifications delivered and forgotten."""
    outbox_deliver_due()
    smtp_server.handler.reset()
    return october


def body(message: Any, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode()
    raise AssertionError(subtype)


def test_the_monthly_report_is_mailed_once_with_its_figures(
    october_mailed: Desk, smtp_server: Any
) -> None:
    manager = UserFactory(email="direction@relais.test", display_name="Direction <b>DSI</b>")
    report = ScheduledReport.objects.create(
        name="Rapport <mensuel> & co",
        frequency=Frequency.MONTHLY,
        dashboards=[DashboardKey.TICKETS, DashboardKey.SATISFACTION],
        extra_addresses="comite@relais.test\npas-une-adresse\n",
    )
    report.recipients.add(manager)

    assert services.scheduled_reports_send(today=date(2026, 11, 1)) == 2
    assert services.scheduled_reports_send(today=date(2026, 11, 1)) == 0  # a second run
    assert services.scheduled_reports_send(today=date(2026, 11, 17)) == 0  # later that month
    assert outbox_deliver_due() == 2

    messages = smtp_server.messages
    assert sorted(m["To"] for m in messages) == ["comite@relais.test", "direction@relais.test"]
    mail = messages[0]
    assert mail["Subject"].strip() == "Rapport <mensuel> & co — rapport du 01/10/2026 au 31/10/2026"
    text, html = body(mail, "plain"), body(mail, "html")
    assert "- Ouvertes : 6" in text
    assert re.search(r"- Note moyenne \(sur 5\) : 3[,.]5\r?\n", text)
    assert "Rapport &lt;mensuel&gt; &amp; co" in html
    assert "<mensuel>" not in html
    assert "=HYPERLINK(&quot;http://evil.example&quot;)" in html
    run = ScheduledReportRun.objects.get()
    assert (run.period_start, run.period_end, run.recipients) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        2,
    )


def test_the_weekly_report_covers_last_week_and_a_team(
    october_mailed: Desk, smtp_server: Any
) -> None:
    report = ScheduledReport.objects.create(
        name="Hebdo réseau",
        frequency=Frequency.WEEKLY,
        dashboards=[DashboardKey.TICKETS],
        team=october_mailed.apps,
        extra_addresses="reseau@relais.test",
    )
    # Monday 19 October: the week of 12 to 18 October, the apps team's ticket only.
    assert services.scheduled_reports_send(today=date(2026, 10, 21)) == 1
    outbox_deliver_due()
    text = body(smtp_server.messages[0], "plain")
    assert "Du 12/10/2026 au 18/10/2026" in text
    assert "- Ouvertes : 1" in text
    assert ScheduledReportRun.objects.get(report=report).period_start == date(2026, 10, 12)


def test_an_inactive_schedule_or_one_without_recipients_sends_nothing(october: Desk) -> None:
    ScheduledReport.objects.create(
        name="Éteint", frequency=Frequency.WEEKLY, is_active=False, extra_addresses="a@relais.test"
    )
    ScheduledReport.objects.create(name="Personne", frequency=Frequency.WEEKLY)
    assert services.scheduled_reports_send(today=date(2026, 10, 19)) == 0
    assert not ScheduledReportRun.objects.exists()


def test_an_admin_chooses_the_recipients_in_the_admin_and_nobody_else_can(
    october_mailed: Desk, smtp_server: Any
) -> None:
    """The schedules are set in Django's admin (administrators only): people chosen from the
    directory, other addresses one per line (a wrong one is refused), the dashboards, the
    frequency, an optional team. The next run mails exactly those recipients."""
    admin = UserFactory(role=Role.ADMIN)
    chosen = UserFactory(email="chef@relais.test", role=Role.SUPERVISOR)
    form = {
        "name": "Comité de direction",
        "frequency": Frequency.MONTHLY,
        "dashboards": [DashboardKey.TICKETS, DashboardKey.SLA],
        "recipients": [chosen.pk],
        "extra_addresses": "codir@relais.test\n",
        "team": "",
        "language": "fr",
        "is_active": "on",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
    }
    url = "/django-admin/reports/scheduledreport/add/"
    for refused in (october_mailed.supervisor, october_mailed.vpn_agent, october_mailed.requester):
        assert client_for(refused).post(url, form).status_code == 302  # to the admin login
    assert not ScheduledReport.objects.exists()

    bad = client_for(admin).post(url, {**form, "extra_addresses": "codir@relais.test\nnope\n"})
    assert bad.status_code == 200
    assert not ScheduledReport.objects.exists()
    assert client_for(admin).post(url, form).status_code == 302
    report = ScheduledReport.objects.get()
    assert list(report.recipients.all()) == [chosen]
    assert report.dashboards == [DashboardKey.TICKETS, DashboardKey.SLA]

    assert services.scheduled_reports_send(today=date(2026, 11, 2)) == 2
    outbox_deliver_due()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "chef@relais.test",
        "codir@relais.test",
    ]
    text = body(smtp_server.messages[0], "plain")
    assert "== Assistance ==" in text
    assert "== Niveaux de service ==" in text
    assert "== Satisfaction ==" not in text  # not chosen
