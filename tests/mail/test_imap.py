"""Polling a real IMAP server (Dovecot): each message processed exactly once, flagged only
after its commit, whatever crashes, renumbering or duplicates happen."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from relais.core import faults
from relais.core.secrets import seal
from relais.mail.choices import InboundStatus, Security
from relais.mail.imap import PROCESSED_KEYWORD, poll
from relais.mail.models import InboundMessage, Mailbox
from relais.tickets.models import Ticket
from tests.mail.conftest import build_mail

pytestmark = pytest.mark.django_db


def _fill(dovecot: Any, mailbox: Mailbox, count: int, sender: str) -> None:
    """`count` messages; "{n}" in `sender` gives each its own sender (more than ten from one
    address within ten minutes would pause its acknowledgements)."""
    for n in range(count):
        dovecot.append(
            mailbox.username,
            build_mail(
                sender=sender.format(n=n), subject=f"Demande {n:02d}", body=f"Texte {n:02d}."
            ),
        )


def _acks(smtp_server: Any, address: str) -> list[str]:
    return [m["Subject"] for m in smtp_server.messages if m["To"] == address]


def _poll(mailbox: Mailbox, capture: Any) -> Any:
    mailbox.refresh_from_db()
    with capture(execute=True):
        return poll(mailbox)


def test_new_mail_is_fetched_over_imaps_and_flagged_after_processing(
    dovecot: Any,
    imap_mailbox: Mailbox,
    claire: Any,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _fill(dovecot, imap_mailbox, 3, claire.email)
    report = _poll(imap_mailbox, django_capture_on_commit_callbacks)
    assert (report.fetched, report.processed, report.errors) == (3, 3, [])
    assert Ticket.objects.count() == 3
    assert dovecot.flagged(imap_mailbox.username, PROCESSED_KEYWORD.encode()) == 3
    assert len(_acks(smtp_server, claire.email)) == 3
    again = _poll(imap_mailbox, django_capture_on_commit_callbacks)
    assert again.fetched == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == "" and imap_mailbox.last_polled_at is not None


def test_starttls_and_moving_processed_mail_to_a_folder(
    dovecot: Any, imap_mailbox: Mailbox, claire: Any, django_capture_on_commit_callbacks: Any
) -> None:
    imap_mailbox.security = Security.STARTTLS
    imap_mailbox.port = dovecot.port
    imap_mailbox.processed_folder = "Traites"
    imap_mailbox.save()
    with dovecot.client(imap_mailbox.username) as client:
        client.create_folder("Traites")
    _fill(dovecot, imap_mailbox, 2, claire.email)
    _poll(imap_mailbox, django_capture_on_commit_callbacks)
    assert Ticket.objects.count() == 2
    assert dovecot.count(imap_mailbox.username, "INBOX") == 0
    assert dovecot.count(imap_mailbox.username, "Traites") == 2


def test_killed_after_commit_before_the_flag_resumes_without_duplicates(
    dovecot: Any,
    imap_mailbox: Mailbox,
    claire: Any,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _fill(dovecot, imap_mailbox, 1, claire.email)
    faults.arm("after_commit")
    with pytest.raises(faults.Crash):
        _poll(imap_mailbox, django_capture_on_commit_callbacks)
    # Committed (ticket and acknowledgement) but not flagged on the server.
    assert Ticket.objects.count() == 1
    assert dovecot.flagged(imap_mailbox.username, PROCESSED_KEYWORD.encode()) == 0
    report = _poll(imap_mailbox, django_capture_on_commit_callbacks)
    assert (report.fetched, report.processed, report.already_known) == (1, 0, 1)
    assert Ticket.objects.count() == 1
    assert len(_acks(smtp_server, claire.email)) == 1
    assert dovecot.flagged(imap_mailbox.username, PROCESSED_KEYWORD.encode()) == 1


@pytest.mark.parametrize("point", ["after_commit", "before_commit"])
def test_killed_in_the_middle_of_a_batch_of_twenty_every_message_ends_up_once(
    point: str,
    dovecot: Any,
    imap_mailbox: Mailbox,
    claire: Any,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _fill(dovecot, imap_mailbox, 20, "usager{n}@ailleurs.example")
    faults.arm(point, after=8)
    with pytest.raises(faults.Crash):
        _poll(imap_mailbox, django_capture_on_commit_callbacks)
    done = 8 if point == "after_commit" else 7  # before_commit: the 8th rolled back
    assert Ticket.objects.count() == done
    _poll(imap_mailbox, django_capture_on_commit_callbacks)
    titles = sorted(Ticket.objects.values_list("title", flat=True))
    assert titles == [f"Demande {n:02d}" for n in range(20)]
    acks = sorted(m["To"] for m in smtp_server.messages)
    assert acks == sorted(f"usager{n}@ailleurs.example" for n in range(20))
    assert dovecot.flagged(imap_mailbox.username, PROCESSED_KEYWORD.encode()) == 20
    assert not InboundMessage.objects.exclude(status=InboundStatus.PROCESSED).exists()


def test_a_replay_stopped_half_way_is_finished_by_the_next_poll(
    dovecot: Any,
    imap_mailbox: Mailbox,
    claire: Any,
    admin_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from relais.mail.services import ingest, message_replay
    from relais.tickets.models import Category

    for category in Category.objects.all():  # as an administrator would, one by one
        category.is_active = False
        category.save()
    mailbox = Mailbox.objects.get(pk=imap_mailbox.pk)  # its category, as now stored
    inbound = ingest(build_mail(sender=claire.email), mailbox=mailbox).inbound
    assert inbound.status == InboundStatus.FAILED  # nowhere to file it
    for category in Category.objects.all():
        category.is_active = True
        category.save()
    faults.arm("before_commit")
    with pytest.raises(faults.Crash):
        message_replay(inbound=inbound, actor=admin_user)
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.RECEIVED and not Ticket.objects.exists()
    _poll(imap_mailbox, django_capture_on_commit_callbacks)
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.PROCESSED and inbound.ticket is not None


def test_a_new_uidvalidity_rescans_the_folder_without_duplicates(
    dovecot: Any,
    imap_mailbox: Mailbox,
    claire: Any,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    imap_mailbox.folder = "Support"
    imap_mailbox.save()
    with dovecot.client(imap_mailbox.username) as client:
        client.create_folder("Support")
    for n in range(3):
        dovecot.append(
            imap_mailbox.username, build_mail(sender=claire.email, subject=f"S{n}"), "Support"
        )
    _poll(imap_mailbox, django_capture_on_commit_callbacks)
    before = Mailbox.objects.get(pk=imap_mailbox.pk).uidvalidity
    # The server is restored: same messages, renumbered, and our keyword lost on the way.
    with dovecot.client(imap_mailbox.username) as client:
        client.select_folder("Support")
        client.remove_flags(client.search(["ALL"]), [PROCESSED_KEYWORD.encode()])
    dovecot.recreate_folder(imap_mailbox.username, "Support")
    assert dovecot.uidvalidity(imap_mailbox.username, "Support") != before
    report = _poll(imap_mailbox, django_capture_on_commit_callbacks)
    assert (report.fetched, report.already_known) == (3, 3)
    assert Ticket.objects.count() == 3
    assert len(_acks(smtp_server, claire.email)) == 3
    assert Mailbox.objects.get(pk=imap_mailbox.pk).uidvalidity != before


def test_a_wrong_password_is_reported_on_the_mailbox_and_by_the_command(
    imap_mailbox: Mailbox, capsys: Any
) -> None:
    imap_mailbox.password_sealed = seal("pas-le-bon")
    imap_mailbox.save()
    with pytest.raises(SystemExit) as exit_info:
        call_command("mail-poll", "--mailbox", imap_mailbox.name)
    assert exit_info.value.code == 1
    assert imap_mailbox.name in capsys.readouterr().err
    imap_mailbox.refresh_from_db()
    assert "auth" in imap_mailbox.last_error.lower() or "login" in imap_mailbox.last_error.lower()
    assert imap_mailbox.lease_until is None  # the next poll may try again


def test_the_same_message_in_two_mailboxes_is_processed_once(
    dovecot: Any,
    imap_mailbox: Mailbox,
    category: Any,
    claire: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other_user = dovecot.add_user()
    other = Mailbox.objects.create(
        name="assistance",
        address="assistance@relais.test",
        host="127.0.0.1",
        port=dovecot.tls_port,
        username=other_user,
        password_sealed=seal(dovecot.users[other_user]),
        category=category,
    )
    raw = build_mail(sender=claire.email, to="support@relais.test, assistance@relais.test")
    dovecot.append(imap_mailbox.username, raw)
    dovecot.append(other_user, raw)
    _poll(imap_mailbox, django_capture_on_commit_callbacks)
    _poll(other, django_capture_on_commit_callbacks)
    assert Ticket.objects.count() == 1
    assert dovecot.flagged(other_user, PROCESSED_KEYWORD.encode()) == 1
