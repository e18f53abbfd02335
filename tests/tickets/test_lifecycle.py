"""Opening, conversation, status workflow, reopening, rating and SLA clocks of tickets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from relais.core.models import OutboxMessage
from relais.tickets.choices import (
    Channel,
    EventKind,
    Level,
    MessageKind,
    Priority,
    TicketStatus,
)
from relais.tickets.models import PriorityRule, SlaPause, TeamSettings, Ticket, TicketEvent
from relais.tickets.services import (
    ConflictError,
    TicketDraft,
    sla_watch,
    ticket_close,
    ticket_open,
    ticket_rate,
    ticket_reopen,
    ticket_reply,
    ticket_update,
)
from tests.factories import UserFactory
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db


def mails_to(address: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.order_by("id") if address in m.payload["to"]]


def test_opening_a_ticket_routes_prioritises_and_starts_the_clocks(
    requester, vpn_category, vpn_team
):
    ticket = open_ticket(requester, vpn_category, impact=Level.HIGH, urgency=Level.MEDIUM)

    year = timezone.localdate().year
    assert re.fullmatch(rf"INC-{year}-\d{{6}}", ticket.reference)
    assert ticket.priority == Priority.P2  # seeded matrix: high × medium
    assert ticket.team == vpn_team
    assert ticket.status == TicketStatus.NEW
    assert ticket.channel == Channel.PORTAL
    assert ticket.first_response_target == 60
    assert ticket.resolution_target == 480
    assert ticket.created_at < ticket.first_response_due <= ticket.resolution_due
    events = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert events == [EventKind.CREATED]


def test_references_follow_each_other_per_type(requester, vpn_category):
    first = open_ticket(requester, vpn_category)
    second = open_ticket(requester, vpn_category)
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_priority_matrix_is_data_admins_change(requester, vpn_category):
    rule = PriorityRule.objects.get(impact=Level.LOW, urgency=Level.MEDIUM)
    rule.priority = Priority.P1
    rule.save()
    assert open_ticket(requester, vpn_category).priority == Priority.P1


def test_acknowledgement_carries_only_reference_and_title(requester, vpn_category):
    open_ticket(requester, vpn_category, description="Mot de passe: hunter2 canary-desc")
    [ack] = mails_to(requester.email)
    assert ack.payload["subject"].startswith("[INC-")
    assert "Le VPN se déconnecte" in ack.payload["text"]
    assert "canary-desc" not in ack.payload["text"]
    assert "/demandes/INC-" in ack.payload["text"]  # a link that asks to sign in


def test_team_is_notified_of_a_new_ticket(requester, vpn_category, team_agent):
    open_ticket(requester, vpn_category)
    [mail] = mails_to(team_agent.email)
    assert (
        "New ticket for your team" in mail.payload["subject"] or "équipe" in mail.payload["subject"]
    )


def test_round_robin_assigns_agents_in_turn(requester, vpn_category, vpn_team):
    first, second = UserFactory(role="agent"), UserFactory(role="agent")
    vpn_team.members.add(first, second)
    TeamSettings.objects.create(team=vpn_team, round_robin=True)
    assignees = [open_ticket(requester, vpn_category).assignee for _ in range(3)]
    assert assignees == [first, second, first]
    assert Ticket.objects.filter(status=TicketStatus.ASSIGNED).count() == 3


def test_invalid_drafts_are_refused_with_field_messages(requester, vpn_category):
    with pytest.raises(ValidationError) as caught:
        ticket_open(
            actor=requester, draft=TicketDraft(category=vpn_category, title=" ", description="")
        )
    assert set(caught.value.message_dict) == {"title", "description"}
    assert not Ticket.objects.exists()


def test_category_extra_fields_are_required(requester):
    from relais.tickets.models import Category

    category = Category.objects.get(name="Dysfonctionnement")
    with pytest.raises(ValidationError) as caught:
        open_ticket(requester, category)
    assert "application" in caught.value.message_dict
    ticket = open_ticket(requester, category, extra={"application": "Gestion locative"})
    assert ticket.extra == {"application": "Gestion locative"}


def test_collaborator_cannot_open_for_someone_else(requester, vpn_category):
    other = UserFactory()
    with pytest.raises(PermissionDenied):
        ticket_open(
            actor=requester,
            requester=other,
            draft=TicketDraft(category=vpn_category, title="x", description="y"),
        )


def test_agent_opens_on_behalf_of_a_colleague_and_a_tenant(team_agent, requester, vpn_category):
    ticket = ticket_open(
        actor=team_agent,
        requester=requester,
        channel=Channel.PHONE,
        draft=TicketDraft(
            category=vpn_category,
            title="Panne interphone",
            description="Le locataire du 3e a appelé.",
            contact_name="M. Diallo",
            contact_phone="06 00 00 00 00",
        ),
    )
    assert ticket.requester == requester
    assert ticket.created_by == team_agent
    assert ticket.contact_name == "M. Diallo"
    assert ticket.channel == Channel.PHONE


def test_first_agent_reply_stops_the_first_response_clock_and_notifies(
    ticket, team_agent, requester
):
    OutboxMessage.objects.all().delete()
    ticket_reply(ticket=ticket, actor=team_agent, body="Pouvez-vous redémarrer ?")
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.first_response_breached is False
    [mail] = mails_to(requester.email)
    assert "Pouvez-vous redémarrer ?" in mail.payload["text"]


def test_internal_note_never_notifies_the_requester(ticket, team_agent, requester):
    OutboxMessage.objects.all().delete()
    ticket_reply(ticket=ticket, actor=team_agent, body="Compte verrouillé", internal=True)
    ticket.refresh_from_db()
    assert mails_to(requester.email) == []
    assert ticket.first_responded_at is None  # a note is not a response


def test_requester_cannot_write_internal_notes(ticket, requester):
    with pytest.raises(PermissionDenied):
        ticket_reply(ticket=ticket, actor=requester, body="x", internal=True)
    assert not ticket.messages.exists()


def test_waiting_for_the_requester_pauses_the_clock_and_their_reply_resumes_it(
    ticket, team_agent, requester
):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"assignee": team_agent},
        expected_version=ticket.version,
    )
    ticket.refresh_from_db()
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.WAITING_REQUESTER},
        expected_version=ticket.version,
    )
    ticket.refresh_from_db()
    assert ticket.sla_paused_since is not None
    assert ticket.resolution_due is None
    assert SlaPause.objects.filter(ticket=ticket, ended_at__isnull=True).count() == 1

    ticket_reply(ticket=ticket, actor=requester, body="Voici la capture.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.sla_paused_since is None
    assert ticket.resolution_due is not None
    assert SlaPause.objects.get(ticket=ticket).ended_at is not None


def test_paused_time_is_kept_when_the_priority_changes(ticket, team_agent):
    start = ticket.created_at
    SlaPause.objects.create(
        ticket=ticket, started_at=start + timedelta(minutes=1), ended_at=start + timedelta(days=3)
    )
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"impact": Level.HIGH},
        expected_version=ticket.version,
    )
    ticket.refresh_from_db()
    assert ticket.priority == Priority.P2
    # P2 = 480 business minutes, counted around the 3-day pause: later than without it.
    from relais.tickets.services.clock import calendar_arithmetic

    without_pause = calendar_arithmetic(ticket.sla_calendar).add_business_time(
        start, timedelta(minutes=480)
    )
    assert ticket.resolution_due > without_pause
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_RECOMPUTED).exists()


def test_impossible_status_change_is_refused_and_nothing_changes(ticket, team_agent):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=ticket.version,
    )
    ticket.refresh_from_db()
    version = ticket.version
    with translation.override("en"), pytest.raises(ValidationError, match="cannot go from"):
        ticket_update(
            ticket=ticket,
            actor=team_agent,
            changes={"status": TicketStatus.WAITING_REQUESTER},
            expected_version=version,
        )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.version == version


def test_stale_edit_is_a_conflict_and_keeps_the_first_change(ticket, team_agent, vpn_team):
    second_agent = UserFactory(role="agent")
    vpn_team.members.add(second_agent)
    loaded = ticket.version
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.IN_PROGRESS},
        expected_version=loaded,
    )
    with pytest.raises(ConflictError) as caught:
        ticket_update(
            ticket=ticket,
            actor=second_agent,
            changes={"assignee": second_agent},
            expected_version=loaded,
        )
    assert caught.value.ticket.status == TicketStatus.IN_PROGRESS
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.assignee is None


def test_resolution_notifies_then_requester_closes_and_rates(ticket, team_agent, requester):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED, "resolution": "Certificat renouvelé"},
        expected_version=ticket.version,
    )
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    resolution_mail = mails_to(requester.email)[-1]
    assert "Certificat renouvelé" in resolution_mail.payload["text"]

    ticket_close(ticket=ticket, actor=requester)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    satisfaction = ticket_rate(ticket=ticket, actor=requester, rating=5, comment="Merci")
    assert satisfaction.rating == 5
    with pytest.raises(ValidationError):
        ticket_rate(ticket=ticket, actor=requester, rating=6)


def test_requester_reopens_within_the_window_but_not_after(ticket, team_agent, requester):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=ticket.version,
    )
    ticket.refresh_from_db()
    reopened = ticket_reopen(ticket=ticket, actor=requester, reason="Toujours coupé.")
    assert reopened.status in {TicketStatus.IN_PROGRESS, TicketStatus.NEW}
    assert reopened.reopen_count == 1
    assert reopened.messages.filter(kind=MessageKind.REPLY, body="Toujours coupé.").exists()

    ticket_update(
        ticket=reopened,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=reopened.version,
    )
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=11))
    ticket.refresh_from_db()
    with pytest.raises(PermissionDenied):
        ticket_reopen(ticket=ticket, actor=requester, reason="Encore.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED


def test_sla_watch_warns_then_records_the_breach_once(ticket, team_agent):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"assignee": team_agent},
        expected_version=ticket.version,
    )
    ticket_reply(ticket=ticket, actor=team_agent, body="Je regarde.")
    ticket.refresh_from_db()
    assert sla_watch(now=ticket.created_at) == {"warned": 0, "breached": 0}
    warn_time = ticket.resolution_warn_at + timedelta(seconds=1)
    assert sla_watch(now=warn_time) == {"warned": 1, "breached": 0}
    assert sla_watch(now=warn_time) == {"warned": 0, "breached": 0}
    late = ticket.resolution_due + timedelta(seconds=1)
    assert sla_watch(now=late)["breached"] == 1
    assert sla_watch(now=late)["breached"] == 0
    ticket.refresh_from_db()
    assert ticket.resolution_breached is True
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.SLA_WARNING) == 1
    assert kinds.count(EventKind.SLA_BREACHED) == 1
    assert any("SLA" in m.payload["subject"] for m in mails_to(team_agent.email))


def test_routing_falls_back_to_the_parent_category_team(requester, vpn_team):
    from relais.tickets.models import Category

    root = Category.objects.get(name="Connexion & VPN", parent=None)
    root.team = vpn_team
    root.save()
    child = Category.objects.get(name="Wi-Fi", parent=root)
    assert child.team is None
    assert open_ticket(requester, child).team == vpn_team


def test_calendar_hours_are_validated_when_saved():
    from relais.tickets.models import BusinessCalendar

    calendar = BusinessCalendar(name="Nuit", hours={"0": [["22:00", "06:00"]]})
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert "hours" in caught.value.message_dict
    BusinessCalendar(name="Soir", hours={"0": [["18:00", "00:00"]]}).full_clean()


def test_bulk_changes_are_for_supervisors_whatever_the_interface(ticket, team_agent, vpn_team):
    from relais.tickets.services import tickets_bulk_change

    with pytest.raises(PermissionDenied):
        tickets_bulk_change(
            actor=team_agent, ticket_ids=[ticket.pk], action="status", status=TicketStatus.CLOSED
        )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    supervisor = UserFactory(role="supervisor")
    outsider = UserFactory(role="agent")  # in no team: the ticket moves to theirs, or stays
    other_team_agent = UserFactory(role="agent")
    from tests.factories import TeamFactory

    apps_team = TeamFactory(name="Applis")
    apps_team.members.add(other_team_agent)
    assert tickets_bulk_change(
        actor=supervisor, ticket_ids=[ticket.pk], action="assign", assignee=other_team_agent
    ) == (1, 0)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team) == (other_team_agent, apps_team)
    assert tickets_bulk_change(
        actor=supervisor, ticket_ids=[ticket.pk], action="assign", assignee=outsider
    ) == (0, 1)
