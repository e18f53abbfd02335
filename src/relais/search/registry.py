"""What each app makes searchable. An app declares a `Source` in its own `search.py` and
registers it in `AppConfig.ready`; relais.search knows the apps only through this registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise

from relais.core.permissions import is_active_user


@dataclass(frozen=True)
class IndexDoc:
    """What the index keeps of one object."""

    title: str
    text: str  # plain text: analysed into the body field and used for snippets
    url: str
    tags: Sequence[str] = ()
    audience: str = "everyone"  # "everyone" | "agents" | "private" (filtered by the policy)
    category_id: int | None = None
    # What puts the object in someone's scope, as short keys chosen by the source (a ticket:
    # its requester, opener, assignee and team): PostgreSQL indexes them with the text, so a
    # search finds a user's objects through the index, see `Source.keyed_scope`.
    scope_keys: Sequence[str] = ()


@dataclass(frozen=True)
class KeyedScope:
    """A user's scope told the way the index can answer it: the objects holding any of
    `keys` among their `IndexDoc.scope_keys`, plus `others` (primary keys: a few more, such as
    the tickets they watch). `few`: the scope holds few objects (a requester's own), so every
    match is read; otherwise (an agent's teams) the newest entries are read first."""

    keys: Sequence[str]
    others: models.QuerySet[Any] | None = None
    few: bool = False


class Source(ABC):
    kind: str
    label: str | Promise
    model: type[models.Model]

    @abstractmethod
    def document(self, obj: Any) -> IndexDoc | None:
        """The indexed form of `obj`, or None when it must not be found (a draft…)."""

    @abstractmethod
    def objects(self) -> models.QuerySet[Any]:
        """Every object to (re)index, with what `document` needs fetched in bulk."""

    def audiences(self, user: Any) -> Sequence[str] | None:
        """Audiences this user may find (None: no audience filter, see `restrict`)."""
        return ("everyone",)

    def restrict(self, user: Any) -> models.QuerySet[Any] | None:
        """The objects of this kind the user may find, when the audience is not enough
        (a queryset of the model, usually the policy's scope); None: no further filter."""
        return None

    def restrict_ids(self, user: Any) -> models.QuerySet[Any] | None:
        """`restrict(user)` as one column of primary keys (a source may give an equivalent
        query that the database runs faster)."""
        allowed = self.restrict(user)
        return None if allowed is None else allowed.values("pk")

    def small_scope(self, user: Any) -> bool:
        """A performance hint, not a rule: `restrict(user)` holds few objects (a requester's
        own tickets), so the search starts from them rather than from the text index."""
        return False

    def keyed_scope(self, user: Any) -> KeyedScope | None:
        """`restrict(user)` as scope keys plus others, when it is exactly that (a performance
        hint too: what it finds is still checked against `restrict`)."""
        return None

    def visible_to(self, user: Any) -> bool:
        """Whether the user may search this kind at all."""
        return is_active_user(user)


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    from relais.search import signals

    _SOURCES[source.kind] = source
    signals.connect(source)


def sources() -> list[Source]:
    return list(_SOURCES.values())


def source(kind: str) -> Source:
    return _SOURCES[kind]


def source_for(model: type[models.Model]) -> Source | None:
    for src in _SOURCES.values():
        if src.model is model:
            return src
    return None
