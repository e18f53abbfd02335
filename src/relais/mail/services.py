"""Inbound e-mail: every write of the channel goes through these functions (the IMAP poller,
`relais mail-ingest`, the replay command and the admin pages share them).

`ingest` keeps the raw bytes (a file), then in one transaction creates the row keyed by the
message's identity (its Message-ID, or a hash of its bytes) and does what the message asks —
a new ticket, a reply on a ticket, a bounce recorded, an automatic message set aside — with
the acknowledgement in the outbox. A message seen before is not processed again. A crash
before the commit leaves nothing (the source gives the message again); after it, the identity
is known. `message_process` processes a row left "received" (a replay stopped half-way;
`process_pending` picks such rows up at each poll).

The IMAP poller flags or moves a message on the server only after the commit.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.accounts.services import service_account
from relais.core import faults
from relais.core.choices import AuditAction
from relais.core.files import (
    SNIFF_BYTES,
    UploadRejected,
    check_upload,
    delete_stored,
    sweep_orphans,
)
from relais.core.outbox import AUTOMATIC_MAIL_HEADERS
from relais.core.sanitize import sanitize_html
from relais.core.secrets import seal
from relais.core.services import audit_record, email_enqueue
from relais.mail import quoting
from relais.mail.choices import InboundStatus, Outcome, UnknownSenders
from relais.mail.classify import Bounce, classify, sender_authenticated
from relais.mail.models import RAW_FOLDER, Correspondent, InboundMessage, Mailbox, MailReference
from relais.mail.outbound import own_addresses
from relais.mail.parsing import MailPart, ParsedMail, first_message_id, message_key, parse
from relais.mail.threads import Thread, find_thread, is_participant
from relais.tickets import permissions as ticket_permissions
from relais.tickets.choices import Channel, LinkKind, TicketStatus
from relais.tickets.config import desk_config
from relais.tickets.models import Attachment, Category, Ticket
from relais.tickets.services import (
    TicketDraft,
    ticket_acknowledge,
    ticket_delivery_failed,
    ticket_link,
    ticket_open,
    ticket_reply,
    ticket_system_note,
)
from relais.tickets.services.lifecycle import MAX_ATTACHMENTS_PER_MESSAGE

logger = logging.getLogger(__name__)

SYSTEM_USER_EMAIL = "courriel@relais.invalid"  # `.invalid` (RFC 2606): never mailed
MAX_DESCRIPTION = 50_000


@dataclass(frozen=True)
class Result:
    """What became of a message, for the CLI, the poller and the logs."""

    inbound: InboundMessage
    stored_now: bool

    @property
    def summary(self) -> str:
        inbound = self.inbound
        reference = inbound.ticket.reference if inbound.ticket_id and inbound.ticket else ""
        if inbound.status == InboundStatus.PROCESSED and reference:
            verb = {
                Outcome.CREATED: "created",
                Outcome.REPLIED: "updated",
            }.get(Outcome(inbound.outcome) if inbound.outcome else Outcome.REPLIED, "updated")
            return f"{reference} {verb}" + ("" if self.stored_now else " (already processed)")
        reason = inbound.reason or inbound.get_outcome_display() or inbound.get_status_display()
        return f"set aside: {reason}"


# --- Step 1: keep the raw message ------------------------------------------------------------


def raw_bytes(inbound: InboundMessage) -> bytes:
    with default_storage.open(inbound.raw_name, "rb") as handle:
        data: bytes = handle.read()
    return data


# --- Step 2: act on it ------------------------------------------------------------------------


def message_process(inbound: InboundMessage) -> InboundMessage:
    """Process a received message once. Failures mark it failed with the reason (the raw
    message stays and can be replayed); they never lose it."""
    try:
        with transaction.atomic():
            locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
            if locked.status != InboundStatus.RECEIVED:
                return locked
            locked.attempts += 1
            _process(locked)
            locked.processed_at = timezone.now()
            locked.save()
            faults.reached("before_commit", inbound=locked.pk)
            return locked
    except faults.Crash:
        raise
    except Exception as exc:
        logger.exception("inbound message could not be processed", extra={"inbound": inbound.pk})
        InboundMessage.objects.filter(pk=inbound.pk, status=InboundStatus.RECEIVED).update(
            status=InboundStatus.FAILED,
            outcome=Outcome.UNREADABLE,
            reason=f"{type(exc).__name__}: {exc}"[:500],
            attempts=inbound.attempts + 1,
            processed_at=timezone.now(),
        )
        return InboundMessage.objects.get(pk=inbound.pk)


def ingest(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    uid: int | None = None,
    uidvalidity: int | None = None,
) -> Result:
    """Store and process a message, once. The raw bytes are written to a file first; the row
    and everything the message causes commit together, so a crash leaves either nothing (the
    source — the IMAP server or the MTA — still holds the message and gives it again) or all.
    A message that cannot be processed is kept as failed, with its reason, for replay."""
    message_id = first_message_id(raw)
    key = message_key(raw, message_id)
    saved = _store_raw(raw)
    fields = {
        "key": key,
        "message_id": message_id[:998],
        "mailbox": mailbox,
        "raw_name": saved,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "imap_uid": uid,
        "imap_uidvalidity": uidvalidity,
    }
    try:
        # Parsed before the transaction: the database's write lock is not held while the
        # message is decoded and sanitised (SQLite has one writer at a time).
        parsed = parse(raw) if len(raw) <= settings.MAIL_MAX_MESSAGE_BYTES else None
        with transaction.atomic():
            # First statement: a message already known (fetched again after a crash, or in
            # two mailboxes) stops here on the unique key, before any work is done.
            inbound = InboundMessage.objects.create(**fields, attempts=1)
            _process(inbound, parsed=parsed)
            inbound.processed_at = timezone.now()
            inbound.save()
            faults.reached("before_commit", inbound=inbound.pk)
        return Result(inbound, True)
    except IntegrityError as exc:
        existing = InboundMessage.objects.filter(key=key).first()
        if existing is None:  # another constraint: a failure of this message's processing
            return Result(_failed(fields, exc), True)
        delete_stored(saved)
        if existing.status == InboundStatus.RECEIVED:  # a replay stopped before its commit
            return Result(message_process(existing), False)
        return Result(existing, False)
    except faults.Crash:
        raise
    except Exception as exc:
        return Result(_failed(fields, exc), True)


def _failed(fields: dict[str, Any], exc: Exception) -> InboundMessage:
    """Keep a message that could not be processed, with the reason, for replay."""
    logger.exception("inbound message could not be processed", extra={"key": fields["key"]})
    return InboundMessage.objects.create(
        **fields,
        attempts=1,
        status=InboundStatus.FAILED,
        outcome=Outcome.UNREADABLE,
        reason=f"{type(exc).__name__}: {exc}"[:500],
        processed_at=timezone.now(),
    )


def _store_raw(raw: bytes) -> str:
    storage_name = f"{RAW_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    return default_storage.save(storage_name, ContentFile(raw))


def process_pending(*, limit: int = 500) -> int:
    """Process rows left "received" (a replay stopped before its commit)."""
    count = 0
    for inbound in InboundMessage.objects.filter(status=InboundStatus.RECEIVED).order_by("pk")[
        :limit
    ]:
        message_process(inbound)
        count += 1
    return count


def raw_sweep_orphans(*, older_than: timedelta) -> int:
    """Remove raw files whose row was never committed (a crash during step 1)."""
    return sweep_orphans(
        folder=RAW_FOLDER,
        referenced=lambda name: InboundMessage.objects.filter(
            raw_name=name, raw_purged_at__isnull=True
        ).exists(),
        older_than=older_than,
    )


def system_user() -> User:
    """The account that files mail from people without one (they are the ticket's contact)."""
    return service_account(
        email=SYSTEM_USER_EMAIL, display_name="Messagerie (expéditeur sans compte)", active=True
    )


def default_category() -> Category:
    category = desk_config().first_category
    if category is None:
        raise ValidationError(_("No active category exists to file e-mail under."))
    return category


def _process(inbound: InboundMessage, parsed: ParsedMail | None = None) -> None:
    if inbound.size > settings.MAIL_MAX_MESSAGE_BYTES:
        _set_aside(inbound, Outcome.TOO_LARGE, _("The message is larger than the limit."))
        return
    if parsed is None:
        parsed = parse(raw_bytes(inbound))
    inbound.sender = parsed.sender
    inbound.sender_name = parsed.sender_name
    inbound.subject = parsed.subject[:500]
    inbound.message_id = parsed.message_id[:998]
    inbound.original_text = parsed.text

    verdict = classify(parsed, own_addresses())
    if verdict.bounce is not None:
        _record_bounce(inbound, parsed, verdict.bounce)
        return
    # A sender whose mail fails authentication is not taken for the person it names (E5):
    # treated as an unknown sender, it can neither act as an agent nor post as a colleague.
    authentic = sender_authenticated(
        parsed,
        authserv_id=settings.MAIL_AUTHSERV_ID,
        required=settings.MAIL_REQUIRE_AUTHENTICATION,
    )
    user = _user_for(parsed.sender) if authentic else None
    if not authentic:
        inbound.reason = str(_("Sender authentication failed."))
    correspondent = (
        Correspondent.objects.filter(address=parsed.sender).first() if parsed.sender else None
    )
    if correspondent is not None and correspondent.bouncing_since is not None:
        correspondent.bouncing_since = None  # mail from the address proves it works again
        correspondent.save(update_fields=["bouncing_since", "updated_at"])
    thread = find_thread(parsed)
    participant = thread is not None and is_participant(
        thread.ticket, address=parsed.sender, user=user
    )
    if verdict.automatic:
        if thread is not None and participant:
            _record_automatic(inbound, parsed, thread.ticket, verdict.reason)
        else:
            _set_aside(inbound, Outcome.AUTOMATIC, verdict.reason)
        return
    acknowledge = not _burst(parsed.sender, correspondent)
    if thread is not None and participant and _reply(inbound, parsed, thread, user):
        return
    if user is None:
        policy = inbound.mailbox.unknown_senders if inbound.mailbox else UnknownSenders.CONTACT
        if policy == UnknownSenders.QUARANTINE:
            inbound.status = InboundStatus.QUARANTINED
            inbound.outcome = Outcome.QUARANTINED
            inbound.reason = _("Unknown sender: waiting for review.")
            return
    _open(inbound, parsed, user, acknowledge=acknowledge, related=thread)


def _user_for(address: str) -> User | None:
    if not address:
        return None
    return User.objects.with_email(address).filter(is_active=True).first()


def _set_aside(inbound: InboundMessage, outcome: Outcome, reason: str) -> None:
    inbound.status = InboundStatus.SET_ASIDE
    inbound.outcome = outcome
    inbound.reason = str(reason)[:500]


def _sorted_attachments(parts: list[MailPart]) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments a ticket will take, and a line for each refused one."""
    accepted: list[SimpleUploadedFile] = []
    refused: list[str] = []
    for part in parts:
        try:
            check_upload(head=part.data[:SNIFF_BYTES], size=len(part.data), filename=part.filename)
        except UploadRejected as exc:
            refused.append(f"{part.filename}: {exc.message}")
            continue
        if len(accepted) >= MAX_ATTACHMENTS_PER_MESSAGE:
            refused.append(f"{part.filename}: " + _("too many files in one message."))
            continue
        upload = SimpleUploadedFile(part.filename, part.data, content_type=part.content_type)
        upload._relais_cid = part.content_id  # type: ignore[attr-defined]
        accepted.append(upload)
    return accepted, refused


def _body(text: str, parsed: ParsedMail, refused: list[str]) -> str:
    body = text.strip() or _("(message without text)")
    for forwarded in parsed.forwarded:
        header = _("Forwarded message from %(sender)s: %(subject)s") % {
            "sender": forwarded.sender or "?",
            "subject": forwarded.subject or "—",
        }
        body += f"\n\n---\n{header}\n\n{forwarded.text.strip()}"
    if refused:
        body += "\n\n" + _("Attachments not kept:") + "\n" + "\n".join(f"- {r}" for r in refused)
    if len(body) > MAX_DESCRIPTION:
        body = body[: MAX_DESCRIPTION - 200] + "\n\n" + _("(text shortened: see the original)")
    return body


def _keep_original_html(
    inbound: InboundMessage,
    parsed: ParsedMail,
    uploads: list[SimpleUploadedFile],
    stored: list[Attachment],
) -> None:
    """The sanitised HTML of the message, its cid: images pointing at the stored attachments
    (remote images are removed by the sanitiser)."""
    if not parsed.html:
        return
    from django.urls import reverse

    html = parsed.html
    for upload, attachment in zip(uploads, stored, strict=False):
        cid = getattr(upload, "_relais_cid", "")
        if cid:
            url = reverse("tickets:attachment", args=[attachment.pk]) + "?inline=1"
            html = html.replace(f"cid:{cid}", url)
    inbound.original_html = str(sanitize_html(html))


def _remember_inbound(inbound: InboundMessage, parsed: ParsedMail, ticket: Ticket) -> None:
    if parsed.message_id:
        MailReference.objects.bulk_create(
            [
                MailReference(
                    message_id=parsed.message_id[:255],
                    ticket=ticket,
                    outbound=False,
                    address=parsed.sender,
                )
            ],
            ignore_conflicts=True,
        )


def _open(
    inbound: InboundMessage,
    parsed: ParsedMail,
    user: User | None,
    *,
    acknowledge: bool,
    related: Thread | None,
) -> None:
    uploads, refused = _sorted_attachments(parsed.attachments)
    actor = user or system_user()
    category = inbound.mailbox.category if inbound.mailbox else default_category()
    own = own_addresses()
    copied = [a for a in [*parsed.to, *parsed.cc] if a not in own and a != parsed.sender]
    watchers = list(User.objects.filter(email__in=copied, is_active=True)) if copied else []
    draft = TicketDraft(
        category=category,
        title=(parsed.subject or _("(no subject)"))[:200],
        description=_body(parsed.text, parsed, refused),
        contact_name="" if user else parsed.sender_name,
        contact_email="" if user else parsed.sender,
        attachments=uploads,
    )
    ticket = ticket_open(
        actor=actor,
        draft=draft,
        requester=actor,
        channel=Channel.EMAIL,
        acknowledge=False,  # below, once the thread knows this message's ID
        watchers=watchers,
    )
    if related is not None:
        ticket_link(source=ticket, target=related.ticket, actor=None, kind=LinkKind.RELATED)
    stored = (
        list(Attachment.objects.filter(ticket=ticket, message=None).order_by("pk"))
        if uploads
        else []
    )
    _keep_original_html(inbound, parsed, uploads, stored)
    _remember_inbound(inbound, parsed, ticket)
    if acknowledge:
        # Threaded under the sender's own mail (In-Reply-To its Message-ID).
        ticket_acknowledge(ticket=ticket)
    inbound.ticket = ticket
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = Outcome.CREATED
    inbound.auto_reply_sent = acknowledge


def _reply(inbound: InboundMessage, parsed: ParsedMail, thread: Thread, user: User | None) -> bool:
    """Add the message to its ticket; False when it cannot take replies any more (closed),
    so that the caller opens a new ticket linked to it."""
    ticket = thread.ticket
    actor = user or system_user()
    if ticket.status == TicketStatus.CLOSED:
        return False
    if not ticket_permissions.tickets.can(actor, "reply", ticket):
        return False
    uploads, refused = _sorted_attachments(parsed.attachments)
    text = quoting.extract_reply(parsed.text)
    body = _body(text, parsed, refused)
    try:
        message = ticket_reply(
            ticket=ticket, actor=actor, body=body, channel=Channel.EMAIL, attachments=uploads
        )
    except PermissionDenied:
        return False
    stored = list(Attachment.objects.filter(message=message).order_by("pk")) if uploads else []
    _keep_original_html(inbound, parsed, uploads, stored)
    _remember_inbound(inbound, parsed, ticket)
    inbound.ticket = ticket
    inbound.ticket_message = message
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = Outcome.REPLIED
    return True


def _record_automatic(
    inbound: InboundMessage, parsed: ParsedMail, ticket: Ticket, reason: str
) -> None:
    """An out-of-office on a ticket: the desk sees it as a note; nothing else moves."""
    body = _("Automatic reply received from %(sender)s (%(reason)s):") % {
        "sender": parsed.sender,
        "reason": reason,
    }
    body += "\n\n" + (quoting.extract_reply(parsed.text)[:2000] or parsed.subject)
    message = ticket_system_note(ticket=ticket, body=body, channel=Channel.EMAIL)
    _remember_inbound(inbound, parsed, ticket)
    inbound.ticket = ticket
    inbound.ticket_message = message
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = Outcome.AUTOMATIC
    inbound.reason = reason[:500]


# --- Bounces and bursts -------------------------------------------------------------------------


def _record_bounce(inbound: InboundMessage, parsed: ParsedMail, bounce: Bounce) -> None:
    ticket_ids = list(
        MailReference.objects.filter(message_id__in=bounce.original_ids)
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    ticket = Ticket.objects.filter(pk__in=ticket_ids).order_by("-pk").first()
    detail = " ".join(x for x in (bounce.status, bounce.diagnostic) if x)[:400]
    if bounce.permanent:
        for address in bounce.recipients:
            address_mark_bouncing(address=address, reason=detail)
        if ticket is not None:
            for address in bounce.recipients or ["?"]:
                ticket_delivery_failed(ticket=ticket, address=address, detail=detail)
    inbound.ticket = ticket
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = Outcome.BOUNCE if bounce.permanent else Outcome.DELAY
    inbound.reason = (", ".join(bounce.recipients) + " " + detail).strip()[:500]


def address_mark_bouncing(*, address: str, reason: str) -> Correspondent:
    now = timezone.now()
    correspondent, _created = Correspondent.objects.get_or_create(address=address.lower()[:254])
    correspondent.bounce_count += 1
    correspondent.last_bounce = reason[:500]
    correspondent.bouncing_since = correspondent.bouncing_since or now
    correspondent.save()
    return correspondent


def _burst(address: str, correspondent: Correspondent | None) -> bool:
    """True when automatic replies to this sender are paused: more than MAIL_SENDER_BURST
    messages within the window. The first time, the administrators are told."""
    if not address:
        return True
    now = timezone.now()
    window = timedelta(minutes=settings.MAIL_SENDER_WINDOW_MINUTES)
    if (
        correspondent
        and correspondent.auto_replies_paused_until
        and (correspondent.auto_replies_paused_until > now)
    ):
        return True
    earlier = InboundMessage.objects.filter(sender=address, received_at__gte=now - window)
    recent = earlier.count() + 1  # this message's row gets its sender when it is saved
    if recent <= settings.MAIL_SENDER_BURST:
        return False
    correspondent = correspondent or Correspondent.objects.create(address=address)
    correspondent.auto_replies_paused_until = now + window
    correspondent.save(update_fields=["auto_replies_paused_until", "updated_at"])
    _alert_admins_burst(address, recent)
    return True


def _alert_admins_burst(address: str, count: int) -> None:
    admins = list(
        User.objects.filter(role=Role.ADMIN, is_active=True).values_list("email", flat=True)
    )
    if not admins:
        return
    subject = _("[Relais] Automatic replies paused for %(address)s") % {"address": address}
    text = _(
        "%(count)d messages arrived from %(address)s within %(minutes)d minutes. Relais stopped "
        "sending it automatic replies for now (a mail loop or a flood). Tickets are still "
        "opened; check the inbound e-mail list."
    ) % {"count": count, "address": address, "minutes": settings.MAIL_SENDER_WINDOW_MINUTES}
    email_enqueue(to=admins, subject=subject, text=text, headers=dict(AUTOMATIC_MAIL_HEADERS))


# --- Outbound failures --------------------------------------------------------------------------


def outbound_failed(*, payload: dict[str, Any], error: str) -> None:
    """A ticket mail the SMTP server refused for good: show it on the ticket, mark the
    address as bouncing (5xx)."""
    reference = (payload.get("headers") or {}).get("X-Relais-Ticket")
    recipients = payload.get("to") or []
    permanent = error.startswith("SMTP 5") or "refused all recipients (5" in error
    if permanent:
        for address in recipients:
            address_mark_bouncing(address=address, reason=error)
    if not reference:
        return
    ticket = Ticket.objects.filter(reference=reference).first()
    if ticket is None:
        return
    for address in recipients:
        ticket_delivery_failed(ticket=ticket, address=address, detail=error)


# --- Administration -----------------------------------------------------------------------------

# The statuses each administrative action applies to: the one rule for the services, the
# pages (which buttons show) and the API.
ACTION_STATUSES: dict[str, frozenset[str]] = {
    "release": frozenset({InboundStatus.QUARANTINED}),
    "discard": frozenset(
        {InboundStatus.QUARANTINED, InboundStatus.SET_ASIDE, InboundStatus.FAILED}
    ),
    "replay": frozenset(
        {
            InboundStatus.QUARANTINED,
            InboundStatus.SET_ASIDE,
            InboundStatus.FAILED,
            InboundStatus.RECEIVED,
        }
    ),
}


def actions_for(inbound: InboundMessage) -> set[str]:
    actions = {a for a, statuses in ACTION_STATUSES.items() if inbound.status in statuses}
    if inbound.raw_purged_at is not None:
        actions -= {"replay", "release"}  # nothing left to process again
    return actions


def ticket_mail_anonymise(*, ticket: Ticket, now: datetime) -> int:
    """An anonymised ticket's mail: sender, raw message and originals go (rows stay)."""
    rows = InboundMessage.objects.filter(ticket=ticket)
    for name in rows.filter(raw_purged_at__isnull=True).values_list("raw_name", flat=True):
        transaction.on_commit(partial(delete_stored, name))
    MailReference.objects.filter(ticket=ticket).update(address="")
    return rows.update(
        sender="",
        sender_name="",
        subject="",
        original_text="",
        original_html="",
        raw_purged_at=now,
    )


# Waiting for a decision: their raw message is what the decision is about.
RETAINED_STATUSES = frozenset({InboundStatus.RECEIVED, InboundStatus.QUARANTINED})


def raw_retention_purge(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete raw messages older than MAIL_RAW_RETENTION_DAYS, with the originals kept beside
    the stored replies (personal data the tickets do not need); the row stays, marked. Safe to
    run again: what is done is skipped, a file already gone is fine."""
    limit = (now or timezone.now()) - timedelta(days=settings.MAIL_RAW_RETENTION_DAYS)
    purged = 0
    while True:
        rows = list(
            InboundMessage.objects.filter(received_at__lt=limit, raw_purged_at__isnull=True)
            .exclude(status__in=RETAINED_STATUSES)
            .order_by("pk")
            .values_list("pk", "raw_name")[:batch]
        )
        if not rows:
            return purged
        for pk, name in rows:
            with transaction.atomic():
                updated = InboundMessage.objects.filter(pk=pk, raw_purged_at__isnull=True).update(
                    raw_purged_at=now or timezone.now(), original_text="", original_html=""
                )
                if updated:
                    transaction.on_commit(partial(delete_stored, name))
                    purged += updated


def message_act(
    *, inbound: InboundMessage, action: str, actor: User, request: HttpRequest | None = None
) -> InboundMessage:
    """Release, discard or replay: what the inbound pages and the API call."""
    if action == "release":
        return quarantine_release(inbound=inbound, actor=actor, request=request)
    if action == "discard":
        return message_discard(inbound=inbound, actor=actor, request=request)
    if action == "replay":
        return message_replay(inbound=inbound, actor=actor)
    raise ValueError(f"unknown action {action!r}")


def message_replay(*, inbound: InboundMessage, actor: User | None) -> InboundMessage:
    """Process a stored message again (after a fix, or to release one set aside)."""
    if "replay" not in actions_for(inbound):
        raise ValidationError(
            _("Only a message not yet processed, and not discarded, is processed again.")
        )
    InboundMessage.objects.filter(pk=inbound.pk).update(
        status=InboundStatus.RECEIVED, outcome="", reason=""
    )
    inbound.refresh_from_db()
    if actor is not None:
        audit_record(
            action=AuditAction.MAIL_QUARANTINE,
            actor=actor,
            target=inbound,
            changes={"replayed": inbound.key},
        )
    return message_process(inbound)


def quarantine_release(
    *, inbound: InboundMessage, actor: User, request: HttpRequest | None = None
) -> InboundMessage:
    """Open the quarantined message's ticket as if its sender were a known contact."""
    if "release" not in actions_for(inbound):
        raise ValidationError(_("This message is not in quarantine."))
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        parsed = parse(raw_bytes(locked))
        correspondent = Correspondent.objects.filter(address=parsed.sender).first()
        _open(
            locked,
            parsed,
            None,
            acknowledge=not _burst(parsed.sender, correspondent),
            related=None,
        )
        locked.processed_at = timezone.now()
        locked.save()
        audit_record(
            action=AuditAction.MAIL_QUARANTINE,
            actor=actor,
            target=locked,
            request=request,
            changes={"released": locked.sender},
        )
    return locked


def message_discard(
    *, inbound: InboundMessage, actor: User, request: HttpRequest | None = None
) -> InboundMessage:
    if "discard" not in actions_for(inbound):
        raise ValidationError(_("Only a message set aside, failed or in quarantine is discarded."))
    with transaction.atomic():
        InboundMessage.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.DISCARDED, outcome=Outcome.DISCARDED
        )
        audit_record(
            action=AuditAction.MAIL_QUARANTINE,
            actor=actor,
            target=inbound,
            request=request,
            changes={"discarded": inbound.sender},
        )
    inbound.refresh_from_db()
    return inbound


MAILBOX_FIELDS = (
    "name",
    "address",
    "host",
    "port",
    "security",
    "username",
    "folder",
    "processed_folder",
    "unknown_senders",
    "category",
    "is_active",
)


def mailbox_save(
    *,
    mailbox: Mailbox,
    data: dict[str, Any],
    password: str,
    actor: User,
    request: HttpRequest | None = None,
) -> Mailbox:
    """Create or change a mailbox. An empty `password` keeps the stored one; the value is
    sealed and never returned or logged."""
    if data.get("security") == "plain" and settings.PRODUCTION:
        raise ValidationError({"security": _("Unencrypted IMAP is refused in production.")})
    changes: dict[str, Any] = {}
    for name in MAILBOX_FIELDS:
        if name in data:
            old = getattr(mailbox, name, None)  # a new mailbox has no category yet
            new = data[name]
            if old != new:
                changes[name] = str(new.pk if hasattr(new, "pk") else new)
                setattr(mailbox, name, new)
    if password:
        mailbox.password_sealed = seal(password)
        changes["password"] = "changed"  # noqa: S105  (a marker, not the secret)
    creating = mailbox.pk is None
    with transaction.atomic():
        mailbox.full_clean()
        if not creating and changes.keys() & {"host", "username", "folder"}:
            mailbox.uidvalidity = None
            mailbox.last_uid = 0
        mailbox.save()
        audit_record(
            action=AuditAction.MAILBOX_CHANGE,
            actor=actor,
            target=mailbox,
            request=request,
            changes={"created": creating, **changes},
        )
    return mailbox
