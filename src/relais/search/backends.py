"""Candidate retrieval from the database's full-text index: the documents that contain the
query's terms, best first by the engine's own score. The final order is computed in Python
(relais.search.ranking) so that both backends rank alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from relais.search.models import KNOWLEDGE_KINDS

_TERM = re.compile(r"^\w{1,100}$")
# With a wide scope, this many times the wanted candidates are fetched, then filtered.
POST_FILTER_FACTOR = 3


@dataclass(frozen=True)
class Criteria:
    kinds: Sequence[str]  # all in one group: knowledge kinds, or ("ticket",)
    concepts: Sequence[Sequence[str]]  # alternatives per query concept
    require_all: bool  # every concept must match (AND of ORs) instead of any term
    # Tickets: the most recent matches (the engine ranks them); knowledge: the best by the
    # engine's own score.
    newest_first: bool = False
    audiences: Sequence[str] | None = None
    category_id: int | None = None
    restrict: QuerySet | None = None  # primary keys of the objects the user may find
    small_scope: bool = False  # `restrict` holds few objects: start from them (PostgreSQL)
    limit: int = 200


def _clean(concepts: Sequence[Sequence[str]]) -> list[list[str]]:
    cleaned = [[t for t in alts if _TERM.match(t)] for alts in concepts]
    return [alts for alts in cleaned if alts]


def _filters(c: Criteria, *, with_restrict: bool = True) -> tuple[str, list[Any]]:
    sql: list[str] = []
    params: list[Any] = []
    # Kinds come from the registry (never from the request); inlined so that PostgreSQL can
    # use the partial GIN index of the group.
    for kind in c.kinds:
        if not _TERM.match(kind):
            raise ValueError(kind)
    sql.append("e.kind IN (" + ", ".join(f"'{k}'" for k in c.kinds) + ")")
    if c.audiences is not None:
        if not c.audiences:
            return "1 = 0", []
        sql.append("e.audience IN (" + ", ".join(["%s"] * len(c.audiences)) + ")")
        params += list(c.audiences)
    if c.category_id is not None:
        sql.append("e.category_id = %s")
        params.append(c.category_id)
    if c.restrict is not None and with_restrict:
        restrict = c.restrict.order_by()
        sub_sql, sub_params = restrict.query.get_compiler(using=restrict.db).as_sql()
        sql.append(f"e.object_id IN ({sub_sql})")
        params += list(sub_params)
    return " AND ".join(sql), params


def candidates(c: Criteria) -> list[int]:
    """SearchEntry ids matching the criteria, best first, at most `c.limit`."""
    concepts = _clean(c.concepts)
    if not concepts:
        return []
    if c.restrict is not None and not c.small_scope:
        return _post_filtered(c)
    where, params = _filters(c)
    if connection.vendor == "postgresql":
        if c.small_scope and c.restrict is not None:
            return _postgres_from_scope(c, concepts)
        return _postgres(c, concepts, where, params)
    return _sqlite(c, concepts, where, params)


def _post_filtered(c: Criteria) -> list[int]:
    """A wide scope (an agent's teams): the newest matches first, then only those in scope,
    checked by primary key — instead of testing every match against the whole scope, which
    the database would first build as a set of hundreds of thousands of rows."""
    from relais.search.models import SearchEntry

    assert c.restrict is not None
    wide = replace(c, restrict=None, limit=c.limit * POST_FILTER_FACTOR)
    ids = candidates(wide)
    if not ids:
        return []
    objects = dict(SearchEntry.objects.filter(id__in=ids).values_list("id", "object_id"))
    # The scope asked about these objects only: the database checks each by primary key.
    in_scope = set(c.restrict.filter(pk__in=set(objects.values())).values_list("pk", flat=True))
    return [i for i in ids if objects.get(i) in in_scope][: c.limit]


def _sqlite(c: Criteria, concepts: list[list[str]], where: str, params: list[Any]) -> list[int]:
    table = "search_fts_knowledge" if c.kinds[0] in KNOWLEDGE_KINDS else "search_fts_ticket"
    joiner = " AND " if c.require_all else " OR "
    match = joiner.join("(" + " OR ".join(f'"{t}"' for t in alts) + ")" for alts in concepts)
    # Only constants and placeholders are interpolated (table names, `_filters` output).
    sql = (
        f"SELECT e.id FROM {table} JOIN search_searchentry e ON e.id = {table}.rowid "  # noqa: S608
        f"WHERE {table} MATCH %s AND {where} "
        + (
            f"ORDER BY {table}.rowid DESC "
            if c.newest_first
            else f"ORDER BY bm25({table}, 10.0, 5.0, 1.0) "
        )
        + "LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, c.limit])
        return [row[0] for row in cursor.fetchall()]


def _postgres(c: Criteria, concepts: list[list[str]], where: str, params: list[Any]) -> list[int]:
    joiner = " & " if c.require_all else " | "
    tsquery = joiner.join("(" + " | ".join(f"'{t}'" for t in alts) + ")" for alts in concepts)
    # Only constants and placeholders are interpolated (see _filters).
    sql = (
        "SELECT e.id FROM search_searchentry e, to_tsquery('simple', %s) q "  # noqa: S608
        f"WHERE e.tsv @@ q AND {where} "
        # Newest first by `updated_at`, which no index orders: an index walk in id order with
        # the text condition as a filter looks cheap to the planner and scans the whole table
        # when few rows match (measured: 0.9 s at 1M tickets); sorting the matches is bounded.
        + (
            "ORDER BY e.updated_at DESC, e.id DESC "
            if c.newest_first
            else "ORDER BY ts_rank(e.tsv, q, 1) DESC, e.id "
        )
        + "LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery, *params, c.limit])
        return [row[0] for row in cursor.fetchall()]


def _postgres_from_scope(c: Criteria, concepts: list[list[str]]) -> list[int]:
    """The same query, driven by the user's few objects: each is looked up by its unique
    (kind, object_id) and tested against the text query, instead of testing every index match
    against the scope (a common word matches tens of thousands of tickets)."""
    where, params = _filters(c, with_restrict=False)
    restrict = c.restrict.order_by() if c.restrict is not None else None
    assert restrict is not None
    scope_sql, scope_params = restrict.query.get_compiler(using=restrict.db).as_sql()
    joiner = " & " if c.require_all else " | "
    tsquery = joiner.join("(" + " | ".join(f"'{t}'" for t in alts) + ")" for alts in concepts)
    # Only constants and placeholders are interpolated (see _filters); the scope is the
    # policy's queryset compiled by the ORM.
    sql = (
        f"WITH scope AS MATERIALIZED ({scope_sql}) "  # noqa: S608
        "SELECT e.id FROM scope s JOIN search_searchentry e ON e.object_id = s.pk, "
        "to_tsquery('simple', %s) q "
        f"WHERE e.tsv @@ q AND {where} "
        + (
            "ORDER BY e.updated_at DESC, e.id DESC "
            if c.newest_first
            else "ORDER BY ts_rank(e.tsv, q, 1) DESC, e.id "
        )
        + "LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*scope_params, tsquery, *params, c.limit])
        return [row[0] for row in cursor.fetchall()]
