"""Polling IMAP mailboxes (IMAPS or STARTTLS) with IMAPClient.

For each mailbox: take a lease (one poller at a time, whatever the number of workers), select
the folder, compare its UIDVALIDITY with the one we know (a change means the server renumbered
the messages: we start again from the top, and the identity of each message — its Message-ID
or hash — keeps them from being processed twice), then fetch the messages not yet marked
processed, in batches. Each message is stored and processed (relais.mail.services, committed),
and only then marked on the server: the `$RelaisProcessed` keyword, or moved to the processed
folder. A crash anywhere leaves a message either unmarked (it is fetched again and recognised)
or marked after its commit: never lost, never processed twice.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from imapclient import IMAPClient

from relais.core import faults
from relais.core.secrets import unseal
from relais.mail.choices import Security
from relais.mail.models import Mailbox
from relais.mail.services import ingest, process_pending

logger = logging.getLogger(__name__)

PROCESSED_KEYWORD = "$RelaisProcessed"
BATCH_SIZE = 20
LEASE = timedelta(minutes=5)


@dataclass
class PollReport:
    mailbox: str
    fetched: int = 0
    processed: int = 0
    already_known: int = 0
    errors: list[str] = field(default_factory=list)


def mailbox_password(mailbox: Mailbox) -> str:
    from_env = os.environ.get(f"RELAIS_IMAP_PASSWORD_{mailbox.name.upper().replace('-', '_')}")
    return from_env if from_env is not None else unseal(mailbox.password_sealed)


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.MAIL_IMAP_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(mailbox: Mailbox) -> IMAPClient:
    timeout = settings.MAIL_IMAP_TIMEOUT
    if mailbox.security == Security.IMAPS:
        client = IMAPClient(
            mailbox.host, port=mailbox.port, ssl=True, ssl_context=_ssl_context(), timeout=timeout
        )
    else:
        client = IMAPClient(mailbox.host, port=mailbox.port, ssl=False, timeout=timeout)
        if mailbox.security == Security.STARTTLS:
            client.starttls(_ssl_context())
        elif settings.PRODUCTION:
            raise ValueError("unencrypted IMAP is refused in production")
    client.login(mailbox.username, mailbox_password(mailbox))
    return client


def _take_lease(mailbox: Mailbox) -> bool:
    now = timezone.now()
    taken = Mailbox.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=mailbox.pk
    ).update(lease_until=now + LEASE)
    return taken == 1


def _release_lease(mailbox: Mailbox, *, error: str = "") -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_until=None, last_polled_at=timezone.now(), last_error=error[:500]
    )


def poll(mailbox: Mailbox, *, limit: int = 500) -> PollReport:
    report = PollReport(mailbox.name)
    if not _take_lease(mailbox):
        report.errors.append("another poller holds this mailbox")
        return report
    error = ""
    try:
        process_pending()
        client = connect(mailbox)
        try:
            _poll_folder(client, mailbox, report, limit)
        finally:
            try:
                client.logout()
            except Exception:
                logger.debug("IMAP logout failed", exc_info=True)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        report.errors.append(error)
        logger.warning("IMAP poll failed", extra={"mailbox": mailbox.name, "error": error})
        raise
    finally:
        _release_lease(mailbox, error=error)
    return report


def _poll_folder(client: IMAPClient, mailbox: Mailbox, report: PollReport, limit: int) -> None:
    status = client.select_folder(mailbox.folder)
    uidvalidity = int(status[b"UIDVALIDITY"])
    if mailbox.uidvalidity != uidvalidity:
        if mailbox.uidvalidity is not None:
            logger.warning(
                "UIDVALIDITY changed: rescanning the folder",
                extra={"mailbox": mailbox.name, "old": mailbox.uidvalidity, "new": uidvalidity},
            )
        mailbox.uidvalidity = uidvalidity
        mailbox.last_uid = 0
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
    if mailbox.processed_folder:
        uids = sorted(client.search(["ALL"]))
    else:
        uids = sorted(client.search(["UNKEYWORD", PROCESSED_KEYWORD]))
    uids = uids[:limit]
    for start in range(0, len(uids), BATCH_SIZE):
        batch = uids[start : start + BATCH_SIZE]
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            data = fetched.get(uid, {}).get(b"BODY[]")
            if data is None:
                continue
            report.fetched += 1
            result = ingest(bytes(data), mailbox=mailbox, uid=uid, uidvalidity=uidvalidity)
            if result.stored_now:
                report.processed += 1
            else:
                report.already_known += 1
            faults.reached("after_commit", uid=uid)
            _mark_done(client, mailbox, [uid])
        highest = max(batch)
        if highest > mailbox.last_uid:
            mailbox.last_uid = highest
            Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=highest)


def _mark_done(client: IMAPClient, mailbox: Mailbox, uids: Iterable[int]) -> None:
    uids = list(uids)
    if mailbox.processed_folder:
        if client.has_capability("MOVE"):
            client.move(uids, mailbox.processed_folder)
        else:
            client.copy(uids, mailbox.processed_folder)
            client.delete_messages(uids)
            client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()
    else:
        client.add_flags(uids, [PROCESSED_KEYWORD.encode(), b"\\Seen"])


def poll_all() -> list[PollReport]:
    reports = []
    for mailbox in Mailbox.objects.filter(is_active=True):
        try:
            reports.append(poll(mailbox))
        except Exception as exc:
            reports.append(PollReport(mailbox.name, errors=[f"{type(exc).__name__}: {exc}"]))
    return reports
