"""Search-relevance harness: rank evaluation queries with relais.search and score them.

Mirrors the product: every document is analysed into the fields of `ranking.FIELDS`,
the vocabulary and corpus statistics come from the whole corpus, candidates are the
documents holding any query term (at most 200), and `ranking.rank` orders them.

    .venv/bin/python bench/search_relevance.py CORPUS.jsonl QUERIES.jsonl
        [--per-query] [--run OUT.jsonl] [--set k1=1.4 --set weights.title=4 ...]

Metrics follow /work/shared/eval/score.py: nDCG@5 (gain 2^grade - 1), MRR@10 on the
first grade-2 document, Recall@10 over every judged document. Not imported by the app.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from relais.search import analysis, ranking
from relais.search.analysis import MemoryVocabulary, Synonyms, analyse, analyse_query
from relais.search.ranking import CorpusStats, Document, Params, rank

MAX_CANDIDATES = 200
K_NDCG, K_CUT = 5, 10


# --- metrics (same definitions as the reference score.py) ------------------------------


def _gain(grade: int) -> float:
    return float(2**grade - 1)


def _dedup(ranking_ids: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for d in ranking_ids:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def score_query(ranking_ids: Sequence[str], rel: Mapping[str, int]) -> dict[str, float]:
    """nDCG@5, MRR@10 (grade 2) and Recall@10 (grade >= 1) of one ranking."""
    ids = _dedup(ranking_ids)
    dcg = sum(_gain(rel.get(d, 0)) / math.log2(i + 2) for i, d in enumerate(ids[:K_NDCG]))
    ideal = sorted((_gain(g) for g in rel.values()), reverse=True)[:K_NDCG]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    rr = next((1.0 / (i + 1) for i, d in enumerate(ids[:K_CUT]) if rel.get(d, 0) >= 2), 0.0)
    wanted = {d for d, g in rel.items() if g >= 1}
    recall = len(wanted & set(ids[:K_CUT])) / len(wanted) if wanted else 0.0
    return {"nDCG@5": dcg / idcg if idcg else 0.0, "MRR@10": rr, "Recall@10": recall}


# --- corpus ----------------------------------------------------------------------------


def load_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def to_document(row: Mapping[str, Any], fields: Sequence[str]) -> Document:
    """Analyse one corpus row the way the product indexes it."""
    body = row.get("body", "")
    answer = row.get("answer") or ""
    texts = {
        "title": row.get("title", ""),
        "tags": "\n".join(row.get("tags", [])),
        "body": body if "answer" in fields else f"{body}\n{answer}",
        "answer": answer,
    }
    return Document(
        key=row["id"],
        fields={name: analyse(texts[name]) for name in fields},
        kind=row.get("kind", "article"),
    )


class Index:
    """In-memory index: documents, postings, vocabulary and statistics."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = list(docs)
        df: Counter[str] = Counter()
        self.postings: dict[str, list[int]] = {}
        for i, doc in enumerate(self.docs):
            terms = {t for seq in doc.fields.values() for t in seq}
            df.update(terms)
            for t in terms:
                self.postings.setdefault(t, []).append(i)
        self.vocabulary = MemoryVocabulary(df)
        avg = {
            name: statistics.fmean(len(d.fields.get(name, ())) for d in self.docs)
            for name in ranking.FIELDS
        }
        self.stats = CorpusStats(n_docs=len(self.docs), avg_length=avg, df=self.vocabulary.df)

    def candidates(self, terms: set[str]) -> list[Document]:
        """Documents holding any term; the most matching first, at most MAX_CANDIDATES."""
        hits: Counter[int] = Counter()
        for t in terms:
            hits.update(self.postings.get(t, ()))
        best = sorted(hits, key=lambda i: (-hits[i], i))[:MAX_CANDIDATES]
        return [self.docs[i] for i in best]


# --- tuning knobs ----------------------------------------------------------------------


def apply_settings(settings: Sequence[str]) -> Params:
    """Params (and analysis constants) overridden by NAME=VALUE strings."""
    params = Params()
    for item in settings:
        name, _, raw = item.partition("=")
        value: float = float(raw)
        if name.startswith("analysis."):
            setattr(analysis, name.split(".", 1)[1], value)
        elif "." in name:
            group, key = name.split(".", 1)
            mapping = dict(getattr(params, group))
            mapping[key] = value
            params = dataclasses.replace(params, **{group: mapping})
        else:
            if isinstance(getattr(params, name), int):
                value = int(value)
            params = dataclasses.replace(params, **{name: value})
    return params


def time_rank(index: Index, synonyms: Synonyms, params: Params) -> float:
    """Mean milliseconds of rank() over 200 documents of ~250 terms."""
    pool = [d for d in index.docs if len(d.fields.get("body", ())) >= 100]
    docs = [pool[i % len(pool)] for i in range(MAX_CANDIDATES)]
    query = analyse_query("outlook plante au démarrage mot de passe vpn", synonyms)
    rank(query, docs, index.stats, params=params)  # warm-up
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        rank(query, docs, index.stats, params=params)
    return (time.perf_counter() - start) / runs * 1000


def explain(
    q: Mapping[str, Any], query: analysis.Query, results: Sequence[Any], index: Index
) -> None:
    """Print the concepts of a query and the best alternative per concept of each result."""
    print(f"== {q['qid']} {q['query']!r} want {q['relevant']}")
    for concept in query.concepts:
        print("   concept:", ", ".join(f"{t.term}/{t.weight:.2f}/{t.source}" for t in concept))
    wanted = [d for d in index.docs if d.key in q["relevant"]]
    shown = list(results[:5]) + [(d, None) for d in wanted if d not in [r[0] for r in results[:5]]]
    for doc, value in shown:
        found = []
        for concept in query.concepts:
            hits = [
                t.term
                for t in concept
                if all(any(p in seq for seq in doc.fields.values()) for p in t.parts)
            ]
            found.append(hits[0] if hits else "-")
        val = f"{value:.2f}" if value is not None else "  -  "
        title = " ".join(doc.fields["title"])
        print(f"   {doc.key} {val} rel={q['relevant'].get(doc.key, 0)} {found} | {title}")


def compare(
    earlier: Sequence[Mapping[str, Any]],
    per_query: Mapping[str, Mapping[str, float]],
    queries: Sequence[Mapping[str, Any]],
) -> None:
    """Print, per metric, how many queries this run wins and loses against `earlier`."""
    before = {row["qid"]: row["ranking"] for row in earlier}
    changed: dict[str, list[str]] = {"win": [], "loss": []}
    counts = []
    for metric in ("nDCG@5", "MRR@10", "Recall@10"):
        wins = losses = 0
        for q in queries:
            old = score_query(before.get(q["qid"], []), q["relevant"])[metric]
            new = per_query[q["qid"]][metric]
            if new > old + 1e-9:
                wins += 1
                changed["win"].append(q["qid"])
            elif new < old - 1e-9:
                losses += 1
                changed["loss"].append(q["qid"])
        counts.append(f"{metric} +{wins}/-{losses}")
    print("vs earlier run: " + ", ".join(counts))
    for kind, qids in changed.items():
        print(f"  {kind}: {' '.join(sorted(set(qids)))}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("queries")
    parser.add_argument("--per-query", action="store_true", help="one line per query")
    parser.add_argument("--run", help="write the run (qid, ranking) as JSONL")
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE knob")
    parser.add_argument("--answer-field", action="store_true", help="answer as a 4th field")
    parser.add_argument("--no-vocabulary", action="store_true", help="no typo repair")
    parser.add_argument("--explain", action="append", default=[], help="qid to explain")
    parser.add_argument("--compare", help="earlier run (JSONL): per-query wins and losses")
    parser.add_argument("--no-timing", action="store_true", help="skip the rank() timing")
    args = parser.parse_args(argv)

    params = apply_settings(args.set)
    fields: tuple[str, ...] = ranking.FIELDS
    if args.answer_field and "answer" not in fields:
        fields = (*fields, "answer")
        ranking.FIELDS = fields  # type: ignore[misc]
    rows = load_jsonl(args.corpus)
    start = time.perf_counter()
    index = Index([to_document(row, fields) for row in rows])
    build_ms = (time.perf_counter() - start) * 1000
    synonyms = Synonyms.default()
    queries = load_jsonl(args.queries)

    per_query: dict[str, dict[str, float]] = {}
    run_rows: list[dict[str, Any]] = []
    query_ms: list[float] = []
    for q in queries:
        start = time.perf_counter()
        vocabulary = None if args.no_vocabulary else index.vocabulary
        query = analyse_query(q["query"], synonyms, vocabulary)
        results = rank(query, index.candidates(query.terms()), index.stats, params=params)
        query_ms.append((time.perf_counter() - start) * 1000)
        ids = [str(doc.key) for doc, _ in results]
        if q["qid"] in args.explain:
            explain(q, query, results, index)
        run_rows.append({"qid": q["qid"], "ranking": ids})
        per_query[q["qid"]] = score_query(ids, q["relevant"])
        if args.per_query:
            s = per_query[q["qid"]]
            rel = q["relevant"]
            marks = " ".join(f"{d}{'*' * rel.get(d, 0)}" for d in ids[:5])
            print(
                f"{q['qid']}\tnDCG@5={s['nDCG@5']:.3f}\tRR={s['MRR@10']:.3f}\t"
                f"R@10={s['Recall@10']:.3f}\t{q['query']}\t[{marks}] want {rel}"
                + (f"\t(did you mean: {query.suggestion})" if query.suggestion else "")
            )
    if args.run:
        with open(args.run, "w", encoding="utf-8") as f:
            for row in run_rows:
                f.write(json.dumps(row) + "\n")

    n = len(queries)
    means = {
        m: sum(s[m] for s in per_query.values()) / n for m in ("nDCG@5", "MRR@10", "Recall@10")
    }
    print(
        f"nDCG@5={means['nDCG@5']:.4f}  MRR@10={means['MRR@10']:.4f}  "
        f"Recall@10={means['Recall@10']:.4f}  (queries={n}, fields={','.join(fields)})"
    )
    if args.compare:
        compare(load_jsonl(args.compare), per_query, queries)
    if args.no_timing:
        return
    print(
        f"index {len(index.docs)} docs in {build_ms:.0f} ms; query mean "
        f"{statistics.fmean(query_ms):.2f} ms; rank() on {MAX_CANDIDATES} docs: "
        f"{time_rank(index, synonyms, params):.2f} ms"
    )


if __name__ == "__main__":
    main()
