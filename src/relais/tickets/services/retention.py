"""Closed tickets are anonymised after TICKET_RETENTION_YEARS: what the ticket says and who
asked go; the reference, the category, the dates, the priority, the SLA outcome and the
history's shape stay, so that reports over the years remain exact."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.models import User
from relais.accounts.services import service_account
from relais.tickets.choices import TicketStatus
from relais.tickets.models import Attachment, Satisfaction, Ticket, TicketEvent, TicketMessage
from relais.tickets.signals import ticket_anonymised

ANONYMOUS_EMAIL = "anonyme@relais.invalid"
# Fields whose history entries may quote what the requester wrote or who they are.
PERSONAL_EVENT_FIELDS = (
    "title",
    "description",
    "extra",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def anonymous_requester() -> User:
    """The account anonymised tickets are filed under (inactive, cannot log in)."""
    return service_account(email=ANONYMOUS_EMAIL, display_name="Demandeur anonymisé", active=False)


def ticket_anonymise(ticket: Ticket, *, now: datetime | None = None) -> bool:
    """Remove what identifies the requester or quotes them; False if already done."""
    now = now or timezone.now()
    anonymous = anonymous_requester()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.anonymised_at is not None:
            return False
        requester_id = locked.requester_id
        TicketMessage.objects.filter(ticket=locked).update(body="")
        TicketMessage.objects.filter(ticket=locked, author_id=requester_id).update(author=anonymous)
        TicketEvent.objects.filter(ticket=locked, actor_id=requester_id).update(actor=anonymous)
        TicketEvent.objects.filter(ticket=locked, field__in=PERSONAL_EVENT_FIELDS).update(
            old_value="", new_value=""
        )
        names = list(
            Attachment.objects.filter(ticket=locked).values_list("storage_name", flat=True)
        )
        Attachment.objects.filter(ticket=locked).delete()
        for name in names:
            transaction.on_commit(partial(default_storage.delete, name))
        Satisfaction.objects.filter(ticket=locked).update(comment="")
        locked.watchers.clear()
        locked.title = _("Anonymised request")[:200]
        locked.description = ""
        locked.extra = {}
        locked.contact_name = locked.contact_phone = locked.contact_email = ""
        locked.requester = anonymous
        if locked.created_by_id == requester_id:
            locked.created_by = anonymous
        locked.anonymised_at = now
        # Through save(): the search index drops the ticket (its document is None now).
        locked.save()
        ticket_anonymised.send(sender=Ticket, ticket=locked, now=now)
    return True


def tickets_retention_anonymise(*, now: datetime | None = None, batch: int = 200) -> int:
    """Anonymise tickets closed more than TICKET_RETENTION_YEARS ago (0: never). Idempotent."""
    years = settings.TICKET_RETENTION_YEARS
    if years <= 0:
        return 0
    now = now or timezone.now()
    limit = now - timedelta(days=365 * years)
    done = 0
    while True:
        due = list(
            Ticket.objects.filter(
                status=TicketStatus.CLOSED, closed_at__lt=limit, anonymised_at__isnull=True
            ).order_by("pk")[:batch]
        )
        if not due:
            return done
        for ticket in due:
            done += ticket_anonymise(ticket, now=now)
