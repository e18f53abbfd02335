"""The transactional outbox: delivered after commit, never for a rollback, retried with
backoff, dead-lettered and visible to administrators."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from relais.core.choices import AuditAction, OutboxStatus
from relais.core.models import AuditLogEntry, OutboxMessage
from relais.core.services import (
    email_enqueue,
    outbox_backoff,
    outbox_deliver,
    outbox_deliver_due,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def let_time_pass() -> None:
    """Make every pending message due now, as if its backoff delay had elapsed."""
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_committed_email_is_delivered_after_commit_with_automatic_headers(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = email_enqueue(
            to=["camille@relais.test"],
            subject="Accusé de réception",
            text="Votre demande est enregistrée.",
        )
        # Inside the transaction nothing has left yet.
        assert smtp_server.messages == []

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sent["To"] == "camille@relais.test"
    assert sent["Subject"] == "Accusé de réception"
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["X-Auto-Response-Suppress"] == "All"
    assert sent["Message-ID"] == f"<o.{message.uid}@relais.localhost>"


def test_message_written_in_a_rolled_back_transaction_is_never_delivered(
    smtp_server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        email_enqueue(to=["camille@relais.test"], subject="x", text="y")
        raise RuntimeError("the change failed")

    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert outbox_deliver_due() == 0
    assert smtp_server.messages == []


def test_temporary_failure_is_retried_with_backoff_until_delivered(smtp_server):
    smtp_server.script(
        "camille@relais.test", "451 4.3.0 Try again later", "451 4.3.0 Try again later"
    )
    message = email_enqueue(to=["camille@relais.test"], subject="Relance", text="…")

    before = timezone.now()
    assert outbox_deliver(message_id=message.pk) == OutboxStatus.PENDING
    message.refresh_from_db()
    assert message.attempts == 1
    assert "451" in message.last_error
    # First retry waits between 50 % and 100 % of the base delay (30 s).
    assert (
        before + timedelta(seconds=14)
        <= message.next_attempt_at
        <= timezone.now() + timedelta(seconds=31)
    )
    # Not due yet: the sweep leaves it alone.
    assert outbox_deliver_due() == 0
    assert smtp_server.messages == []

    let_time_pass()
    assert outbox_deliver_due() == 0  # second 451
    let_time_pass()
    assert outbox_deliver_due() == 1

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 3
    assert len(smtp_server.messages) == 1


def test_message_is_dead_lettered_after_the_last_attempt_and_shown_to_admins(
    smtp_server, admin_user, agent, collaborator, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp_server.script("panne@relais.test", *["451 4.3.0 Mailbox busy"] * 3)
    message = email_enqueue(to=["panne@relais.test"], subject="Panne", text="…")

    statuses = []
    for _attempt in range(3):
        let_time_pass()
        statuses.append(outbox_deliver(message_id=message.pk))
    assert statuses == [OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.DEAD]

    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert message.dead_at is not None
    # Dead messages are not retried any more.
    let_time_pass()
    assert outbox_deliver_due() == 0
    assert smtp_server.messages == []
    entry = AuditLogEntry.objects.get(action=AuditAction.OUTBOX_DEAD)
    assert entry.object_id == str(message.pk)

    url = reverse("core:outbox") + "?status=dead"
    page = client_for(admin_user).get(url)
    assert page.status_code == 200
    assert "panne@relais.test" in page.content.decode()
    assert client_for(agent).get(url).status_code == 403
    assert client_for(collaborator).get(url).status_code == 404


def test_permanent_refusal_is_not_retried(smtp_server):
    smtp_server.script("inconnu@relais.test", "550 5.1.1 No such user")
    message = email_enqueue(to=["inconnu@relais.test"], subject="x", text="y")

    assert outbox_deliver(message_id=message.pk) == OutboxStatus.DEAD
    message.refresh_from_db()
    assert message.attempts == 1
    assert "550" in message.last_error


def test_admin_requeues_a_dead_message_and_it_is_delivered(
    smtp_server, admin_user, agent, django_capture_on_commit_callbacks
):
    smtp_server.script("retour@relais.test", "550 5.2.2 Mailbox full")
    message = email_enqueue(to=["retour@relais.test"], subject="Retour", text="…")
    outbox_deliver(message_id=message.pk)
    url = reverse("core:outbox_requeue", args=[message.pk])

    # An agent may not requeue: nothing changes.
    assert client_for(agent).post(url).status_code == 403
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post(url)
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert [m["Subject"] for m in smtp_server.messages] == ["Retour"]
    # The same identity as the first attempt, so receivers can deduplicate.
    assert smtp_server.messages[0]["Message-ID"] == f"<o.{message.uid}@relais.localhost>"
    assert AuditLogEntry.objects.filter(action=AuditAction.OUTBOX_RETRY).count() == 1


def test_a_message_held_by_another_worker_is_not_delivered_twice(smtp_server):
    message = email_enqueue(to=["camille@relais.test"], subject="Une fois", text="…")
    # Another worker claimed it (its lease runs for a few minutes).
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert outbox_deliver(message_id=message.pk) is None
    assert outbox_deliver_due() == 0
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (4, 120, 240), (30, 3 * 3600, 6 * 3600)],
)
def test_backoff_grows_exponentially_with_jitter_and_a_cap(attempts, low, high):
    delays = {outbox_backoff(attempts).total_seconds() for _ in range(50)}
    assert all(low <= delay <= high for delay in delays)
    assert len(delays) > 1  # jittered
