"""Relevance metrics of the search evaluation (definitions of docs/search-evaluation.md):
nDCG@5 with gain 2^grade − 1, MRR@10 of the first grade-2 document, Recall@10."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def _dedupe(ranking: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for doc in ranking:
        seen.setdefault(doc, None)
    return list(seen)


def ndcg_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 5) -> float:
    ranked = _dedupe(ranking)[:k]
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked))
    ideal = sorted(judged.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    for i, doc in enumerate(_dedupe(ranking)[:k]):
        if judged.get(doc, 0) >= 2:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    relevant = {d for d, g in judged.items() if g >= 1}
    if not relevant:
        return 0.0
    return len(relevant & set(_dedupe(ranking)[:k])) / len(relevant)


def summary(
    runs: Mapping[str, Sequence[str]], judgments: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Mean metrics over every judged query (a query missing from `runs` scores 0)."""
    n = len(judgments) or 1
    return {
        "ndcg@5": sum(ndcg_at(runs.get(q, []), j) for q, j in judgments.items()) / n,
        "mrr@10": sum(mrr_at(runs.get(q, []), j) for q, j in judgments.items()) / n,
        "recall@10": sum(recall_at(runs.get(q, []), j) for q, j in judgments.items()) / n,
    }
