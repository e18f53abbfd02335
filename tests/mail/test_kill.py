"""SECURITY.md E1 with a real kill: `relais mail-poll` run as its own process and sent SIGKILL
after its 7th commit, in a batch of 20, then run again. PostgreSQL only: the poller process
must reach the test's database, which on SQLite lives in the test process's memory (the same
scenario runs in-process on both databases in test_imap.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from relais.core.models import OutboxMessage
from relais.mail.imap import PROCESSED_KEYWORD
from relais.mail.models import Mailbox
from relais.tickets.models import Ticket
from tests.conftest import child_process_env
from tests.mail.conftest import build_mail

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the killed process needs a database it can reach (PostgreSQL run)",
    ),
]


def _poller(mailbox: Mailbox, dovecot: Any, data_dir: Path, fault: str = "") -> int:
    env = child_process_env(
        data_dir,
        RELAIS_MAIL_IMAP_CA_FILE=str(dovecot.cert),
        RELAIS_MAIL_DESK_ADDRESS="support@relais.test",
        **{
            f"RELAIS_IMAP_PASSWORD_{mailbox.name.upper().replace('-', '_')}": dovecot.users[
                mailbox.username
            ]
        },
    )
    if fault:
        env["RELAIS_FAULT_INJECTION"] = fault
    completed = subprocess.run(
        [sys.executable, "-m", "relais", "mail-poll", "--mailbox", mailbox.name],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return completed.returncode


def test_a_poller_killed_after_its_seventh_commit_leaves_each_message_once(
    dovecot: Any, imap_mailbox: Mailbox, tmp_path: Path
) -> None:
    for n in range(20):
        dovecot.append(
            imap_mailbox.username,
            build_mail(sender=f"usager{n}@ailleurs.example", subject=f"Demande {n:02d}"),
        )
    assert _poller(imap_mailbox, dovecot, tmp_path, fault="after_commit:7") == -signal.SIGKILL
    assert Ticket.objects.count() == 7
    assert dovecot.flagged(imap_mailbox.username, PROCESSED_KEYWORD.encode()) == 6
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(lease_until=None)  # the lease would expire
    assert _poller(imap_mailbox, dovecot, tmp_path) == 0
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        f"Demande {n:02d}" for n in range(20)
    ]
    acks = sorted(to for (to,) in OutboxMessage.objects.values_list("payload__to"))
    assert acks == sorted([f"usager{n}@ailleurs.example"] for n in range(20))
    assert dovecot.flagged(imap_mailbox.username, PROCESSED_KEYWORD.encode()) == 20
