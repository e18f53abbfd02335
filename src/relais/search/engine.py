"""The one entry point of search: `search(query, user, kinds, filters)`.

Every screen (header search, suggestions while typing, the ticket form's deflection panel,
the community's similar questions) and the API call it. It analyses the query in Python
(relais.search.analysis), asks the backend for candidates the user may see
(relais.search.backends), ranks them in Python (relais.search.ranking) and marks snippets.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Avg, Count
from django.utils.safestring import SafeString

from relais.search import analysis, backends, highlight, ranking, registry, semantic
from relais.search.models import KNOWLEDGE_KINDS, IndexState, SearchEntry, SearchTerm, SynonymGroup

MAX_QUERY_LENGTH = 200
CANDIDATES = 200
# In a large knowledge base, words found in more than this share of the documents are left to
# the ranking (which still scores them) instead of widening the candidate query: they barely
# discriminate, and every extra match costs the database a rank computation.
COMMON_SHARE = 0.05
PRUNE_FROM = 2000
_T = TypeVar("_T")


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    title: str
    url: str
    title_html: SafeString
    snippet: SafeString
    score: float


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)  # best first, every kind
    suggestion: str | None = None  # "did you mean"

    def by_kind(self) -> dict[str, list[Hit]]:
        grouped: dict[str, list[Hit]] = {}
        for hit in self.hits:
            grouped.setdefault(hit.kind, []).append(hit)
        return grouped


@dataclass
class _Knowledge:
    version: tuple[int, int]
    synonyms: analysis.Synonyms
    vocabulary: analysis.MemoryVocabulary
    stats: ranking.CorpusStats
    built_at: float = 0.0  # time.monotonic() of the vocabulary's build


# A large knowledge base's vocabulary takes a noticeable time to load (~0.4 s at 20,000
# documents): after a write it is reloaded at most this often. Meanwhile new documents are
# found all the same (the database finds them); only typo repair and the statistics lag.
VOCABULARY_MAX_STALENESS = 30.0


_cache_lock = threading.Lock()
_cache: _Knowledge | None = None


def _versions() -> tuple[int, int]:
    row = IndexState.objects.filter(pk=1).values_list("knowledge_version", "synonyms_version")
    found = list(row)
    return found[0] if found else (0, 0)


def _build(version: tuple[int, int], previous: _Knowledge | None) -> _Knowledge:
    if previous is not None and previous.version[1] == version[1]:
        synonyms = previous.synonyms
    else:
        lines = SynonymGroup.objects.filter(is_active=True).values_list("phrases", flat=True)
        synonyms = analysis.Synonyms.from_lines(list(lines))
    fresh_enough = (
        previous is not None
        and previous.stats.n_docs >= PRUNE_FROM
        and time.monotonic() - previous.built_at < VOCABULARY_MAX_STALENESS
    )
    if previous is not None and (previous.version[0] == version[0] or fresh_enough):
        vocabulary, stats, built_at = previous.vocabulary, previous.stats, previous.built_at
        version = (previous.version[0], version[1])
    else:
        built_at = time.monotonic()
        dfs = dict(SearchTerm.objects.filter(df__gt=0).values_list("term", "df"))
        vocabulary = analysis.MemoryVocabulary(dfs)
        agg = SearchEntry.objects.filter(kind__in=KNOWLEDGE_KINDS).aggregate(
            n=Count("id"),
            title=Avg("length_title"),
            tags=Avg("length_tags"),
            body=Avg("length_body"),
        )
        stats = ranking.CorpusStats(
            n_docs=agg["n"] or 0,
            avg_length={f: float(agg[f] or 1.0) for f in ("title", "tags", "body")},
            df=vocabulary.df,
        )
    return _Knowledge(version, synonyms, vocabulary, stats, built_at)


def knowledge(version: tuple[int, int] | None = None) -> _Knowledge:
    """The synonym table, vocabulary and corpus statistics, rebuilt when the index moved
    (`version`: the versions just read from IndexState, else read here)."""
    global _cache
    version = _versions() if version is None else version
    current = _cache
    if current is not None and current.version == version:
        return current
    with _cache_lock:
        if _cache is None or _cache.version != version:
            _cache = _build(version, _cache)
        return _cache  # its knowledge version may lag (VOCABULARY_MAX_STALENESS)


def _kinds_for(user: Any, kinds: Sequence[str] | None) -> list[registry.Source]:
    wanted = set(kinds) if kinds else None
    return [
        s for s in registry.sources() if (wanted is None or s.kind in wanted) and s.visible_to(user)
    ]


def _concepts(query: analysis.Query) -> list[list[str]]:
    """Alternatives per concept, as single index terms (a phrase contributes its words)."""
    return [sorted({part for t in alts for part in t.term.split()}) for alts in query.concepts]


def _strict_concepts(query: analysis.Query) -> list[list[str]]:
    """Alternatives per concept, a phrase as all its words ("acce distanc": both words)."""
    return [sorted({t.term for t in alts}) for alts in query.concepts]


def _retrieval_concepts(concepts: list[list[str]], k: _Knowledge) -> list[list[str]]:
    """The concepts the candidate query asks for (very common words left out, see above)."""
    if k.stats.n_docs < PRUNE_FROM:
        return concepts
    ceiling = COMMON_SHARE * k.stats.n_docs
    kept = [[t for t in alts if k.vocabulary.df(t) <= ceiling] for alts in concepts]
    kept = [alts for alts in kept if alts]
    if kept:
        return kept
    rarest = min((t for alts in concepts for t in alts), key=lambda t: (k.vocabulary.df(t), t))
    return [[rarest]]


@dataclass(frozen=True)
class _Entry:
    """What a hit needs of its index entry."""

    pk: int
    kind: str
    object_id: int
    title: str
    url: str


_FIELDS = ("id", "kind", "object_id", "title", "url", "terms_title", "terms_tags", "terms_body")
# Parsed knowledge entries of this process, by entry id, least recently used first: the same
# articles come back as candidates search after search, and fetching and parsing their
# terms was the largest cost of a search in Python. Emptied when the knowledge index moves
# (any write); about 4.5 kB an entry (36 MB full; 40 varied queries at 20,000 documents
# touch 5,000 entries).
DOCUMENT_CACHE_SIZE = 8000
_doc_cache: OrderedDict[int, tuple[ranking.Document, _Entry]] = OrderedDict()
_doc_cache_version = -1
_doc_cache_lock = threading.Lock()


def _parse(row: tuple[Any, ...]) -> tuple[ranking.Document, _Entry]:
    pk, kind, object_id, title, url, terms_title, terms_tags, terms_body = row
    intern = sys.intern  # index terms repeat across documents: one string each
    fields = {
        "title": [intern(t) for t in terms_title.split()],
        "tags": [intern(t) for t in terms_tags.split()],
        "body": [intern(t) for t in terms_body.split()],
    }
    return ranking.Document(key=pk, kind=kind, fields=fields), _Entry(
        pk, kind, object_id, title, url
    )


def _documents(
    ids: Sequence[int], cache_version: int | None = None
) -> list[tuple[ranking.Document, _Entry]]:
    """The candidates' parsed entries; knowledge entries (`cache_version` given: the knowledge
    version read at the start of this search) through the process cache."""
    global _doc_cache_version
    if cache_version is None:
        rows = SearchEntry.objects.filter(id__in=ids).values_list(*_FIELDS)
        return [_parse(row) for row in rows]
    with _doc_cache_lock:
        if _doc_cache_version != cache_version:
            _doc_cache.clear()
            _doc_cache_version = cache_version
        cached = {i: _doc_cache[i] for i in ids if i in _doc_cache}
        for i in cached:
            _doc_cache.move_to_end(i)
    missing = [i for i in ids if i not in cached]
    fetched = (
        [_parse(row) for row in SearchEntry.objects.filter(id__in=missing).values_list(*_FIELDS)]
        if missing
        else []
    )
    with _doc_cache_lock:
        if _doc_cache_version == cache_version:
            for parsed in fetched:
                _doc_cache[parsed[1].pk] = parsed
            while len(_doc_cache) > DOCUMENT_CACHE_SIZE:
                _doc_cache.popitem(last=False)
    return [*cached.values(), *fetched]


def _ranked(
    query: analysis.Query,
    criteria: backends.Criteria,
    stats: ranking.CorpusStats,
    limit: int,
    semantic_text: str | None = None,  # the query as typed: re-rank semantically if enabled
    cache_version: int | None = None,  # knowledge entries: see _documents
) -> list[tuple[_Entry, float]]:
    ids = backends.candidates(criteria)
    if not ids:
        return []
    docs = _documents(ids, cache_version)
    by_key = {doc.key: entry for doc, entry in docs}
    if semantic_text and semantic.enabled():
        ranked = ranking.rank(
            query, [doc for doc, _ in docs], stats, limit=max(limit, semantic.POOL)
        )
        return semantic.rerank(semantic_text, [(by_key[d.key], s) for d, s in ranked], limit)
    ranked = ranking.rank(query, [doc for doc, _ in docs], stats, limit=limit)
    return [(by_key[doc.key], score) for doc, score in ranked]


# PostgreSQL: an agent's search of every kind looks for ticket candidates on a second
# connection while knowledge candidates are looked for on the request's own, so its latency is
# the longer of the two rather than their sum (1M tickets: the tickets' part is the longer,
# 10–30 ms, knowledge 5–15 ms). Threads per process, each with its own persistent connection:
# the database sees at most this many more connections per web process.
PARALLEL_WORKERS = 2
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _reset_executor() -> None:  # a forked process (gunicorn worker) starts its own threads
    global _executor
    _executor = None


os.register_at_fork(after_in_child=_reset_executor)


def _in_parallel() -> bool:
    """Only on PostgreSQL, outside a transaction: another connection would not see what this
    one has not committed (a test's data, a view's atomic block)."""
    return (
        settings.SEARCH_PARALLEL
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def _on_own_connection(fn: Callable[..., _T], *args: Any) -> _T:
    # What Django does around a request: a broken or expired connection is replaced.
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


def _submit(fn: Callable[..., _T], *args: Any) -> Future[_T]:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(PARALLEL_WORKERS, thread_name_prefix="relais-search")
        return _executor.submit(_on_own_connection, fn, *args)


def shutdown_parallel() -> None:
    """Close the search threads' connections and stop the threads (tests, before the test
    database is dropped; a process that stops)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is None:
        return
    # One task per thread: each waits for the others, so every thread takes exactly one.
    barrier = threading.Barrier(PARALLEL_WORKERS)

    def close() -> None:
        connection.close()
        barrier.wait(timeout=10)

    for future in [executor.submit(close) for _ in range(PARALLEL_WORKERS)]:
        future.result()
    executor.shutdown(wait=True)


def search(
    query: str,
    user: Any,
    kinds: Sequence[str] | None = None,
    filters: Mapping[str, Any] | None = None,
    *,
    limit: int = 10,
    prefix: bool = False,
    snippets: bool = True,
    log_empty: bool = True,
) -> Results:
    """Ranked hits of the kinds `user` may search, each one an object they may see.

    `filters`: {"category": id}. `prefix`: the last word may be incomplete (suggestions while
    typing). Knowledge hits (articles and questions) are ranked together; tickets follow.
    """
    text = " ".join(query.split())[:MAX_QUERY_LENGTH]
    if not text:
        return Results(query=text)
    versions = _versions()
    k = knowledge(versions)
    analysed = analysis.analyse_query(text, k.synonyms, k.vocabulary, prefix=prefix)
    concepts = _concepts(analysed)
    if not concepts:
        return Results(query=text, suggestion=analysed.suggestion)
    category = (filters or {}).get("category")
    category_id = int(category) if isinstance(category, int | str) and category != "" else None
    sources = _kinds_for(user, kinds)
    knowledge_sources = [s for s in sources if s.kind in KNOWLEDGE_KINDS]
    # Tickets' criteria first: their newest matches are looked for on a second connection
    # while this one looks for knowledge candidates (see _in_parallel).
    ticket_jobs = [
        backends.Criteria(
            kinds=[source.kind],
            # Every concept, a phrase by all its words: the candidates are the newest matches,
            # so a ticket holding only "accès" must not pass for "accès à distance".
            concepts=_strict_concepts(analysed),
            require_all=True,
            newest_first=True,
            audiences=source.audiences(user),
            category_id=category_id,
            restrict=source.restrict_ids(user),
            small_scope=source.small_scope(user),
            keyed=(keyed := source.keyed_scope(user)),
            verify=None if keyed is None else source.restrict(user),
            limit=CANDIDATES // 2,
        )
        for source in sources
        if source.kind not in KNOWLEDGE_KINDS
    ]
    pending = (
        _submit(_ranked, analysed, ticket_jobs[0], k.stats, limit)
        if knowledge_sources and len(ticket_jobs) == 1 and _in_parallel()
        else None
    )
    found: list[tuple[_Entry, float]] = []
    if knowledge_sources:
        audiences = sorted({a for s in knowledge_sources for a in (s.audiences(user) or ())})
        criteria = backends.Criteria(
            kinds=[s.kind for s in knowledge_sources],
            concepts=_retrieval_concepts(concepts, k),
            require_all=False,
            audiences=audiences,
            category_id=category_id,
            # While typing, fewer candidates: only the best few are shown, and every keystroke
            # pays for them (suggestions p95 29 → 25 ms at 20,000 documents on PostgreSQL).
            limit=CANDIDATES // 4 if prefix else CANDIDATES,
        )
        found += _ranked(analysed, criteria, k.stats, limit, None if prefix else text, versions[0])
    if pending is not None:
        found += pending.result()
    else:
        for criteria in ticket_jobs:
            found += _ranked(analysed, criteria, k.stats, limit)
    terms = analysed.terms()
    texts: dict[int, str] = {}
    if snippets and found:
        texts = dict(
            SearchEntry.objects.filter(id__in=[e.pk for e, _ in found]).values_list("id", "text")
        )
    hits = [
        Hit(
            kind=entry.kind,
            object_id=entry.object_id,
            title=entry.title,
            url=entry.url,
            title_html=highlight.mark(entry.title, terms),
            snippet=highlight.snippet(texts.get(entry.pk, ""), terms)
            if snippets
            else SafeString(""),  # static-ban: allow (the empty string)
            score=score,
        )
        for entry, score in found
    ]
    if not hits and log_empty and not prefix:
        from relais.search.services import zero_result_record

        zero_result_record(text)
    return Results(query=text, hits=hits, suggestion=analysed.suggestion)
