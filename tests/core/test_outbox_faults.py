"""Outbox fault drills (issue 11, SECURITY.md I2/I3):

a. a real `relais worker` process SIGKILLed in the middle of delivery — after a mail left
   and before it was marked sent, or after the claim and before the send — then restarted:
   every message is delivered, the interrupted one at most twice and then with the same
   Message-ID (so the receiver can drop the copy);
d. the SMTP server down for ten minutes: the retries back off with jitter (time travel), and
   the mail goes out once the server is back (a real server stopped, then started).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time

from relais.core.choices import OutboxStatus
from relais.core.models import OutboxMessage
from relais.core.services import email_enqueue, outbox_deliver_due
from tests.conftest import child_process_env
from tests.smtp import SmtpServer

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

ENQUEUE_FIVE = """
from django.db import transaction
from relais.core.services import email_enqueue
with transaction.atomic():
    for n in range(5):
        email_enqueue(to=[f"agent{n}@relais.test"], subject=f"Avis {n}", text="Bonjour")
"""


def _relais(env: dict[str, str], *args: str, timeout: int = 120) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "relais", *args],
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode


def _run_worker_until(env: dict[str, str], done, seconds: float = 60) -> int | None:  # type: ignore[no-untyped-def]
    """Run `relais worker` until `done()` or its own death; returns its exit code (None if it
    was still running and was stopped)."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "relais", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                return worker.returncode
            if done():
                return None
            time.sleep(0.2)
        raise AssertionError("the worker did not finish in time")
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not ON_POSTGRESQL, reason="the worker process needs the test's database")
@pytest.mark.parametrize(
    ("point", "sent_before_kill"), [("outbox.after_send", 3), ("outbox.before_send", 2)]
)
def test_a_worker_killed_during_delivery_delivers_each_message_after_restart(
    smtp_server: SmtpServer, tmp_path: Path, point: str, sent_before_kill: int
) -> None:
    env = child_process_env(
        tmp_path,
        RELAIS_HUEY_IMMEDIATE="0",  # the embedded queue (SQLite in the data directory)
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    assert _relais(env, "shell", "--no-imports", "-c", ENQUEUE_FIVE) == 0
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 5

    # The third delivery kills the worker dead at the crash point.
    killed = {**env, "RELAIS_FAULT_INJECTION": f"{point}:3"}
    assert _run_worker_until(killed, lambda: False) == -signal.SIGKILL
    assert len(smtp_server.messages) == sent_before_kill
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 2
    interrupted = OutboxMessage.objects.get(status=OutboxStatus.PENDING, attempts=1)
    assert interrupted.next_attempt_at > timezone.now()  # its lease holds it for 5 minutes

    # Restarted once the lease has run out (moved to now: the same as waiting 5 minutes).
    OutboxMessage.objects.filter(pk=interrupted.pk).update(next_attempt_at=timezone.now())
    assert (
        _run_worker_until(
            env, lambda: OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 5
        )
        is None
    )
    received = Counter(message["To"] for message in smtp_server.messages)
    assert sorted(received) == [f"agent{n}@relais.test" for n in range(5)]
    copies = {to: count for to, count in received.items() if count > 1}
    if point == "outbox.after_send":
        # Sent, killed before being marked: sent again, with the same Message-ID.
        assert list(copies.values()) == [2]
        (to,) = copies
        ids = {m["Message-ID"] for m in smtp_server.messages if m["To"] == to}
        assert len(ids) == 1
    else:
        assert copies == {}  # killed before the send: delivered once
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 5


@pytest.mark.django_db
def test_mail_waits_out_ten_minutes_of_smtp_outage_with_growing_jittered_delays(
    settings, smtp_server: SmtpServer
) -> None:
    down = SmtpServer()  # a port where nothing listens yet: connection refused
    settings.EMAIL_PORT = down.port
    start = timezone.now()
    with freeze_time(start) as clock:
        message = email_enqueue(to=["agent@relais.test"], subject="Panne SMTP", text="x")
        outbox_deliver_due()
        delays = []
        # Ten minutes of outage: every due retry fails and is put further off.
        while timezone.now() < start + timedelta(minutes=10):
            message.refresh_from_db()
            assert message.status == OutboxStatus.PENDING
            assert "ConnectionRefusedError" in message.last_error
            delays.append((message.next_attempt_at - timezone.now()).total_seconds())
            clock.move_to(message.next_attempt_at)
            outbox_deliver_due()
        # 30 s base, doubled each time, each scaled by a random 50-100 %.
        for n, delay in enumerate(delays):
            assert 30 * 2**n * 0.5 - 1 <= delay <= 30 * 2**n
        assert 3 <= len(delays) <= 6  # a handful of attempts, not a tight loop

        # The server is back: the next due retry delivers it.
        down.start()
        try:
            message.refresh_from_db()
            clock.move_to(message.next_attempt_at)
            assert outbox_deliver_due() == 1
        finally:
            down.stop()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert [m["Subject"] for m in down.messages] == ["Panne SMTP"]
    assert smtp_server.messages == []
