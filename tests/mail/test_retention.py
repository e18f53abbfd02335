"""Raw messages are kept MAIL_RAW_RETENTION_DAYS, then deleted with the originals kept beside
the replies; what still waits for a decision is kept. Time-travelled: the job is run "later"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from relais.core.backup import verify
from relais.mail.choices import InboundStatus
from relais.mail.models import InboundMessage
from relais.mail.services import actions_for, raw_retention_purge, raw_sweep_orphans
from relais.tickets.models import Ticket


def test_old_raw_messages_are_deleted_once_and_the_tickets_stay(
    claire: Any,
    admin_user: Any,
    ingest_mail: Any,
    make_mail: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MAIL_RAW_RETENTION_DAYS = 30
    old = ingest_mail(make_mail(sender=claire.email, subject="Imprimante en panne")).inbound
    recent = ingest_mail(make_mail(sender=claire.email, subject="Écran noir")).inbound
    assert old.original_text and default_storage.exists(old.raw_name)
    now = timezone.now()
    InboundMessage.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=40))
    InboundMessage.objects.filter(pk=recent.pk).update(received_at=now - timedelta(days=20))

    with django_capture_on_commit_callbacks(execute=True):
        assert raw_retention_purge(now=now - timedelta(days=15)) == 0  # 25 days old then
    with django_capture_on_commit_callbacks(execute=True):
        assert raw_retention_purge(now=now) == 1
    later = now
    old.refresh_from_db()
    assert old.raw_purged_at is not None
    assert old.original_text == "" and old.original_html == ""
    assert not default_storage.exists(old.raw_name)
    assert Ticket.objects.filter(pk=old.ticket_id).exists()  # the ticket and its text stay
    assert default_storage.exists(recent.raw_name)
    # Idempotent: a second run finds nothing to do.
    with django_capture_on_commit_callbacks(execute=True):
        assert raw_retention_purge(now=later) == 0
    # The pages say so, the raw download is gone, nothing can be replayed.
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/administration/courriels/{old.pk}/")
    assert page.status_code == 200
    assert "supprimé" in page.content.decode()
    assert client.get(f"/administration/courriels/{old.pk}/brut/").status_code == 404
    assert "replay" not in actions_for(old)
    # A backup's verification does not count the deleted file as missing.
    assert not [p for p in verify({"tables": {}}) if "InboundMessage" in p]


def test_messages_waiting_for_a_decision_are_kept(
    imap_mailbox: Any, ingest_mail: Any, make_mail: Any, settings: Any
) -> None:
    from relais.mail.choices import UnknownSenders

    settings.MAIL_RAW_RETENTION_DAYS = 30
    imap_mailbox.unknown_senders = UnknownSenders.QUARANTINE
    imap_mailbox.save()
    held = ingest_mail(make_mail(sender="inconnu@ailleurs.example"), mailbox=imap_mailbox).inbound
    assert held.status == InboundStatus.QUARANTINED
    assert raw_retention_purge(now=timezone.now() + timedelta(days=365)) == 0
    assert default_storage.exists(held.raw_name)


def test_a_file_left_by_an_interrupted_purge_is_swept(
    claire: Any, ingest_mail: Any, make_mail: Any, settings: Any
) -> None:
    # The row is marked in one transaction, the file deleted after the commit: a crash in
    # between leaves the file, which the orphan sweep then removes.
    settings.MAIL_RAW_RETENTION_DAYS = 30
    inbound = ingest_mail(make_mail(sender=claire.email)).inbound
    assert raw_retention_purge(now=timezone.now() + timedelta(days=31)) == 1  # hooks not run
    assert default_storage.exists(inbound.raw_name)
    assert raw_sweep_orphans(older_than=timedelta(0)) == 1
    assert not default_storage.exists(inbound.raw_name)
