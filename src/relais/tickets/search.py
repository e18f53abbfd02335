"""What the service desk makes searchable: tickets (title and description, never internal
notes), found only by those the ticket policy lets see them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from relais.core.permissions import is_active_user
from relais.core.sanitize import markdown_to_text
from relais.search.registry import IndexDoc, OwnedScope, Source
from relais.tickets.models import Ticket
from relais.tickets.permissions import TicketPolicy, is_desk, sees_everything


class TicketSource(Source):
    kind = "ticket"
    label = _("Requests")
    model = Ticket
    # The requester and opener are the entry's owners (see `owned_scope`).
    indexed_fields = (
        "title",
        "description",
        "category",
        "requester",
        "created_by",
        "anonymised_at",
    )

    def document(self, obj: Ticket) -> IndexDoc | None:
        if obj.anonymised_at is not None:
            return None  # nothing left to find
        return IndexDoc(
            title=f"{obj.reference} · {obj.title}",
            text=markdown_to_text(obj.description),
            url=reverse("tickets:detail", args=[obj.reference]),
            audience="private",
            category_id=obj.category_id,
            owners=(obj.requester_id, obj.created_by_id),
        )

    def objects(self) -> QuerySet[Ticket]:
        return Ticket.objects.only(
            "id",
            "reference",
            "title",
            "description",
            "category_id",
            "requester_id",
            "created_by_id",
            "anonymised_at",
        )

    def audiences(self, user: Any) -> tuple[str, ...]:
        return ("private",)

    def restrict(self, user: Any) -> QuerySet[Ticket] | None:
        return None if sees_everything(user) else TicketPolicy().scope(user)

    def restrict_ids(self, user: Any) -> QuerySet[Any] | None:
        return None if sees_everything(user) else TicketPolicy().visible_ids(user)

    def small_scope(self, user: Any) -> bool:
        return not is_desk(user)  # a collaborator's scope: the tickets they asked or watch

    def owned_scope(self, user: Any) -> OwnedScope | None:
        if is_desk(user) or not is_active_user(user):
            return None
        # A collaborator's scope: requested or opened (the entry's owners), or watched.
        return OwnedScope(owner_id=user.pk, others=TicketPolicy().watched_ids(user))
