"""Inbound e-mail over the API (administrators and supervisors): the same services and policy
as the screens. Mailbox passwords are never returned: only whether one is set."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from relais.accounts.selectors import current_user
from relais.core.api import ErrorOut, Page
from relais.core.permissions import deny
from relais.mail import services
from relais.mail.choices import InboundStatus
from relais.mail.models import InboundMessage
from relais.mail.permissions import mail_policy, mailbox_policy

router = Router(tags=["e-mail channel"])


class InboundOut(Schema):
    id: int
    message_id: str
    sender: str
    subject: str
    received_at: datetime
    status: InboundStatus
    outcome: str
    reason: str
    ticket: str | None
    auto_reply_sent: bool

    @staticmethod
    def resolve_ticket(obj: InboundMessage) -> str | None:
        return obj.ticket.reference if obj.ticket_id and obj.ticket else None


class MailboxOut(Schema):
    id: int
    name: str
    address: str
    host: str
    port: int
    security: str
    username: str
    folder: str
    processed_folder: str
    unknown_senders: str
    is_active: bool
    has_password: bool
    last_polled_at: datetime | None
    last_error: str


@router.get("/mail/messages", response=list[InboundOut], summary="Inbound messages")
@paginate(Page)
def list_messages(request: HttpRequest, status: InboundStatus | None = None) -> Any:
    user = current_user(request)
    if not mail_policy.can(user, "list"):
        deny(user)
    qs = (
        mail_policy.scope(user, "list")
        .select_related("ticket")
        .defer("original_text", "original_html")
    )
    return qs.filter(status=status) if status else qs


@router.get("/mail/messages/{message_id}", response={200: InboundOut, 404: ErrorOut})
def get_message(request: HttpRequest, message_id: int) -> InboundMessage:
    return mail_policy.get_or_404(current_user(request), message_id)


def _act(request: HttpRequest, message_id: int, action: str) -> InboundMessage:
    user = current_user(request)
    inbound = mail_policy.get_or_404(user, message_id, action)
    return services.message_act(inbound=inbound, action=action, actor=user, request=request)


@router.post(
    "/mail/messages/{message_id}/release",
    response={200: InboundOut, 400: ErrorOut, 404: ErrorOut},
    summary="Open the ticket of a quarantined message",
)
def release_message(request: HttpRequest, message_id: int) -> InboundMessage:
    return _act(request, message_id, "release")


@router.post(
    "/mail/messages/{message_id}/discard",
    response={200: InboundOut, 400: ErrorOut, 404: ErrorOut},
)
def discard_message(request: HttpRequest, message_id: int) -> InboundMessage:
    return _act(request, message_id, "discard")


@router.post(
    "/mail/messages/{message_id}/replay",
    response={200: InboundOut, 400: ErrorOut, 404: ErrorOut},
    summary="Process a stored message again",
)
def replay_message(request: HttpRequest, message_id: int) -> InboundMessage:
    return _act(request, message_id, "replay")


@router.get("/mail/mailboxes", response=list[MailboxOut], summary="IMAP mailboxes")
def list_mailboxes(request: HttpRequest) -> Any:
    user = current_user(request)
    if not mailbox_policy.can(user, "list"):
        deny(user)
    return list(mailbox_policy.scope(user))
