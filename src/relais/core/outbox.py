"""Delivery handlers for outbox messages, one per kind.

A handler performs the side effect for one message and raises `PermanentDeliveryError` when
retrying cannot help (e.g. SMTP 5xx); any other exception is treated as transient.
Handlers must be idempotent towards the receiver: they reuse `message.uid` as the message's
identity (Message-ID, webhook-id) so a re-sent message can be deduplicated.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from relais.core.choices import OutboxKind

if TYPE_CHECKING:
    from relais.core.models import OutboxMessage


class PermanentDeliveryError(Exception):
    """Delivery failed in a way that retrying will not fix."""


Handler = Callable[["OutboxMessage"], None]
HANDLERS: dict[str, Handler] = {}


def register(kind: str) -> Callable[[Handler], Handler]:
    def decorator(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return decorator


def email_message_id(message: OutboxMessage) -> str:
    return f"<o.{message.uid}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


# Headers every automatic mail carries so that autoresponders never answer it (SECURITY.md E2).
AUTOMATIC_MAIL_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",
}


@register(OutboxKind.EMAIL)
def deliver_email(message: OutboxMessage) -> None:
    payload = message.payload
    headers = {**AUTOMATIC_MAIL_HEADERS, **payload.get("headers", {})}
    headers["Message-ID"] = email_message_id(message)
    mail = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload.get("from") or settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        headers=headers,
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    if payload.get("html"):
        mail.attach_alternative(payload["html"], "text/html")
    try:
        mail.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentDeliveryError(f"SMTP refused all recipients ({codes[0]})") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise PermanentDeliveryError(f"SMTP {exc.smtp_code}") from exc
        raise
