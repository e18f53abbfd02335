"""`relais import-kb`, `relais search-eval` and `relais search-reindex`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from relais.accounts.choices import Role
from relais.community.models import Question
from relais.kb.models import Article, ArticleState
from relais.search.models import SearchEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RECORDS = [
    {
        "id": "kb-1",
        "kind": "article",
        "title": "Réinitialiser son mot de passe",
        "body": "Allez sur le portail et suivez les étapes.",
        "tags": ["mdp"],
    },
    {
        "id": "kb-2",
        "kind": "article",
        "title": "Imprimer avec son badge",
        "body": "Passez le badge sur le copieur.",
        "tags": [],
    },
    {
        "id": "qa-1",
        "kind": "question",
        "title": "Écran noir au réveil",
        "body": "Mon écran reste noir.",
        "answer": "Débranche et rebranche la station d'accueil.",
        "tags": ["écran"],
    },
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_import_kb_publishes_articles_and_answered_questions(tmp_path, capsys):
    UserFactory(role=Role.ADMIN)
    call_command("import-kb", str(write_jsonl(tmp_path / "kb.jsonl", RECORDS)))
    assert "3 created" in capsys.readouterr().out
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.PUBLISHED}
    question = Question.objects.get(external_id="qa-1")
    assert question.accepted_answer is not None
    assert SearchEntry.objects.count() == 3
    # Importing again updates (a new version), it does not duplicate.
    call_command("import-kb", str(tmp_path / "kb.jsonl"))
    assert Article.objects.count() == 2
    assert Article.objects.get(external_id="kb-1").version == 2


def test_import_kb_refuses_a_bad_file_and_imports_nothing(tmp_path):
    UserFactory(role=Role.ADMIN)
    path = write_jsonl(tmp_path / "kb.jsonl", RECORDS)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"id": "kb-9", "kind": "poster", "title": "x", "body": "y"}\n')
    with pytest.raises(CommandError, match="unknown kind"):
        call_command("import-kb", str(path))
    assert not Article.objects.exists()
    (tmp_path / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import-kb", str(tmp_path / "broken.jsonl"))


def test_import_kb_needs_a_publisher(tmp_path):
    with pytest.raises(CommandError, match="supervisor or administrator"):
        call_command("import-kb", str(write_jsonl(tmp_path / "kb.jsonl", RECORDS)))


def test_search_eval_scores_a_judged_query_set(tmp_path, capsys, settings, monkeypatch):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", RECORDS)
    queries = write_jsonl(
        tmp_path / "queries.jsonl",
        [
            {"qid": "t-1", "query": "mot de passe oublié", "relevant": {"kb-1": 2}},
            {"qid": "t-2", "query": "ecran noir", "relevant": {"qa-1": 2}},
        ],
    )
    backends = ["sqlite"]
    if connection.vendor == "postgresql":
        db = settings.DATABASES["default"]
        monkeypatch.setenv(
            "RELAIS_EVAL_POSTGRES_URL",
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres",
        )
        backends.append("postgres")
    for backend in backends:
        run = tmp_path / f"run-{backend}.jsonl"
        call_command(
            "search-eval", str(corpus), str(queries), "--run", str(run), "--backend", backend
        )
        out = capsys.readouterr().out
        assert f"backend={backend} queries=2 nDCG@5=1.000 MRR@10=1.000 Recall@10=1.000" in out
        rankings = [json.loads(line) for line in run.read_text().splitlines()]
        assert [r["qid"] for r in rankings] == ["t-1", "t-2"]
        assert rankings[0]["ranking"][0] == "kb-1"


def test_search_eval_reports_missing_files(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("search-eval", str(tmp_path / "none.jsonl"), str(tmp_path / "q.jsonl"))


def test_reindex_rebuilds_the_index(tmp_path):
    UserFactory(role=Role.ADMIN)
    call_command("import-kb", str(write_jsonl(tmp_path / "kb.jsonl", RECORDS)))
    SearchEntry.objects.all().delete()
    call_command("search-reindex", "article", "question")
    assert SearchEntry.objects.count() == 3
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("search-reindex", "poster")
