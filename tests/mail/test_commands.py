"""`relais mail-ingest` (an MTA pipe), `mail-replay`: what they print and their exit codes."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.management import call_command

from relais.mail.choices import InboundStatus
from relais.mail.models import InboundMessage
from relais.tickets.models import Ticket
from tests.mail.conftest import build_mail, corpus_bytes

pytestmark = pytest.mark.django_db


def _run(command: str, *args: str, stdin: bytes = b"", monkeypatch: Any, capsys: Any) -> Any:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exit_info:
        call_command(command, *args)
    out = capsys.readouterr()
    return exit_info.value.code, out.out.strip(), out.err.strip()


def test_mail_ingest_prints_the_ticket_it_created_then_that_it_knew_it(
    claire: Any, monkeypatch: Any, capsys: Any
) -> None:
    raw = build_mail(sender=claire.email)
    code, out, _err = _run("mail-ingest", stdin=raw, monkeypatch=monkeypatch, capsys=capsys)
    ticket = Ticket.objects.get()
    assert (code, out) == (0, f"{ticket.reference} created")
    code, out, _err = _run("mail-ingest", stdin=raw, monkeypatch=monkeypatch, capsys=capsys)
    assert (code, out) == (0, f"{ticket.reference} created (already processed)")


def test_mail_ingest_says_why_it_set_a_message_aside(monkeypatch: Any, capsys: Any) -> None:
    raw = corpus_bytes("42-precedence-bulk.eml")
    code, out, _err = _run("mail-ingest", stdin=raw, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and out == "set aside: Precedence: bulk"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("stdin", "code", "says"),
    [
        (b"", 66, "No message"),
        (b"this is not mail at all\n", 65, "not an e-mail"),
    ],
)
def test_mail_ingest_refuses_what_is_not_mail(
    stdin: bytes, code: int, says: str, monkeypatch: Any, capsys: Any, db: Any
) -> None:
    got, _out, err = _run("mail-ingest", stdin=stdin, monkeypatch=monkeypatch, capsys=capsys)
    assert got == code and says in err
    assert not InboundMessage.objects.exists()


def test_mail_ingest_refuses_an_unknown_mailbox(monkeypatch: Any, capsys: Any, db: Any) -> None:
    got, _out, err = _run(
        "mail-ingest",
        "--mailbox",
        "nulle-part",
        stdin=b"From: a@b.c\n\nx",
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert got == 64 and "nulle-part" in err


def test_a_message_that_failed_is_kept_and_replayed(
    claire: Any, monkeypatch: Any, capsys: Any, category: Any
) -> None:
    # No category to file under: processing fails, the raw message stays.
    from relais.tickets.models import Category

    for category in Category.objects.all():  # as an administrator would, one by one
        category.is_active = False
        category.save()
    raw = build_mail(sender=claire.email)
    code, out, _err = _run("mail-ingest", stdin=raw, monkeypatch=monkeypatch, capsys=capsys)
    inbound = InboundMessage.objects.get()
    assert code == 0 and out.startswith("set aside:")
    assert inbound.status == InboundStatus.FAILED
    for category in Category.objects.all():
        category.is_active = True
        category.save()
    code, out, _err = _run(
        "mail-replay", "--failed", stdin=b"", monkeypatch=monkeypatch, capsys=capsys
    )
    ticket = Ticket.objects.get()
    assert code == 0 and out == f"{inbound.pk}: {ticket.reference} created"


def test_mail_replay_needs_something_to_replay(monkeypatch: Any, capsys: Any, db: Any) -> None:
    code, _out, err = _run("mail-replay", stdin=b"", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "--failed" in err
    code, _out, err = _run("mail-replay", "999", stdin=b"", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1 and "999" in err


def test_the_inbound_actions_follow_one_rule_on_the_page_and_in_the_services(
    admin_user: Any, db: Any
) -> None:
    from django.core.exceptions import ValidationError
    from django.urls import reverse

    from relais.mail.services import message_act
    from tests.conftest import client_for

    raw = corpus_bytes("42-precedence-bulk.eml")
    from relais.mail.services import ingest

    inbound = ingest(raw).inbound
    page = client_for(admin_user).get(reverse("mail:detail", args=[inbound.pk])).content.decode()
    assert reverse("mail:discard", args=[inbound.pk]) in page
    assert reverse("mail:release", args=[inbound.pk]) not in page  # not in quarantine
    discarded = message_act(inbound=inbound, action="discard", actor=admin_user)
    page = client_for(admin_user).get(reverse("mail:detail", args=[inbound.pk])).content.decode()
    assert reverse("mail:replay", args=[inbound.pk]) not in page
    with pytest.raises(ValidationError):
        message_act(inbound=discarded, action="replay", actor=admin_user)
    response = client_for(admin_user).post(
        f"/api/v1/mail/messages/{inbound.pk}/replay", content_type="application/json"
    )
    assert response.status_code == 400
