"""Per-day counters: one row per (thing, day) with a count, added to atomically.

Used by the knowledge base (article views) and search (searches without results) so that the
reports can count them over any period; the row's unique key is the thing and the day."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F


def counter_add(
    model: type[models.Model],
    *,
    key: dict[str, Any],
    field: str,
    by: int = 1,
    also: dict[str, Any] | None = None,
) -> None:
    """`UPDATE … SET field = field + by` on the row of `key`, created on the first use;
    `also` are other columns set to the given values on both paths (a "last seen" instant).

    Safe under concurrency on both databases: on SQLite the transaction is IMMEDIATE
    (settings), so the update and the insert run under the write lock, one writer at a time;
    on PostgreSQL a concurrent first insert of the same key makes ours fail on the unique
    constraint (the savepoint is rolled back) and the update, run again, then sees that row.
    No read-modify-write: a count is never lost."""
    rows = model._default_manager.filter(**key)
    changes = {field: F(field) + by, **(also or {})}
    with transaction.atomic():
        if rows.update(**changes):
            return
        try:
            with transaction.atomic():
                model._default_manager.create(**key, **{field: by}, **(also or {}))
        except IntegrityError:  # a concurrent request created the row first
            rows.update(**changes)
