"""Ticket mail that threads in the recipient's client, survives a busy server and shows on
the ticket when it cannot be delivered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from relais.core.choices import OutboxStatus
from relais.core.models import OutboxMessage
from relais.core.services import outbox_deliver_due
from relais.mail.models import Correspondent
from relais.mail.outbound import thread_root_id
from relais.tickets.choices import EventKind
from relais.tickets.models import Ticket
from relais.tickets.services import ticket_reply
from tests.mail.conftest import DESK

pytestmark = pytest.mark.django_db


def _let_time_pass() -> None:
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_agent_reply_threads_under_the_requesters_own_mail_in_their_language(
    claire: Any,
    sophie: Any,
    ingest_mail: Any,
    make_mail: Any,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    claire.language = "en"
    claire.save()
    raw = make_mail(sender=claire.email, message_id="<origine@client.example>")
    ticket = ingest_mail(raw).inbound.ticket
    smtp_server.handler.reset()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=sophie, body="Pouvez-vous **redémarrer** ?")
    [mail] = [m for m in smtp_server.messages if m["To"] == claire.email]
    assert mail["In-Reply-To"] == "<origine@client.example>"
    assert thread_root_id(ticket) in mail["References"]
    assert mail["Message-ID"].startswith("<o.") and mail["Message-ID"].endswith("@relais.test>")
    assert mail["Reply-To"] == DESK
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert text.splitlines()[0] == "##- Reply above this line -##"
    assert "New reply to your request" in mail["Subject"]
    assert "<strong>redémarrer</strong>" in html

    # Her answer to that mail comes back onto the ticket.
    answer = make_mail(
        sender=claire.email,
        body="Done, it works.\n\nOn Thu, Relais wrote:\n> ##- Reply above this line -##\n> …",
        headers={"In-Reply-To": mail["Message-ID"], "References": mail["References"]},
    )
    result = ingest_mail(answer)
    assert result.inbound.ticket == ticket
    assert result.inbound.ticket_message.body == "Done, it works."


def test_a_busy_server_is_retried_and_a_refusal_shows_on_the_ticket(
    claire: Any,
    karim: Any,
    sophie: Any,
    ingest_mail: Any,
    make_mail: Any,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = ingest_mail(make_mail(sender=claire.email, headers={"Cc": karim.email})).inbound.ticket
    smtp_server.handler.reset()
    smtp_server.script(claire.email, "451 4.3.0 Mailbox busy")
    smtp_server.script(karim.email, "550 5.1.1 No such user")
    karim.role = "collaborator"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=sophie, body="Nous regardons.")
    to_claire = OutboxMessage.objects.get(payload__to=[claire.email], status=OutboxStatus.PENDING)
    to_karim = OutboxMessage.objects.get(payload__to=[karim.email])
    assert to_karim.status == OutboxStatus.DEAD and to_karim.attempts == 1  # 5xx: no retry
    _let_time_pass()
    assert outbox_deliver_due() == 1
    to_claire.refresh_from_db()
    assert to_claire.status == OutboxStatus.SENT and to_claire.attempts == 2
    assert [m["To"] for m in smtp_server.messages] == [claire.email]
    failure = ticket.events.get(kind=EventKind.DELIVERY_FAILED)
    assert karim.email in failure.new_value and "550" in failure.new_value
    assert Correspondent.objects.get(address=karim.email).bouncing_since is not None
    # A bouncing address is not mailed again until mail comes from it.
    smtp_server.handler.reset()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=sophie, body="Toujours en cours.")
    assert [m["To"] for m in smtp_server.messages] == [claire.email]


def test_a_bounce_marks_the_address_and_later_mail_from_it_clears_the_mark(
    claire: Any, ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    ticket = ingest_mail(make_mail(sender=claire.email)).inbound.ticket
    ack_id = smtp_server.messages[0]["Message-ID"]
    from tests.mail.conftest import corpus_bytes

    bounce = corpus_bytes("50-bounce-dsn-postfix-5.1.1.eml").replace(
        b"<o.9a4c7d2e-1b3f-4a5e-8c6d-0e2f4a6b8c01@relais.test>", ack_id.encode()
    )
    result = ingest_mail(bounce)
    assert result.inbound.ticket == ticket
    assert ticket.events.filter(kind=EventKind.DELIVERY_FAILED).count() == 1
    assert Correspondent.objects.get(address=claire.email).bouncing_since is not None
    ingest_mail(make_mail(sender=claire.email, subject="Autre chose"))
    assert Correspondent.objects.get(address=claire.email).bouncing_since is None
    assert Ticket.objects.count() == 2


def test_a_flood_from_one_sender_pauses_acknowledgements_and_alerts_admins_once(
    admin_user: Any, ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    robot = "robot@ailleurs.example"
    for n in range(14):
        ingest_mail(make_mail(sender=robot, subject=f"Alerte {n}"))
    acks = [m for m in smtp_server.messages if m["To"] == robot]
    alerts = [m for m in smtp_server.messages if m["To"] == admin_user.email]
    assert len(acks) == 10
    assert len(alerts) == 1 and robot in alerts[0]["Subject"]
    assert alerts[0]["Auto-Submitted"] == "auto-generated"
    assert Ticket.objects.count() == 14  # nothing is lost
