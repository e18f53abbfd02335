from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    IMAPS = "imaps", _("IMAPS (TLS from the start, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    PLAIN = "plain", _("No encryption (test servers only)")


class UnknownSenders(models.TextChoices):
    CONTACT = "contact", _("Open a ticket for them as a contact")
    QUARANTINE = "quarantine", _("Set their messages aside for review")


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    SET_ASIDE = "set_aside", _("Set aside")
    QUARANTINED = "quarantined", _("Quarantined")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


class Outcome(models.TextChoices):
    CREATED = "created", _("Ticket opened")
    REPLIED = "replied", _("Added to a ticket")
    AUTOMATIC = "automatic", _("Automatic message")
    BOUNCE = "bounce", _("Delivery failure report")
    DELAY = "delay", _("Delivery delay report")
    QUARANTINED = "quarantined", _("Unknown sender")
    TOO_LARGE = "too_large", _("Message too large")
    UNREADABLE = "unreadable", _("Unreadable message")
    DISCARDED = "discarded", _("Discarded")
