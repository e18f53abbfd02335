"""Writes for the shared building blocks: outbox and audit log."""

from __future__ import annotations

import ipaddress
import logging
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone

from relais.core import faults
from relais.core.choices import AuditAction, OutboxKind, OutboxStatus
from relais.core.models import AuditLogEntry, OutboxMessage
from relais.core.outbox import HANDLERS, PermanentDeliveryError

if TYPE_CHECKING:
    from relais.accounts.models import User

# Sent in the dead-lettering transaction: the owning app records the failure where people
# will see it (a ticket mail that could not be delivered shows on the ticket).
outbox_dead = Signal()
logger = logging.getLogger(__name__)

# How long a worker owns a message it is delivering; past that, another worker may retry it
# (the first one died mid-delivery).
DELIVERY_LEASE = timedelta(minutes=5)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """The request comes straight from one of our reverse proxies (the peer's address is in
    RELAIS_TRUSTED_PROXIES): only then are forwarded headers believed (the scheme always, the
    client address when RELAIS_PROXY_COUNT is set)."""
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in settings.RELAIS_TRUSTED_PROXIES)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind RELAIS_PROXY_COUNT trusted proxies, the address the
    outermost trusted proxy saw (the right-most entries of X-Forwarded-For are theirs); from
    any other peer, the peer's own address whatever it forwards."""
    if request is None:
        return None
    proxies = settings.RELAIS_PROXY_COUNT
    if proxies and peer_is_trusted_proxy(request):
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: AuditAction,
    actor: User | None = None,
    actor_label: str = "",
    target: Any = None,
    request: HttpRequest | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append a security event. Never put secrets or message bodies in `changes`."""
    if actor is not None and getattr(actor, "pk", None) is None:
        actor = None
    return AuditLogEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor is not None else ""),
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        ip_address=client_ip(request),
        changes=changes or {},
    )


def outbox_enqueue(
    *, kind: OutboxKind, payload: dict[str, Any], max_attempts: int | None = None
) -> OutboxMessage:
    """Write a side effect in the caller's transaction; it leaves only once that commits."""
    message = OutboxMessage.objects.create(
        kind=kind,
        payload=payload,
        max_attempts=max_attempts or settings.OUTBOX_MAX_ATTEMPTS,
    )
    _deliver_after_commit(message.pk)
    return message


def _deliver_after_commit(message_id: int) -> None:
    """Ask the worker to deliver right after commit. If the queue is unreachable the row
    stays pending and the periodic sweep delivers it: the request must not fail for that."""
    from relais.core import tasks

    def enqueue() -> None:
        try:
            tasks.deliver_outbox_message(message_id)
        except Exception:
            logger.exception("could not enqueue outbox delivery", extra={"outbox_id": message_id})

    transaction.on_commit(enqueue)


def email_enqueue(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    payload: dict[str, Any] = {"to": to, "subject": subject, "text": text, "html": html}
    if headers:
        payload["headers"] = headers
    return outbox_enqueue(kind=OutboxKind.EMAIL, payload=payload)


def outbox_backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base·2^(n-1), capped, scaled by a random 50–100 %."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    capped = min(base, settings.OUTBOX_BACKOFF_MAX_SECONDS)
    return timedelta(seconds=capped * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not crypto)


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the lease on a due message; None when it is not due or someone else holds it."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + DELIVERY_LEASE
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message


def outbox_deliver(*, message_id: int) -> OutboxStatus | None:
    """Deliver one message if it is due. Returns its new status, or None if it was not due."""
    message = _claim(message_id)
    if message is None:
        return None
    handler = HANDLERS.get(message.kind)
    error: str
    permanent = False
    try:
        if handler is None:
            raise PermanentDeliveryError(f"no handler for kind {message.kind!r}")
        faults.reached("outbox.before_send", outbox_id=message.pk)
        handler(message)
        # A crash here (sent, not yet marked) re-sends once the lease expires, with the same
        # Message-ID / webhook-id: the receiver can drop the duplicate (SECURITY.md I2 c).
        faults.reached("outbox.after_send", outbox_id=message.pk)
    except PermanentDeliveryError as exc:
        error, permanent = str(exc), True
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    else:
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
        )
        return OutboxStatus.SENT

    now = timezone.now()
    error = error[:500]
    if permanent or message.attempts >= message.max_attempts:
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxStatus.DEAD, dead_at=now, last_error=error
            )
            audit_record(
                action=AuditAction.OUTBOX_DEAD,
                actor_label="worker",
                target=message,
                changes={"kind": message.kind, "attempts": message.attempts, "error": error},
            )
            outbox_dead.send(sender=OutboxMessage, message=message, error=error)
        logger.warning(
            "outbox message dead-lettered",
            extra={"outbox_id": message.pk, "kind": message.kind, "attempts": message.attempts},
        )
        return OutboxStatus.DEAD
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=now + outbox_backoff(message.attempts), last_error=error
    )
    logger.info(
        "outbox delivery failed, will retry",
        extra={"outbox_id": message.pk, "kind": message.kind, "attempts": message.attempts},
    )
    return OutboxStatus.PENDING


def outbox_deliver_due(*, limit: int = 500) -> int:
    """Deliver every message whose time has come (retries, and rows whose task was lost)."""
    due_ids = list(
        OutboxMessage.objects.filter(
            status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = 0
    for message_id in due_ids:
        if outbox_deliver(message_id=message_id) == OutboxStatus.SENT:
            delivered += 1
    return delivered


def outbox_requeue(*, message: OutboxMessage, actor: User, request: HttpRequest | None) -> None:
    """An admin sends a dead-lettered message back for delivery, with a fresh attempt budget."""
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            dead_at=None,
        )
        audit_record(action=AuditAction.OUTBOX_RETRY, actor=actor, target=message, request=request)
        _deliver_after_commit(message.pk)


IDEMPOTENCY_KEEP = timedelta(hours=24)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Forget the Idempotency-Key records older than a day (relais.core.idempotency)."""
    from relais.core.models import IdempotencyKey

    limit = (now or timezone.now()) - IDEMPOTENCY_KEEP
    deleted, _details = IdempotencyKey.objects.filter(created_at__lt=limit).delete()
    return deleted


def audit_log_purge(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete the security log entries older than AUDIT_RETENTION_MONTHS (0: never), in
    batches, each with its own `audit.purge` entry written in the same transaction (the
    purge is itself a security event). Idempotent and resumable: a run that stops half way
    leaves whole batches done, the next run does the rest.

    The database refuses to delete an entry younger than six months whatever asks (core
    migration 0012), so neither a wrong clock nor a wrong setting can erase recent tracks."""
    from dateutil.relativedelta import relativedelta

    months = settings.AUDIT_RETENTION_MONTHS
    if months <= 0:
        return 0
    limit = (now or timezone.now()) - relativedelta(months=months)
    done = 0
    while True:
        with transaction.atomic():
            due = list(
                AuditLogEntry.objects.filter(created_at__lt=limit)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not due:
                return done
            AuditLogEntry.objects.filter(pk__in=due).delete()
            audit_record(
                action=AuditAction.AUDIT_PURGE,
                actor_label="system",
                changes={"deleted": len(due), "older_than": limit.isoformat(), "months": months},
            )
        done += len(due)
        faults.reached("audit.purge.batch")
