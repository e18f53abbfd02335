"""The life of a closed ticket after the desk is done with it (CNIL: active base, then
intermediate archive, then deletion):

- after TICKET_ARCHIVE_YEARS it moves to the intermediate archive: out of every desk list,
  page, search and API (tickets.permissions), readable only by archive readers;
- after TICKET_RETENTION_YEARS it is anonymised ("deleted"): what the ticket says and who
  asked go; the reference, the category, the dates, the priority, the SLA outcome and the
  history's shape stay, so that reports over the years remain exact.

Both steps work in batches, each its own transaction, and select only what is still to do:
a run that stops half-way (crash, deploy) leaves whole batches done, and the next run ends in
the state one uninterrupted run would have reached."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.models import User
from relais.accounts.services import service_account
from relais.core.choices import AuditAction
from relais.core.services import audit_record
from relais.search.services import unindex
from relais.tickets.choices import EventKind, TicketStatus
from relais.tickets.models import Attachment, Satisfaction, Ticket, TicketEvent, TicketMessage
from relais.tickets.search import TicketSource
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


def _horizon(now: datetime, years: int) -> datetime:
    return now - timedelta(days=365 * years)


def tickets_archive(*, now: datetime | None = None, batch: int = 200) -> int:
    """Move tickets closed more than TICKET_ARCHIVE_YEARS ago to the intermediate archive
    (with TICKET_RETENTION_YEARS at 0 and no archive horizon: never). Idempotent, resumable."""
    years = settings.TICKET_ARCHIVE_YEARS
    if years <= 0:
        return 0
    now = now or timezone.now()
    limit = _horizon(now, years)
    done = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.select_for_update()
                .filter(status=TicketStatus.CLOSED, closed_at__lt=limit, archived_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not due:
                return done
            # A bulk update (no save(), no signal): the history row and the index removal are
            # written here, in the batch's transaction.
            Ticket.objects.filter(pk__in=due).update(archived_at=now)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket_id=pk,
                    kind=EventKind.ARCHIVED,
                    channel="system",
                    field="archived_at",
                    new_value=now.isoformat(),
                    is_internal=True,
                    created_at=now,
                )
                for pk in due
            )
            for pk in due:
                unindex(TicketSource.kind, pk)
            done += len(due)


def tickets_retention_anonymise(*, now: datetime | None = None, batch: int = 200) -> int:
    """Anonymise archived tickets closed more than TICKET_RETENTION_YEARS ago (0: never).
    Idempotent, resumable (one transaction per ticket)."""
    years = settings.TICKET_RETENTION_YEARS
    if years <= 0:
        return 0
    now = now or timezone.now()
    limit = _horizon(now, years)
    done = 0
    while True:
        due = list(
            Ticket.objects.filter(
                status=TicketStatus.CLOSED,
                closed_at__lt=limit,
                archived_at__isnull=False,
                anonymised_at__isnull=True,
            ).order_by("pk")[:batch]
        )
        if not due:
            return done
        for ticket in due:
            done += ticket_anonymise(ticket, now=now)


def tickets_retention_run(*, now: datetime | None = None, batch: int = 200) -> tuple[int, int]:
    """The nightly job: archive what reached the archive horizon, then anonymise what reached
    the retention horizon (archived first, so a deleted ticket never shows on the desk
    again). Returns (archived, anonymised)."""
    now = now or timezone.now()
    archived = tickets_archive(now=now, batch=batch)
    return archived, tickets_retention_anonymise(now=now, batch=batch)


def ticket_archive_read(
    *, ticket: Ticket, reader: User, request: HttpRequest | None = None
) -> None:
    """Record that an archive reader opened an archived ticket (who, when, from where, which
    ticket): reading the archive is exceptional and traced (CNIL)."""
    audit_record(action=AuditAction.ARCHIVE_READ, actor=reader, target=ticket, request=request)
