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

    Safe under concurrency on both databases, and no read-modify-write: when two requests
    both find no row, one insert wins and the other fails on the unique constraint (on
    PostgreSQL it waits for the winner's commit; SQLite lets one writer at a time), its
    savepoint is rolled back and its update, run again, finds the row. A count is never
    lost. The usual case (the row exists) is one `UPDATE`."""
    rows = model._default_manager.filter(**key)
    changes = {field: F(field) + by, **(also or {})}
    if rows.update(**changes):
        return  # the usual case: one statement
    try:
        with transaction.atomic():
            model._default_manager.create(**key, **{field: by}, **(also or {}))
    except IntegrityError:  # a concurrent request created the row after our update
        rows.update(**changes)
