"""Every write of the search app: index upkeep, the synonym dictionary, the zero-result log
and deflections."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from relais.core.counters import counter_add
from relais.search import analysis, semantic
from relais.search.models import (
    KNOWLEDGE_KINDS,
    DailySearchMiss,
    Deflection,
    IndexState,
    SearchEntry,
    SearchTerm,
    SynonymGroup,
    ZeroResultQuery,
)

if TYPE_CHECKING:
    from relais.search.registry import IndexDoc, Source


def _bump(field: str) -> None:
    """Move a version of IndexState (in the caller's transaction): every process rebuilds its
    in-memory vocabulary, statistics or synonym table when it sees a new value. Random rather
    than incremented, so that a rolled-back change can never bring back a value that some
    process has already cached for other contents."""
    value = secrets.randbits(62)
    if not IndexState.objects.filter(pk=1).update(**{field: value}):
        IndexState.objects.bulk_create([IndexState(pk=1, **{field: value})], ignore_conflicts=True)


def _fields(doc: IndexDoc) -> dict[str, list[str]]:
    return {
        "title": analysis.analyse(doc.title),
        "tags": analysis.analyse(" ; ".join(doc.tags)),
        "body": analysis.analyse(doc.text),
    }


def _entry_values(kind: str, object_id: int, doc: IndexDoc) -> dict[str, Any]:
    fields = _fields(doc)
    return {
        "kind": kind,
        "object_id": object_id,
        "audience": doc.audience,
        "category_id": doc.category_id,
        "title": doc.title[:300],
        "text": doc.text,
        "url": doc.url,
        "terms_title": " ".join(fields["title"]),
        "terms_tags": " ".join(fields["tags"]),
        "terms_body": " ".join(fields["body"]),
        "length_title": len(fields["title"]),
        "length_tags": len(fields["tags"]),
        "length_body": len(fields["body"]),
        "scope_keys": " ".join(dict.fromkeys(doc.scope_keys)),
        "updated_at": timezone.now(),
    }


def _term_set(entry: SearchEntry | dict[str, Any] | None) -> set[str]:
    if entry is None:
        return set()
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    return set(f"{get('terms_title')} {get('terms_tags')} {get('terms_body')}".split())


def _adjust_df(added: Iterable[str], removed: Iterable[str]) -> None:
    added, removed = sorted(set(added)), sorted(set(removed))
    if added:
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=t[:100], df=0) for t in added], ignore_conflicts=True
        )
        SearchTerm.objects.filter(term__in=added).update(df=F("df") + 1)
    if removed:
        SearchTerm.objects.filter(term__in=removed, df__gt=0).update(df=F("df") - 1)


def index_object(source: Source, obj: Any, *, created: bool = False) -> SearchEntry | None:
    """Bring the index entry of `obj` up to date (or remove it when it must not be found).
    Part of the caller's transaction (no savepoint of its own: if indexing fails, the write
    fails with it). `created`: the object is new, so it has no entry yet (one query less)."""
    with transaction.atomic(savepoint=False):
        return _index_object(source, obj, created=created)


def _index_object(source: Source, obj: Any, *, created: bool) -> SearchEntry | None:
    doc = source.document(obj)
    if doc is None:
        if not created:
            unindex(source.kind, obj.pk)
        return None
    values = _entry_values(source.kind, obj.pk, doc)
    existing = (
        None
        if created
        else SearchEntry.objects.select_for_update()
        .filter(kind=source.kind, object_id=obj.pk)
        .first()
    )
    if existing is None:
        entry = SearchEntry.objects.create(**values)
        old_terms: set[str] = set()
    else:
        old_terms = _term_set(existing)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
        entry = existing
    if source.kind in KNOWLEDGE_KINDS:
        new_terms = _term_set(values)
        _adjust_df(new_terms - old_terms, old_terms - new_terms)
        _bump("knowledge_version")
        if semantic.enabled():  # embed it in the background once committed
            transaction.on_commit(lambda: semantic.schedule(entry.pk))
    return entry


def scope_key_replace(*, kind: str, object_ids: Sequence[int], old: str, new: str) -> int:
    """Replace one scope key of these entries: a bulk change that the model signals do not
    see (a deleted team's tickets lose their team). The number of entries changed."""
    from django.db.models import Value
    from django.db.models.functions import Concat, Replace, Trim

    spaced = Concat(Value(" "), "scope_keys", Value(" "))
    changed = 0
    for start in range(0, len(object_ids), 2000):
        changed += SearchEntry.objects.filter(
            kind=kind, object_id__in=object_ids[start : start + 2000]
        ).update(scope_keys=Trim(Replace(spaced, Value(f" {old} "), Value(f" {new} "))))
    return changed


@transaction.atomic
def unindex(kind: str, object_id: int) -> None:
    entry = SearchEntry.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
    if entry is None:
        return
    if kind in KNOWLEDGE_KINDS:
        _adjust_df((), _term_set(entry))
        _bump("knowledge_version")
    entry.delete()


def reindex(sources: Sequence[Source], *, batch_size: int = 2000) -> dict[str, int]:
    """Rebuild the entries of these kinds from their objects (and the term statistics)."""
    counts: dict[str, int] = {}
    for source in sources:
        with transaction.atomic():
            SearchEntry.objects.filter(kind=source.kind).delete()
            batch: list[SearchEntry] = []
            n = 0
            for obj in source.objects().iterator(chunk_size=batch_size):
                doc = source.document(obj)
                if doc is None:
                    continue
                batch.append(SearchEntry(**_entry_values(source.kind, obj.pk, doc)))
                n += 1
                if len(batch) >= batch_size:
                    SearchEntry.objects.bulk_create(batch)
                    batch = []
            SearchEntry.objects.bulk_create(batch)
            counts[source.kind] = n
    if any(s.kind in KNOWLEDGE_KINDS for s in sources):
        rebuild_term_statistics()
        if semantic.enabled():  # the vectors went with the entries: embed them again
            transaction.on_commit(semantic.schedule_missing)
    return counts


@transaction.atomic
def rebuild_term_statistics() -> int:
    df: Counter[str] = Counter()
    rows = SearchEntry.objects.filter(kind__in=KNOWLEDGE_KINDS).values_list(
        "terms_title", "terms_tags", "terms_body"
    )
    for title, tags, body in rows.iterator(chunk_size=2000):
        df.update(set(f"{title} {tags} {body}".split()))
    SearchTerm.objects.all().delete()
    SearchTerm.objects.bulk_create(
        [SearchTerm(term=t[:100], df=n) for t, n in df.items()], batch_size=2000
    )
    _bump("knowledge_version")
    return len(df)


def synonyms_changed() -> None:
    _bump("synonyms_version")


def synonym_group_save(*, phrases: str, group: SynonymGroup | None = None) -> SynonymGroup:
    """Add or change one line of the dictionary ("a | b" or the one-way "a | b => c")."""
    group = group or SynonymGroup()
    group.phrases = phrases.strip()[:500]
    group.save()  # the post_save signal moves the synonyms version
    return group


def zero_result_record(query: str) -> None:
    """Count a search that found nothing, by its normalised text: the all-time row (the
    desk's "searches without results" page) and the day's row (the reports' periods)."""
    normalized = " ".join(analysis.tokens(query))[:200]
    if not normalized:
        return
    now = timezone.now()
    counter_add(
        ZeroResultQuery,
        key={"normalized": normalized},
        field="count",
        also={"last_seen": now, "example": query[:200]},
    )
    gap_id = ZeroResultQuery.objects.filter(normalized=normalized).values_list("pk", flat=True)
    counter_add(
        DailySearchMiss,
        key={"query_id": gap_id.get(), "day": timezone.localdate(now)},
        field="count",
    )


class AnswerUnavailable(Exception):
    """The answer named by a deflection does not exist or the user may not find it."""


def deflection_record(
    *, user: Any, query: str, kind: str, object_id: int
) -> tuple[Deflection, SearchEntry]:
    """ "This solved my problem": only for an answer the user may find (else
    AnswerUnavailable); returns the deflection and the answer's index entry (its URL)."""
    from relais.search.selectors import visible_hit

    hit = visible_hit(user, kind, object_id)
    if hit is None:
        raise AnswerUnavailable
    deflection = Deflection.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        query=query[:200],
        kind=kind,
        object_id=object_id,
    )
    return deflection, hit
