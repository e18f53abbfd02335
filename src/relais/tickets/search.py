"""What the service desk makes searchable: tickets (title and description, never internal
notes), found only by those the ticket policy lets see them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, pre_delete
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Team
from relais.core.sanitize import markdown_to_text
from relais.search.registry import IndexDoc, KeyedScope, Source
from relais.tickets.models import Ticket
from relais.tickets.permissions import TicketPolicy, is_desk, sees_everything


class TicketSource(Source):
    kind = "ticket"
    label = _("Requests")
    model = Ticket
    # What the entry holds: the text, and the scope keys (TicketPolicy.index_keys).
    indexed_fields = (
        "title",
        "description",
        "category",
        "requester",
        "created_by",
        "assignee",
        "team",
        "anonymised_at",
        "archived_at",
    )

    def document(self, obj: Ticket) -> IndexDoc | None:
        if obj.anonymised_at is not None or obj.archived_at is not None:
            return None  # nothing left to find, or out of the desk's sight (the archive)
        return IndexDoc(
            title=f"{obj.reference} · {obj.title}",
            text=markdown_to_text(obj.description),
            url=reverse("tickets:detail", args=[obj.reference]),
            audience="private",
            category_id=obj.category_id,
            scope_keys=TicketPolicy().index_keys(obj),
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
            "assignee_id",
            "team_id",
            "anonymised_at",
            "archived_at",
        )

    def audiences(self, user: Any) -> tuple[str, ...]:
        return ("private",)

    def restrict(self, user: Any) -> QuerySet[Ticket] | None:
        return None if sees_everything(user) else TicketPolicy().scope(user)

    def restrict_ids(self, user: Any) -> QuerySet[Any] | None:
        return None if sees_everything(user) else TicketPolicy().visible_ids(user)

    def small_scope(self, user: Any) -> bool:
        return not is_desk(user)  # a collaborator's scope: the tickets they asked or watch

    def keyed_scope(self, user: Any) -> KeyedScope | None:
        keys = TicketPolicy().index_keys_of(user)
        if keys is None:
            return None
        # A collaborator's scope holds few tickets; an agent's, their teams' (many).
        return KeyedScope(keys=keys, others=TicketPolicy().watched_ids(user), few=not is_desk(user))


def connect_team_upkeep() -> None:
    """A deleted team leaves its tickets untriaged (SET_NULL, which sends no signal per
    ticket): their entries' team key becomes "t" too, or agents would not find them."""

    def before(sender: Any, instance: Team, **kwargs: Any) -> None:
        instance._relais_ticket_ids = list(  # type: ignore[attr-defined]
            Ticket.objects.filter(team=instance).values_list("pk", flat=True)
        )

    def after(sender: Any, instance: Team, **kwargs: Any) -> None:
        from relais.search.services import scope_key_replace

        ids = getattr(instance, "_relais_ticket_ids", [])
        scope_key_replace(kind=TicketSource.kind, object_ids=ids, old=f"t{instance.pk}", new="t")

    uid = "relais.tickets.search.team"
    pre_delete.connect(before, sender=Team, weak=False, dispatch_uid=uid + ".before")
    post_delete.connect(after, sender=Team, weak=False, dispatch_uid=uid + ".after")
