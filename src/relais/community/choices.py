"""States and kinds of the community (stored codes; labels are translated on display)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BadgeCode(models.TextChoices):
    FIRST_ANSWER = "first_answer", _("First answer")
    TEN_ACCEPTED = "ten_accepted", _("Ten accepted answers")
    HELPER_OF_MONTH = "helper_of_month", _("Helper of the month")


class NotificationKind(models.TextChoices):
    ANSWER = "answer", _("New answer")
    ACCEPTED = "accepted", _("Answer accepted")
    MENTION = "mention", _("Mention")
    COMMENT = "comment", _("New comment")
    UNANSWERED = "unanswered", _("Unanswered question")
    TICKET = "ticket", _("Question turned into a ticket")


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    OFF_TOPIC = "off_topic", _("Off topic")
    OFFENSIVE = "offensive", _("Offensive")
    PERSONAL_DATA = "personal_data", _("Personal data")


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("Hide")
    UNHIDE = "unhide", _("Show again")
    LOCK = "lock", _("Lock")
    UNLOCK = "unlock", _("Unlock")
    DELETE = "delete", _("Delete")
    CLOSE = "close", _("Close")
