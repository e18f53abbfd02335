"""relais search-eval CORPUS QUERIES [--run RUN.jsonl] [--backend sqlite|postgres]

Loads CORPUS into a throwaway database through the normal import path, runs every query through
the search service the screens use, prints nDCG@5, MRR@10 and Recall@10, and writes one JSON
line per query {"qid", "ranking"} when --run is given.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def _queries(path: Path) -> list[dict[str, Any]]:
    from relais.search.corpus import CorpusError, read_jsonl

    try:
        rows = list(read_jsonl(path))
    except CorpusError as exc:
        raise CommandError(str(exc)) from exc
    for row in rows:
        if not isinstance(row.get("qid"), str) or not isinstance(row.get("query"), str):
            raise CommandError(f"{path}:{row['_line']}: each query needs “qid” and “query”.")
    return rows


@contextmanager
def _throwaway_database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'eval.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    base = os.environ.get("RELAIS_EVAL_POSTGRES_URL") or DEFAULT_POSTGRES
    name = f"relais_eval_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(base, autocommit=True)
    except psycopg.Error as exc:
        raise CommandError(f"Cannot reach PostgreSQL at {base}: {exc}") from exc
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield base.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Command(BaseCommand):
    help = "Measure search relevance on a judged query set, in a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("corpus", type=Path)
        parser.add_argument("queries", type=Path)
        parser.add_argument("--run", type=Path, help="write the rankings here (JSON Lines)")
        parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
        parser.add_argument("--per-query", action="store_true")
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["child"]:
            self._child(options["corpus"], options["queries"])
            return
        for name in ("corpus", "queries"):
            if not options[name].is_file():
                raise CommandError(f"No such file: {options[name]}")
        queries = _queries(options["queries"])
        with (
            tempfile.TemporaryDirectory(prefix="relais-eval-") as tmp,
            _throwaway_database(options["backend"], Path(tmp)) as url,
        ):
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "RELAIS_DATA_DIR": tmp,
                "RELAIS_PRODUCTION": "",
                "REDIS_URL": "",
            }
            proc = subprocess.run(  # noqa: S603 (our own interpreter and command)
                [
                    sys.executable,
                    "-m",
                    "relais",
                    "search-eval",
                    "--child",
                    str(options["corpus"].resolve()),
                    str(options["queries"].resolve()),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        if proc.returncode != 0:
            raise CommandError(
                "The evaluation failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
            )
        runs = {}
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                runs[row["qid"]] = row["ranking"]
        options["semantic"] = "on" if "semantic=on" in proc.stdout.splitlines() else "off"
        self._report(queries, runs, options)

    def _report(
        self, queries: list[dict[str, Any]], runs: dict[str, list[str]], options: Any
    ) -> None:
        from relais.search import evaluation

        judgments = {
            q["qid"]: {str(k): int(v) for k, v in (q.get("relevant") or {}).items()}
            for q in queries
        }
        if options["run"]:
            with options["run"].open("w", encoding="utf-8") as out:
                for q in queries:
                    out.write(json.dumps({"qid": q["qid"], "ranking": runs.get(q["qid"], [])}))
                    out.write("\n")
        judged = {q: j for q, j in judgments.items() if j}
        if options["per_query"]:
            for qid, judged_docs in judged.items():
                ranking = runs.get(qid, [])
                self.stdout.write(
                    f"{qid}\tndcg@5={evaluation.ndcg_at(ranking, judged_docs):.3f}"
                    f"\tmrr@10={evaluation.mrr_at(ranking, judged_docs):.3f}"
                    f"\trecall@10={evaluation.recall_at(ranking, judged_docs):.3f}"
                )
        if not judged:
            self.stdout.write(f"{len(runs)} queries ranked (no judgments to score).")
            return
        scores = evaluation.summary(runs, judged)
        self.stdout.write(
            f"backend={options['backend']} queries={len(judged)} "
            f"nDCG@5={scores['ndcg@5']:.3f} MRR@10={scores['mrr@10']:.3f} "
            f"Recall@10={scores['recall@10']:.3f} semantic={options.get('semantic', 'off')}"
        )

    def _child(self, corpus: Path, queries_path: Path) -> None:
        from django.core.management import call_command

        from relais.accounts.choices import Role
        from relais.accounts.services import user_create
        from relais.community.models import Question
        from relais.kb.models import Article
        from relais.search import semantic
        from relais.search.corpus import import_corpus, read_jsonl
        from relais.search.engine import search

        call_command("migrate", verbosity=0, interactive=False)
        admin = user_create(email="eval-admin@relais.invalid", role=Role.ADMIN)
        reader = user_create(email="eval-reader@relais.invalid", role=Role.COLLABORATOR)
        import_corpus(read_jsonl(corpus), actor=admin)
        if semantic.enabled():  # the queue does not run here: embed synchronously
            semantic.backfill()
        self.stdout.write(f"semantic={'on' if semantic.enabled() else 'off'}")
        ids = {("article", pk): ext for pk, ext in Article.objects.values_list("pk", "external_id")}
        ids |= {
            ("question", pk): ext for pk, ext in Question.objects.values_list("pk", "external_id")
        }
        for query in _queries(queries_path):
            results = search(
                query["query"],
                reader,
                kinds=["article", "question"],
                limit=10,
                snippets=False,
                log_empty=False,
            )
            ranking = [ids[(h.kind, h.object_id)] for h in results.hits]
            self.stdout.write(json.dumps({"qid": query["qid"], "ranking": ranking}))
