"""Who may see and do what on tickets, their messages, attachments and history.

- A collaborator sees the tickets they requested, opened or watch; they reply, attach, reopen
  (within the desk's reopen window), close and rate their own tickets. They never see internal
  notes, internal attachments or internal history.
- An agent sees the tickets of their teams, the tickets assigned to them, the untriaged ones
  (no team yet) and their own requests; they work on what they see.
- A supervisor and an administrator see and work on every ticket.
- Nobody on the desk, whatever the role, sees a ticket in the intermediate archive (closed
  past TICKET_ARCHIVE_YEARS, `archived_at` set): not in a queue, a page, a search or the API.
  Only archive readers (`User.reads_archive`, an explicit grant an administrator gives,
  audited) read them, read-only, through the archive pages (`ArchivePolicy`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.utils import timezone

from relais.accounts.choices import Role
from relais.core.permissions import Policy, is_active_user
from relais.tickets.choices import MessageKind, TicketStatus
from relais.tickets.models import Attachment, DeskSettings, SavedView, Ticket, TicketMessage

DESK_ACTIONS = frozenset(
    {
        "view",
        "reply",
        "note",
        "attach",
        "update",
        "assign",
        "change_status",
        "link",
        "merge",
        "flag_major",
        "reopen",
        "close",
        "view_internal",
        "watch",
    }
)
SUPERVISOR_ONLY = frozenset({"bulk", "merge"})


def _role(user: Any) -> str:
    return cast(str, getattr(user, "role", ""))


def is_desk(user: Any) -> bool:
    return is_active_user(user) and _role(user) in {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}


def sees_everything(user: Any) -> bool:
    return is_active_user(user) and _role(user) in {Role.SUPERVISOR, Role.ADMIN}


def team_ids(user: Any) -> frozenset[int]:
    """The user's teams, from the desk's reference data (which any membership change renews),
    once per request (cached on the user object)."""
    cached = getattr(user, "_relais_team_ids", None)
    if cached is None:
        from relais.tickets.config import desk_config

        cached = (
            desk_config().memberships.get(user.pk, frozenset())
            if is_active_user(user)
            else frozenset()
        )
        user._relais_team_ids = cached
    return cast(frozenset[int], cached)


class TicketPolicy(Policy[Ticket]):
    model = Ticket

    def visible(self, user: Any, ticket: Ticket) -> bool:
        """`scope` answered for one ticket, in Python where possible."""
        if not is_active_user(user) or ticket.archived_at is not None:
            return False
        if sees_everything(user):
            return True
        if ticket.requester_id == user.pk:
            return True
        if _role(user) == Role.AGENT and (
            ticket.team_id is None
            or ticket.team_id in team_ids(user)
            or ticket.assignee_id == user.pk
        ):
            return True
        if _role(user) == Role.COLLABORATOR and ticket.created_by_id == user.pk:
            return True
        return ticket.watchers.filter(pk=user.pk).exists()

    def scope(self, user: Any, action: str = "view") -> QuerySet[Ticket]:
        return self._scope_archive_included(user).filter(archived_at__isnull=True)

    def scope_not_closed(self, user: Any) -> QuerySet[Ticket]:
        """`scope` for a list that the caller restricts to tickets that are not closed: an
        archived ticket is always closed, so the archive test is left out (it would keep
        PostgreSQL from answering from the partial indexes on open tickets alone)."""
        return self._scope_archive_included(user)

    def _scope_archive_included(self, user: Any) -> QuerySet[Ticket]:
        """What the role gives, archived tickets included: never returned as it is."""
        qs = Ticket.objects.all()
        if not is_active_user(user):
            return qs.none()
        if sees_everything(user):
            return qs
        if _role(user) == Role.AGENT:
            visible = (
                Q(team_id__in=team_ids(user))
                | Q(assignee_id=user.pk)
                | Q(team__isnull=True)
                | Q(requester_id=user.pk)
            )
            # Watchers need a join; only agents who requested or watch get it, via a subquery.
            watched = Ticket.objects.filter(watchers=user.pk).values("pk")
            return qs.filter(visible | Q(pk__in=watched))
        # A collaborator sees their own tickets: the union of three indexed lookups, not an
        # OR that PostgreSQL can only answer by reading every ticket (1M: 0.3–1 s a list).
        return qs.filter(pk__in=self.own_ids(user))

    def own_ids(self, user: Any) -> QuerySet[Any]:
        """Primary keys of the tickets `user` requested, opened or watches: a UNION of three
        indexed lookups (one column)."""
        requested = Ticket.objects.filter(requester_id=user.pk).order_by().values("pk")
        opened = Ticket.objects.filter(created_by_id=user.pk).order_by().values("pk")
        return requested.union(opened, self.watched_ids(user))

    def visible_ids(self, user: Any) -> QuerySet[Any]:
        """`scope(user)` as one column of primary keys (for a collaborator, `own_ids`; the
        same set, tested)."""
        if not is_active_user(user) or _role(user) != Role.COLLABORATOR:
            return self.scope(user).values("pk")
        return self.own_ids(user)

    # `scope` told in keys, for the search index (tickets/search.py): an entry holds its
    # ticket's `index_keys`, a user's scope is the tickets holding any of `index_keys_of(user)`
    # or watched by them. "u<id>" the requester, "o<id>" the opener when another person,
    # "a<id>" the assignee, "t<id>" the team ("t" alone: none yet). Search migration 0007
    # writes the same keys in SQL.
    def index_keys(self, ticket: Ticket) -> list[str]:
        keys = [f"u{ticket.requester_id}"]
        if ticket.created_by_id is not None and ticket.created_by_id != ticket.requester_id:
            keys.append(f"o{ticket.created_by_id}")
        if ticket.assignee_id is not None:
            keys.append(f"a{ticket.assignee_id}")
        keys.append("t" if ticket.team_id is None else f"t{ticket.team_id}")
        return keys

    def index_keys_of(self, user: Any) -> list[str] | None:
        """The keys of `scope(user)` but watched tickets; None for everything or nothing."""
        if not is_active_user(user) or sees_everything(user):
            return None
        if _role(user) == Role.AGENT:
            teams = [f"t{team}" for team in sorted(team_ids(user))]
            return [*teams, "t", f"a{user.pk}", f"u{user.pk}"]
        if _role(user) == Role.COLLABORATOR:
            return [f"u{user.pk}", f"o{user.pk}"]
        return None

    def watched_ids(self, user: Any) -> QuerySet[Any]:
        """Primary keys of the tickets `user` watches (one column)."""
        watching = Ticket.watchers.through.objects.filter(user_id=user.pk)
        return watching.order_by().values("ticket_id")

    def works_on(self, user: Any, ticket: Ticket) -> bool:
        """The desk member handles this ticket (rather than having requested or watching it)."""
        if sees_everything(user):
            return True
        if _role(user) != Role.AGENT:
            return False
        if ticket.assignee_id == user.pk or ticket.team_id is None:
            return True
        return ticket.team_id in team_ids(user)

    def is_requester_side(self, user: Any, ticket: Ticket) -> bool:
        return ticket.requester_id == user.pk or ticket.created_by_id == user.pk

    def can(self, user: Any, action: str, obj: Ticket | None = None) -> bool:
        if not is_active_user(user):
            return False
        if action in {"list", "create"}:
            return True
        if action in {"list_all", "bulk"}:
            return is_desk(user) if action == "list_all" else sees_everything(user)
        if obj is None:
            return False
        if not self.visible(user, obj):
            return False
        if is_desk(user) and self.works_on(user, obj):
            if action in SUPERVISOR_ONLY:
                return sees_everything(user)
            if action == "reopen":
                return obj.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}
            if action == "close":
                return obj.status != TicketStatus.CLOSED
            if action in {"reply", "note", "attach", "update", "assign", "change_status"}:
                return obj.status != TicketStatus.CLOSED or action in {"note"}
            return action in DESK_ACTIONS
        # Requester side (requester, opener, watcher).
        if action == "view" or action == "watch":
            return True
        if not self.is_requester_side(user, obj):
            return action == "reply" and obj.status != TicketStatus.CLOSED
        if action in {"reply", "attach"}:
            return obj.status != TicketStatus.CLOSED
        if action == "close":
            return obj.status == TicketStatus.RESOLVED
        if action == "rate":
            return obj.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}
        if action == "reopen":
            return self.may_reopen(obj)
        return False

    @staticmethod
    def may_reopen(ticket: Ticket) -> bool:
        if ticket.status not in {TicketStatus.RESOLVED, TicketStatus.CLOSED}:
            return False
        done_at = ticket.closed_at or ticket.resolved_at
        if done_at is None:
            return True
        window = timedelta(days=DeskSettings.load().reopen_days)
        return timezone.now() - done_at <= window


class TicketMessagePolicy:
    """Internal notes are for the desk only."""

    def visible_kinds(self, user: Any) -> list[str]:
        if is_desk(user):
            return [MessageKind.REPLY, MessageKind.NOTE]
        return [MessageKind.REPLY]

    def scope_for_ticket(self, user: Any, ticket: Ticket) -> QuerySet[TicketMessage]:
        return ticket.messages.filter(kind__in=self.visible_kinds(user))


class AttachmentPolicy:
    def scope(self, user: Any) -> QuerySet[Attachment]:
        visible_tickets = tickets.scope(user).values("pk")
        qs = Attachment.objects.filter(ticket_id__in=visible_tickets)
        if not is_desk(user):
            qs = qs.filter(is_internal=False)
        return qs


def reads_archive(user: Any) -> bool:
    return is_active_user(user) and bool(getattr(user, "reads_archive", False))


class ArchivePolicy(Policy[Ticket]):
    """The intermediate archive: tickets the retention job moved out of the desk
    (`archived_at` set) and has not anonymised yet. Archive readers list and read them, with
    their whole record (internal notes and history included: the archive exists to answer a
    dispute or an audit); nobody changes them, and nobody else sees them."""

    model = Ticket
    ACTIONS = frozenset({"list", "view"})

    def scope(self, user: Any, action: str = "view") -> QuerySet[Ticket]:
        if action not in self.ACTIONS or not reads_archive(user):
            return Ticket.objects.none()
        return Ticket.objects.filter(archived_at__isnull=False, anonymised_at__isnull=True)

    def can(self, user: Any, action: str, obj: Ticket | None = None) -> bool:
        if action not in self.ACTIONS or not reads_archive(user):
            return False
        if action == "list":
            return True
        return obj is not None and obj.archived_at is not None and obj.anonymised_at is None


class SavedViewPolicy(Policy[SavedView]):
    """A saved queue view is its owner's alone (desk members: the queue is theirs); anyone
    else's view is a 404, like a missing one."""

    model = SavedView

    def scope(self, user: Any, action: str = "view") -> QuerySet[SavedView]:
        if not is_desk(user):
            return SavedView.objects.none()
        return SavedView.objects.filter(owner_id=user.pk)

    def can(self, user: Any, action: str, obj: SavedView | None = None) -> bool:
        if not is_desk(user):
            return False
        if action in {"list", "create"}:
            return True
        return obj is not None and obj.owner_id == user.pk


tickets = TicketPolicy()
archive = ArchivePolicy()
saved_views = SavedViewPolicy()
messages = TicketMessagePolicy()
attachments = AttachmentPolicy()
