"""The e-mail channel: mailboxes polled over IMAP, every inbound message kept raw, the
Message-IDs that tie mail to tickets, and what we know of each correspondent's address."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.core.models import TimeStampedModel
from relais.mail.choices import InboundStatus, Outcome, Security, UnknownSenders

RAW_FOLDER = "mail/raw"  # where raw messages are kept, under the media root


class Mailbox(TimeStampedModel):
    """An IMAP mailbox the worker polls. The password is sealed (relais.core.secrets) and
    never shown back; `RELAIS_IMAP_PASSWORD_<NAME>` in the environment takes precedence."""

    name = models.SlugField(_("name"), max_length=40, unique=True)
    address = models.EmailField(_("address"), help_text=_("The address people write to."))
    host = models.CharField(_("IMAP server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=16, choices=Security.choices, default=Security.IMAPS
    )
    username = models.CharField(_("user name"), max_length=255)
    password_sealed = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("move processed messages to"),
        max_length=255,
        blank=True,
        help_text=_("Empty: leave them in place, flagged as processed."),
    )
    unknown_senders = models.CharField(
        _("unknown senders"),
        max_length=16,
        choices=UnknownSenders.choices,
        default=UnknownSenders.CONTACT,
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category of new tickets"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("polled"), default=True)
    # IMAP state: the folder's UIDVALIDITY and the highest UID handled under it.
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def has_password(self) -> bool:
        return bool(self.password_sealed)


class InboundMessage(models.Model):
    """One message as it arrived: the raw bytes are stored before anything is parsed, so that
    nothing is lost and every message can be replayed."""

    key = models.CharField(_("identity"), max_length=255, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    raw_name = models.CharField(max_length=255, unique=True, editable=False)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    sender = models.CharField(_("sender"), max_length=254, blank=True, db_index=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_mail",
    )
    ticket_message = models.OneToOneField(
        "tickets.TicketMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_mail",
    )
    # What the stored reply was cut from (quoted history, signature): kept for "show original".
    original_text = models.TextField(_("original text"), blank=True)
    original_html = models.TextField(_("original HTML (sanitised)"), blank=True)
    auto_reply_sent = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # Set when the retention job deleted the raw file and the originals (the row stays).
    raw_purged_at = models.DateTimeField(_("raw message deleted"), null=True, blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="mail_inbound_status"),
            models.Index(fields=["sender", "received_at"], name="mail_inbound_sender_time"),
        ]

    def __str__(self) -> str:
        return self.subject or self.key


class MailReference(models.Model):
    """A Message-ID tied to a ticket: those we send (unguessable) and those we filed."""

    message_id = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="mail_references"
    )
    outbound = models.BooleanField(default=False)
    # Who the outbound mail went to: a reply to it from this address is theirs.
    address = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ticket", "-created_at"], name="mail_ref_ticket")]

    def __str__(self) -> str:
        return self.message_id


class Correspondent(models.Model):
    """What we know of an address we exchange mail with: bounces and automatic-reply pauses."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    bouncing_since = models.DateTimeField(_("bouncing since"), null=True, blank=True)
    bounce_count = models.PositiveIntegerField(_("bounces"), default=0)
    last_bounce = models.CharField(_("last bounce"), max_length=500, blank=True)
    auto_replies_paused_until = models.DateTimeField(
        _("automatic replies paused until"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("correspondent")
        verbose_name_plural = _("correspondents")

    def __str__(self) -> str:
        return self.address
