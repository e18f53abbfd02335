"""SECURITY.md A7: work that runs later checks its actor again when it runs. Someone who lost
the right in between (demoted, or gone) gets nothing done in their name and nothing sent to
them; the time passes with freezegun, the way the periodic tasks see it.

- auto-close of resolved tickets: done in the desk's name (no actor), whoever resolved;
- the background asset import: re-checked against its author, refused and reported;
- article review reminders: not sent to an owner who may no longer edit the article;
- scheduled reports: not sent in the name of an administrator who is no longer one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from relais.accounts.choices import Role
from relais.accounts.services import user_update
from relais.assets import services as assets
from relais.assets.choices import ImportState
from relais.assets.models import Asset
from relais.core.models import OutboxMessage
from relais.kb.services import ArticleDraft, article_create, articles_review_reminders
from relais.reports import services as reports
from relais.reports.choices import DashboardKey, Frequency
from relais.reports.models import ScheduledReport
from relais.tickets.choices import Level, TicketStatus
from relais.tickets.models import Category, TicketEvent
from relais.tickets.services import TicketDraft, ticket_open, ticket_update, tickets_auto_close
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def demote(user: Any, admin: Any) -> None:
    user_update(user=user, actor=admin, data={"role": Role.COLLABORATOR}, allowed_fields=("role",))


def mails_to(address: str) -> int:
    return sum(1 for m in OutboxMessage.objects.all() if m.payload.get("to") == [address])


def test_auto_close_is_the_desks_act_not_the_resolvers(admin_user):
    team = TeamFactory()
    agent = UserFactory(role=Role.AGENT)
    team.members.add(agent)
    category, _ = Category.objects.get_or_create(name="VPN-A7", defaults={"team": team})
    requester = UserFactory(role=Role.COLLABORATOR)
    ticket = ticket_open(
        actor=requester,
        draft=TicketDraft(
            category=category,
            title="Le VPN coupe",
            description="Souvent.",
            impact=Level.LOW,
            urgency=Level.LOW,
        ),
    )
    ticket_update(
        ticket=ticket,
        actor=agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=ticket.version,
    )
    demote(agent, admin_user)  # the resolver leaves the desk before the delay is over

    with freeze_time(timezone.now() + timedelta(days=30)):
        assert tickets_auto_close() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    closing = TicketEvent.objects.filter(ticket=ticket).order_by("-pk").first()
    assert closing is not None and closing.actor is None


def test_a_background_import_is_refused_when_its_author_lost_the_right(
    admin_user, django_capture_on_commit_callbacks
):
    author = UserFactory(role=Role.ADMIN)
    csv = "étiquette;numéro de série;type;fabricant;modèle\nPC-9;S9;Ordinateur portable;Dell;X\n"
    upload = SimpleUploadedFile("parc.csv", csv.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        job = assets.import_job_create(actor=author, upload=upload, dry_run=False)
    demote(author, admin_user)

    with freeze_time(timezone.now() + timedelta(minutes=5)):
        ran = assets.import_job_run(job_id=job.pk)
    assert ran is not None
    assert ran.state == ImportState.FAILED
    assert ran.errors[0]["message"] == "La personne qui a lancé l’import ne peut plus importer."
    assert not Asset.objects.exists()


def test_a_review_reminder_skips_an_owner_who_may_no_longer_edit(admin_user):
    today = timezone.localdate()
    owner = UserFactory(role=Role.SUPERVISOR)
    kept = UserFactory(role=Role.SUPERVISOR)
    for person, title in ((owner, "Badge perdu"), (kept, "Imprimante")):
        article_create(
            draft=ArticleDraft(
                title=title, body="Texte.", tags=(), review_by=today + timedelta(days=10)
            ),
            actor=person,
            state="published",
        )
    demote(owner, admin_user)

    later = today + timedelta(days=11)
    with freeze_time(later):
        assert articles_review_reminders() == 1
    assert mails_to(owner.email) == 0
    assert mails_to(kept.email) == 1


def test_a_scheduled_report_is_not_sent_in_the_name_of_a_former_administrator(admin_user):
    author = UserFactory(role=Role.ADMIN)
    successor = UserFactory(role=Role.ADMIN)
    manager = UserFactory(role=Role.SUPERVISOR, email="direction@relais.test")
    report = ScheduledReport.objects.create(
        name="Mensuel",
        frequency=Frequency.MONTHLY,
        dashboards=[DashboardKey.TICKETS],
        scheduled_by=author,
    )
    report.recipients.add(manager)
    demote(author, admin_user)

    with freeze_time(date(2026, 12, 1)):
        assert reports.scheduled_reports_send() == 0
    assert mails_to("direction@relais.test") == 0

    # Another administrator adopts it by saving it in Django's admin: it goes out again.
    admin_page = client_for(successor)
    change = reverse("admin:reports_scheduledreport_change", args=[report.pk])
    form = {
        "name": "Mensuel",
        "frequency": Frequency.MONTHLY,
        "dashboards": [DashboardKey.TICKETS],
        "recipients": [manager.pk],
        "extra_addresses": "",
        "language": "fr",
        "is_active": "on",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
    }
    assert admin_page.post(change, form).status_code == 302
    report.refresh_from_db()
    assert report.scheduled_by == successor
    with freeze_time(date(2026, 12, 2)):
        assert reports.scheduled_reports_send() == 1
    assert mails_to("direction@relais.test") == 1
