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
from relais.search.registry import KeyedScope

_TERM = re.compile(r"^\w{1,100}$")
# With a wide scope, this many times the wanted candidates are fetched, then filtered.
POST_FILTER_FACTOR = 3
# PostgreSQL, newest matches first: the newest entries of the kind read row by row (ids).
WINDOW = 5_000
# Reading a range row by row (newest first, stopping at the wanted count) costs about this
# many times less per row than the text index costs per match, which then reads each match's
# table page whatever its id (1M tickets: "clé 4g" for an agent, 21,250 rows walked in 856
# buffers and 19 ms against 8,167 matches in 7,963 buffers and 43 ms).
WALK_FACTOR = 4


@dataclass(frozen=True)
class Criteria:
    kinds: Sequence[str]  # all in one group: knowledge kinds, or ("ticket",)
    # Alternatives per query concept; an alternative of several words (separated by a space)
    # needs them all.
    concepts: Sequence[Sequence[str]]
    require_all: bool  # every concept must match (AND of ORs) instead of any term
    # Tickets: the most recent matches (the engine ranks them); knowledge: the best by the
    # engine's own score.
    newest_first: bool = False
    audiences: Sequence[str] | None = None
    category_id: int | None = None
    restrict: QuerySet | None = None  # primary keys of the objects the user may find
    small_scope: bool = False  # `restrict` holds few objects: start from them (PostgreSQL)
    # The same scope as scope keys plus others (PostgreSQL finds it through the index), and
    # the policy's queryset that checks what that finds.
    keyed: KeyedScope | None = None
    verify: QuerySet | None = None
    limit: int = 200


def _clean(concepts: Sequence[Sequence[str]]) -> list[list[str]]:
    cleaned = [
        [t for t in alts if t and all(_TERM.match(w) for w in t.split(" "))] for alts in concepts
    ]
    return [alts for alts in cleaned if alts]


def _alternative(term: str, quote: str, joiner: str) -> str:
    """One alternative in the engine's query syntax: a word, or all the words of a phrase."""
    words = [f"{quote}{w}{quote}" for w in term.split(" ")]
    return words[0] if len(words) == 1 else "(" + joiner.join(words) + ")"


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
    postgres = connection.vendor == "postgresql"
    if postgres and c.keyed is not None and c.verify is not None:
        return _in_scope(_postgres_keyed(c, concepts), c.verify)
    if c.restrict is not None and not c.small_scope:
        return _post_filtered(c)
    where, params = _filters(c)
    if postgres:
        if c.small_scope and c.restrict is not None:
            return _postgres_from_scope(c, concepts)
        if c.newest_first and len(c.kinds) == 1:
            return _postgres_newest(c, concepts, where, params)
        return _postgres(c, concepts, where, params)
    return _sqlite(c, concepts, where, params)


def _post_filtered(c: Criteria) -> list[int]:
    """A wide scope (an agent's teams): the newest matches first, then only those in scope,
    checked by primary key — instead of testing every match against the whole scope, which
    the database would first build as a set of hundreds of thousands of rows."""
    assert c.restrict is not None
    wide = replace(c, restrict=None, limit=c.limit * POST_FILTER_FACTOR)
    return _in_scope(candidates(wide), c.restrict)[: c.limit]


def _in_scope(ids: list[int], scope: QuerySet) -> list[int]:
    """The entries of `ids` whose object is in `scope`, in order. The scope is asked about
    these objects only: the database checks each by primary key."""
    if not ids:
        return []
    from relais.search.models import SearchEntry

    objects = dict(SearchEntry.objects.filter(id__in=ids).values_list("id", "object_id"))
    allowed = set(scope.filter(pk__in=set(objects.values())).values_list("pk", flat=True))
    return [i for i in ids if objects.get(i) in allowed]


def _sqlite(c: Criteria, concepts: list[list[str]], where: str, params: list[Any]) -> list[int]:
    table = "search_fts_knowledge" if c.kinds[0] in KNOWLEDGE_KINDS else "search_fts_ticket"
    joiner = " AND " if c.require_all else " OR "
    match = joiner.join(
        "(" + " OR ".join(_alternative(t, '"', " AND ") for t in alts) + ")" for alts in concepts
    )
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
        cursor.execute(
            sql, [match, *params, c.limit]
        )  # static-ban: allow (constants and %s placeholders, see _filters)
        return [row[0] for row in cursor.fetchall()]


def _tsquery(c: Criteria, concepts: list[list[str]]) -> str:
    joiner = " & " if c.require_all else " | "
    return joiner.join(
        "(" + " | ".join(_alternative(t, "'", " & ") for t in alts) + ")" for alts in concepts
    )


def _postgres(c: Criteria, concepts: list[list[str]], where: str, params: list[Any]) -> list[int]:
    # Only constants and placeholders are interpolated (see _filters).
    sql = (
        "SELECT e.id FROM search_searchentry e, to_tsquery('simple', %s) q "  # noqa: S608
        f"WHERE e.tsv @@ q AND {where} "
        + ("ORDER BY e.id DESC " if c.newest_first else "ORDER BY ts_rank(e.tsv, q, 1) DESC, e.id ")
        + "LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [_tsquery(c, concepts), *params, c.limit]
        )  # static-ban: allow (constants and %s placeholders, see _filters)
        return [row[0] for row in cursor.fetchall()]


def _postgres_newest(
    c: Criteria,
    concepts: list[list[str]],
    where: str,
    params: list[Any],
    keys: Sequence[str] | None = None,
) -> list[int]:
    """The newest `c.limit` matches (highest ids first, as FTS5 gives them on SQLite), read
    from the newest entries backwards.

    The text index returns every match of every word before anything is sorted (a common
    word: tens of thousands of tickets, each then read from the table). So, in at most three
    steps, each bounded:
    1. the newest WINDOW entries of the kind, newest first, the text tested on each row until
       enough match (a common word stops early);
    2. if short, the rate found there sizes an id range expected to hold twice the missing
       matches: walked row by row like step 1 when it is short next to the matches the text
       index would return below the window (WALK_FACTOR), else searched through the text
       index within that range;
    3. if still short, the text index alone for the rest (few matches are left by then).
    With `keys`, only the entries holding one of these scope keys (in steps 2 and 3 the
    GIN index tests them with the text).
    """
    kind = c.kinds[0]  # checked by _filters
    tsquery = _tsquery(c, concepts)
    walked, indexed = where, where
    if keys is not None:
        # `scope_keys || ''` hides the keys from the GIN index while walking the ids too.
        walked += " AND " + _KEYS.format(column="e.scope_keys || ''")
        indexed += " AND " + _KEYS.format(column="e.scope_keys")
        params = [*params, list(keys)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM search_searchentry WHERE kind = %s", [kind])
        high = cursor.fetchone()[0]
        if high is None:
            return []
        low = max(high - WINDOW, 0)
        # `tsv || ''` hides the text from the GIN index: the planner walks the ids.
        found = _postgres_page(
            cursor,
            tsquery,
            f"(e.tsv || ''::tsvector) @@ q AND {walked} AND e.id > %s AND e.id <= %s",
            [*params, low, high],
            c.limit,
        )
        if len(found) < c.limit and low > 0 and found:
            need = c.limit - len(found)
            span = int(2 * need * WINDOW / len(found))
            below = len(found) * low / WINDOW  # matches the text index would return
            high, low = low, max(low - span, 0)
            walk = span <= WALK_FACTOR * below
            found += _postgres_page(
                cursor,
                tsquery,
                (
                    f"(e.tsv || ''::tsvector) @@ q AND {walked}"
                    if walk
                    else f"e.tsv @@ q AND {indexed}"
                )
                + " AND e.id > %s AND e.id <= %s",
                [*params, low, high],
                need,
                by_index=not walk,
            )
        if len(found) < c.limit and low > 0:
            found += _postgres_page(
                cursor,
                tsquery,
                f"e.tsv @@ q AND {indexed} AND e.id <= %s",
                [*params, low],
                c.limit - len(found),
                by_index=True,
            )
    return found


def _postgres_page(
    cursor: Any,
    tsquery: str,
    condition: str,
    params: list[Any],
    limit: int,
    *,
    by_index: bool = False,
) -> list[int]:
    """The newest `limit` entries meeting `condition`. `by_index`: found through the text
    index, then sorted — `e.id + 0` hides the id order from the planner, which would
    otherwise walk the ids backwards hoping to meet enough matches soon: for a query that
    matches no ticket, the whole table (1M tickets, "scanner vers mail": 97,000 buffers, 1 s)."""
    order = "e.id + 0" if by_index else "e.id"
    # Only constants and placeholders are interpolated (see _filters).
    cursor.execute(  # static-ban: allow (constants and %s placeholders, see _filters)
        "SELECT e.id FROM search_searchentry e, to_tsquery('simple', %s) q "  # noqa: S608
        f"WHERE {condition} ORDER BY {order} DESC LIMIT %s",
        [tsquery, *params, limit],
    )
    return [row[0] for row in cursor.fetchall()]


# The second expression of the tickets' GIN index (migration 0008): an entry's scope keys.
_KEYS = "string_to_array({column}, ' ') && %s::text[]"


def _postgres_keyed(c: Criteria, concepts: list[list[str]]) -> list[int]:
    """The newest matches of a user's scope found through the index: the entries holding one
    of their scope keys (the ticket GIN index holds the text and the keys, so it returns
    only the matches of their scope) and the few others of their scope (watched), to be
    checked against the policy's queryset by the caller."""
    assert c.keyed is not None
    where, params = _filters(c, with_restrict=False)
    tsquery = _tsquery(c, concepts)
    if c.keyed.few:
        # Few objects (a requester's): every match, through the index.
        sql = (
            "SELECT e.id FROM search_searchentry e, to_tsquery('simple', %s) q "  # noqa: S608
            f"WHERE e.tsv @@ q AND {_KEYS.format(column='e.scope_keys')} AND {where} "
            "ORDER BY e.id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(  # static-ban: allow (constants and %s placeholders, see _filters)
                sql, [tsquery, list(c.keyed.keys), *params, c.limit]
            )
            found = [row[0] for row in cursor.fetchall()]
    else:
        # Many (an agent's teams): newest first, as for those who see everything.
        found = _postgres_newest(c, concepts, where, params, keys=c.keyed.keys)
    if c.keyed.others is not None:
        others = c.keyed.others.order_by()
        sub_sql, sub_params = others.query.get_compiler(using=others.db).as_sql()
        # Driven by the few other objects, each looked up by its unique (kind, object_id).
        # Only constants and placeholders are interpolated (see _filters); the others are
        # the source's queryset compiled by the ORM.
        sql = (
            f"WITH others (object_id) AS MATERIALIZED ({sub_sql}) "  # noqa: S608
            "SELECT e.id FROM others o JOIN search_searchentry e ON e.object_id = o.object_id, "
            "to_tsquery('simple', %s) q "
            f"WHERE e.tsv @@ q AND {where} ORDER BY e.id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(  # static-ban: allow (constants and %s placeholders, see _filters)
                sql, [*sub_params, tsquery, *params, c.limit]
            )
            found = sorted({*found, *(row[0] for row in cursor.fetchall())}, reverse=True)
    return found[: c.limit]


def _postgres_from_scope(c: Criteria, concepts: list[list[str]]) -> list[int]:
    """The same query, driven by the user's few objects: each is looked up by its unique
    (kind, object_id) and tested against the text query, instead of testing every index match
    against the scope (a common word matches tens of thousands of tickets)."""
    where, params = _filters(c, with_restrict=False)
    restrict = c.restrict.order_by() if c.restrict is not None else None
    assert restrict is not None
    scope_sql, scope_params = restrict.query.get_compiler(using=restrict.db).as_sql()
    tsquery = _tsquery(c, concepts)
    # Only constants and placeholders are interpolated (see _filters); the scope is the
    # policy's queryset compiled by the ORM.
    sql = (
        f"WITH scope AS MATERIALIZED ({scope_sql}) "  # noqa: S608
        "SELECT e.id FROM scope s JOIN search_searchentry e ON e.object_id = s.pk, "
        "to_tsquery('simple', %s) q "
        f"WHERE e.tsv @@ q AND {where} "
        + ("ORDER BY e.id DESC " if c.newest_first else "ORDER BY ts_rank(e.tsv, q, 1) DESC, e.id ")
        + "LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*scope_params, tsquery, *params, c.limit]
        )  # static-ban: allow (constants and %s placeholders, see _filters)
        return [row[0] for row in cursor.fetchall()]
