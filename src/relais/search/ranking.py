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

from relais.search.analysis import Query, QueryTerm

__all__ = ["FIELDS", "CorpusStats", "Document", "Params", "rank", "score"]

FIELDS = ("title", "tags", "body")


@dataclass(frozen=True)
class Document:
    """A candidate document: its analysed fields (index terms in order) and its kind."""

    key: object
    fields: Mapping[str, Sequence[str]]
    kind: str = "article"


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
        for name in FIELDS:
            seq = doc.fields.get(name)
            if not seq:
                continue
            present = self.terms.intersection(seq)
            if not present:
                continue
            count = seq.count if isinstance(seq, list) else list(seq).count
            frequencies[name] = {t: count(t) for t in present}
            matched |= present
            avg = self.stats.avg_length.get(name) or 1.0
            b = params.b.get(name, 0.75)
            norms[name] = params.weights.get(name, 1.0) / (1.0 - b + b * len(seq) / avg)
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
    return kept[:limit]
