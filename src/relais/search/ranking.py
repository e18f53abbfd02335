"""Ranking of candidate documents for an analysed query (pure Python, no Django).

BM25F over the analysed fields title, tags and body: each field's term frequency is
length-normalised and weighted, then saturated once per term. Each query concept counts
once, through its best alternative, so synonyms never add up. On top of it: phrase
alternatives need their words side by side for full credit, and documents covering more
of the query's concepts are preferred.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from relais.search.analysis import Query, QueryTerm

__all__ = ["FIELDS", "CorpusStats", "Document", "Params", "rank", "score"]

FIELDS = ("title", "tags", "body")


@dataclass(frozen=True)
class Document:
    """A candidate document: its analysed fields (index terms in order) and its kind."""

    key: object
    fields: Mapping[str, Sequence[str]]
    kind: str = "article"

    @cached_property
    def counts(self) -> dict[str, dict[str, int]]:
        """Term frequencies per field, computed once (a cached document is scored often)."""
        out: dict[str, dict[str, int]] = {}
        for name in FIELDS:
            seq = self.fields.get(name)
            if seq:
                counted: dict[str, int] = {}
                for term in seq:
                    counted[term] = counted.get(term, 0) + 1
                out[name] = counted
        return out


@dataclass(frozen=True)
class CorpusStats:
    """Statistics of the whole index: size, mean field lengths, document frequencies."""

    n_docs: int
    avg_length: Mapping[str, float]
    df: Callable[[str], int]


@dataclass(frozen=True)
class Params:
    """Tuning knobs of the ranking function (defaults tuned on the dev evaluation set)."""

    k1: float = 1.4
    weights: Mapping[str, float] = field(
        default_factory=lambda: {"title": 3.0, "tags": 2.0, "body": 1.0}
    )
    b: Mapping[str, float] = field(
        default_factory=lambda: {"title": 0.4, "tags": 0.3, "body": 0.75}
    )
    # Credit of a phrase alternative whose words are all present but not side by side.
    scattered_phrase: float = 0.5
    # Credit of a phrase alternative of which only some words are present (per word found):
    # a query that is one long phrase still finds the documents that hold part of it.
    partial_phrase: float = 0.3
    # Final score = BM25F sum x coverage ** coverage_power (share of concept weight found).
    coverage_power: float = 0.75
    # Multiplier by document kind (community questions, tickets).
    kind_boost: Mapping[str, float] = field(default_factory=lambda: {"question": 0.9})
    # Second pass over the first ranking ("related documents"). Its best document keeps
    # the first `rerank_keep` positions; every other candidate gains up to
    # `tag_weight` x the best first score for the tags it shares with the best `tag_docs`
    # documents (idf-weighted share of their tag terms): prerequisites, sub-cases and
    # neighbouring procedures of the answer carry the same tags.
    rerank_keep: int = 1
    tag_weight: float = 0.7
    tag_docs: int = 1
    # Pseudo-relevance feedback (RM3-like, off when `feedback_docs` is 0): the best
    # `feedback_docs` documents lend their `feedback_terms` most characteristic terms
    # (tf x idf, fields weighted by `feedback_fields`; not in the query; in 2 documents
    # or more and in at most `feedback_max_df` of the corpus); a candidate then gains up
    # to `feedback_weight` x the best first score, in proportion to the saturated,
    # term-weighted BM25F of those terms. Measured on the dev set: no robust gain once
    # the tag bonus is on, so it stays off.
    feedback_docs: int = 0
    feedback_terms: int = 10
    feedback_weight: float = 0.2
    feedback_max_df: float = 0.2
    feedback_fields: Mapping[str, float] = field(
        default_factory=lambda: {"title": 3.0, "tags": 2.0, "body": 1.0}
    )
    # Topical tail (recall of the first page, off when `tail_anchors` is 0): a document at
    # positions `tail_from`..`tail_end` that shares no tag term with the best `tail_anchors`
    # documents gives its place to the next best candidate (down to position `tail_depth`)
    # that shares at least `tail_min_shared` tag terms with them: the neighbouring sub-cases
    # of the answer's topic (another symptom, a prerequisite) rather than an off-topic
    # document that happens to hold a query word. Positions before `tail_from` never move.
    tail_anchors: int = 3
    tail_from: int = 6
    tail_end: int = 10
    tail_min_shared: int = 2
    tail_depth: int = 50


DEFAULT_PARAMS = Params()


class _Scorer:
    """Per-query state shared by every candidate: idf cache, query terms, parameters."""

    def __init__(self, query: Query, stats: CorpusStats, params: Params) -> None:
        self.query = query
        self.stats = stats
        self.params = params
        self.terms = frozenset(query.terms())
        self._idf: dict[str, float] = {}
        self.concepts = [[(qt.weight, qt.parts) for qt in concept] for concept in query.concepts]
        # A concept weighs its best alternative's idf: coverage then favours documents that
        # hold the rare, meaningful words of the query.
        self.concept_weights = [
            max((self._alternative_idf(qt) * qt.weight for qt in concept), default=0.0)
            for concept in query.concepts
        ]
        self.total_weight = sum(self.concept_weights)

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            n = max(self.stats.n_docs, 1)
            df = min(self.stats.df(term), n)
            value = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            self._idf[term] = value
        return value

    def _alternative_idf(self, qt: QueryTerm) -> float:
        return max(self.idf(part) for part in qt.parts)

    def score(self, doc: Document) -> float:
        params = self.params
        frequencies: dict[str, dict[str, int]] = {}
        norms: dict[str, float] = {}
        matched: set[str] = set()
        for name, counted in doc.counts.items():
            found = {t: counted[t] for t in self.terms if t in counted}
            if not found:
                continue
            frequencies[name] = found
            matched.update(found)
            avg = self.stats.avg_length.get(name) or 1.0
            b = params.b.get(name, 0.75)
            length = len(doc.fields[name])
            norms[name] = params.weights.get(name, 1.0) / (1.0 - b + b * length / avg)
        if not frequencies:
            return 0.0

        term_scores: dict[str, float] = {}
        k1 = params.k1
        for term in matched:
            tf = 0.0
            for name, counts in frequencies.items():
                n = counts.get(term)
                if n:
                    tf += n * norms[name]
            term_scores[term] = self.idf(term) * tf * (k1 + 1.0) / (tf + k1)

        total = 0.0
        covered = 0.0
        for concept, concept_weight in zip(self.concepts, self.concept_weights, strict=True):
            best = 0.0
            for weight, parts in concept:
                if len(parts) == 1:
                    value = term_scores.get(parts[0], 0.0)
                elif matched.isdisjoint(parts):
                    continue
                else:
                    value = self._phrase(parts, doc, frequencies, term_scores)
                if value * weight > best:
                    best = value * weight
            if best > 0.0:
                total += best
                covered += concept_weight
        if total == 0.0:
            return 0.0
        if self.total_weight > 0.0 and params.coverage_power:
            total *= (covered / self.total_weight) ** params.coverage_power
        return total * params.kind_boost.get(doc.kind, 1.0)

    def _phrase(
        self,
        parts: tuple[str, ...],
        doc: Document,
        frequencies: Mapping[str, Mapping[str, int]],
        term_scores: Mapping[str, float],
    ) -> float:
        """Score of a phrase alternative: full when its words are side by side somewhere."""
        if not all(p in term_scores for p in parts):
            found = [term_scores[p] for p in parts if p in term_scores]
            return self.params.partial_phrase * sum(found) * len(found) / len(parts)
        value = sum(term_scores[p] for p in parts)
        if any(_has_phrase(doc.fields.get(name, ()), parts) for name in frequencies):
            return value
        return value * self.params.scattered_phrase


def _has_phrase(seq: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether `parts` occur side by side, in order, in `seq`."""
    first, size = parts[0], len(parts)
    seq = seq if isinstance(seq, list) else list(seq)
    start = 0
    while True:
        try:
            i = seq.index(first, start)
        except ValueError:
            return False
        if list(seq[i : i + size]) == list(parts):
            return True
        start = i + 1


def score(
    query: Query, doc: Document, stats: CorpusStats, *, params: Params = DEFAULT_PARAMS
) -> float:
    """Relevance of one document to the query (0 when nothing matches)."""
    return _Scorer(query, stats, params).score(doc)


def rank(
    query: Query,
    docs: Iterable[Document],
    stats: CorpusStats,
    limit: int = 10,
    *,
    params: Params = DEFAULT_PARAMS,
) -> list[tuple[Document, float]]:
    """The `limit` best documents with their scores, best first.

    Deterministic: equal scores are ordered by `str(key)`; documents scoring 0 are dropped.
    """
    scorer = _Scorer(query, stats, params)
    scored = [(doc, scorer.score(doc)) for doc in docs]
    kept = [(doc, value) for doc, value in scored if value > 0.0]
    kept.sort(key=lambda item: (-item[1], str(item[0].key)))
    if len(kept) > 1 and (params.tag_weight > 0.0 or _feedback_on(params)):
        kept = _rerank(kept, scorer)
    if params.tail_anchors > 0:
        kept = _topical_tail(kept, params)
    return kept[:limit]


def _feedback_on(params: Params) -> bool:
    return params.feedback_docs > 0 and params.feedback_terms > 0 and params.feedback_weight > 0


def _rerank(ranked: list[tuple[Document, float]], scorer: _Scorer) -> list[tuple[Document, float]]:
    """Second pass: related-document bonuses relative to the best documents of `ranked`.

    `ranked` holds every candidate with a positive score, best first; the result does not
    depend on how many of them the caller keeps.
    """
    params = scorer.params
    gains = [0.0] * len(ranked)
    if params.tag_weight > 0.0 and params.tag_docs > 0:
        shares = _tag_shares(ranked, scorer)
        gains = [g + params.tag_weight * share for g, share in zip(gains, shares, strict=True)]
    if _feedback_on(params):
        expansion = _expansion_terms(ranked[: params.feedback_docs], scorer)
        if expansion:
            raw = [_expansion_score(doc, expansion, scorer) for doc, _ in ranked]
            top = max(raw)
            if top > 0.0:
                gains = [
                    g + params.feedback_weight * r / top for g, r in zip(gains, raw, strict=True)
                ]
    scale = ranked[0][1]
    keep = max(params.rerank_keep, 0)
    tail = [
        (doc, value + scale * gain)
        for (doc, value), gain in zip(ranked[keep:], gains[keep:], strict=True)
    ]
    tail.sort(key=lambda item: (-item[1], str(item[0].key)))
    return ranked[:keep] + tail


def _topical_tail(
    ranked: list[tuple[Document, float]], params: Params
) -> list[tuple[Document, float]]:
    """Off-topic documents of the first page's tail replaced by on-topic ones (see Params).

    The promoted documents take the weak places in order (the best of them the highest
    place); the documents they displace follow the first page, in their order.
    """
    start, end = max(params.tail_from - 1, params.tail_anchors), params.tail_end
    if len(ranked) <= end or start >= end:
        return ranked
    anchors: set[str] = set()
    for doc, _ in ranked[: params.tail_anchors]:
        anchors.update(doc.fields.get("tags", ()))
    if not anchors:
        return ranked

    def shared(doc: Document) -> int:
        return len(anchors.intersection(doc.fields.get("tags", ())))

    weak = [i for i in range(start, end) if shared(ranked[i][0]) == 0]
    if not weak:
        return ranked
    pool = [
        i
        for i in range(end, min(params.tail_depth, len(ranked)))
        if shared(ranked[i][0]) >= params.tail_min_shared
    ][: len(weak)]
    if not pool:
        return ranked
    moves = dict(zip(weak[: len(pool)], pool, strict=True))
    first_page = [ranked[moves.get(i, i)] for i in range(end)]
    displaced = [ranked[i] for i in weak[: len(pool)]]
    promoted = set(pool)
    rest = [item for i, item in enumerate(ranked[end:], start=end) if i not in promoted]
    return first_page + displaced + rest


def _tag_shares(ranked: Sequence[tuple[Document, float]], scorer: _Scorer) -> list[float]:
    """Per candidate, the idf-weighted share of the best documents' tag terms it holds."""
    best = ranked[0][1]
    reference: dict[str, float] = {}
    for doc, value in ranked[: scorer.params.tag_docs]:
        for term in set(doc.fields.get("tags", ())):
            reference[term] = reference.get(term, 0.0) + scorer.idf(term) * value / best
    total = sum(reference.values())
    if total <= 0.0:
        return [0.0] * len(ranked)
    return [
        sum(reference.get(t, 0.0) for t in set(doc.fields.get("tags", ()))) / total
        for doc, _ in ranked
    ]


def _expansion_terms(
    feedback: Sequence[tuple[Document, float]], scorer: _Scorer
) -> dict[str, float]:
    """The best expansion terms of the feedback documents, with their weights."""
    params, stats = scorer.params, scorer.stats
    best = feedback[0][1]
    weights: dict[str, float] = {}
    for doc, value in feedback:
        counts: dict[str, float] = {}
        length = 0.0
        for name in FIELDS:
            seq = doc.fields.get(name)
            w = params.feedback_fields.get(name, 0.0)
            if not seq or not w:
                continue
            length += w * len(seq)
            for term in seq:
                counts[term] = counts.get(term, 0.0) + w
        if not length:
            continue
        share = value / best
        for term, n in counts.items():
            weights[term] = weights.get(term, 0.0) + share * n / length
    max_df = params.feedback_max_df * max(stats.n_docs, 1)
    candidates: list[tuple[float, str]] = []
    for term, w in weights.items():
        if term in scorer.terms or len(term) < 3 or term.isdigit():
            continue
        if not 2 <= stats.df(term) <= max_df:
            continue
        candidates.append((-w * scorer.idf(term), term))
    candidates.sort()
    return {term: -w for w, term in candidates[: params.feedback_terms]}


def _expansion_score(doc: Document, expansion: Mapping[str, float], scorer: _Scorer) -> float:
    """Saturated, length-normalised BM25F weight of the expansion terms in `doc`."""
    params = scorer.params
    tf: dict[str, float] = {}
    for name in FIELDS:
        seq = doc.fields.get(name)
        if not seq:
            continue
        present = expansion.keys() & set(seq)
        if not present:
            continue
        avg = scorer.stats.avg_length.get(name) or 1.0
        b = params.b.get(name, 0.75)
        norm = params.weights.get(name, 1.0) / (1.0 - b + b * len(seq) / avg)
        seq_list = seq if isinstance(seq, list) else list(seq)
        for term in present:
            tf[term] = tf.get(term, 0.0) + seq_list.count(term) * norm
    k1 = params.k1
    return sum(expansion[t] * v * (k1 + 1.0) / (v + k1) for t, v in tf.items())
