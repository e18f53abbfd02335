"""Import of a knowledge corpus (JSON Lines, the format of docs/search-evaluation.md): articles
and community questions with their accepted answer, through the normal services."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from relais.accounts.models import User


class CorpusError(ValueError):
    """A line of the corpus file cannot be imported."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number}: not valid JSON ({exc.msg}).") from exc
            if not isinstance(record, dict):
                raise CorpusError(f"{path}:{number}: each line must be a JSON object.")
            record["_line"] = number
            yield record


def _require(record: dict[str, Any], *names: str) -> None:
    for name in names:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"line {record['_line']}: “{name}” is missing or empty.")


def import_corpus(records: Iterable[dict[str, Any]], *, actor: User) -> ImportReport:
    """Create or update (by id) every article and question; all or nothing."""
    from relais.community import services as community
    from relais.community.models import Question
    from relais.kb import services as kb
    from relais.kb.models import Article, ArticleState

    report = ImportReport()
    with transaction.atomic():
        for record in records:
            _require(record, "id", "kind", "title", "body")
            tags = record.get("tags") or []
            if not isinstance(tags, list):
                raise CorpusError(f"line {record['_line']}: “tags” must be a list.")
            external_id = record["id"]
            if record["kind"] == "article":
                draft = kb.ArticleDraft(title=record["title"], body=record["body"], tags=tags)
                article = Article.objects.filter(external_id=external_id).first()
                if article is None:
                    kb.article_create(
                        draft=draft,
                        actor=actor,
                        state=ArticleState.PUBLISHED,
                        external_id=external_id,
                    )
                    report.created += 1
                else:
                    kb.article_update(
                        article=article, draft=draft, actor=actor, expected_version=article.version
                    )
                    report.updated += 1
            elif record["kind"] == "question":
                _require(record, "answer")
                Question.objects.filter(external_id=external_id).delete()
                question = community.question_ask(
                    author=actor,
                    title=record["title"],
                    body=record["body"],
                    tags=tags,
                    external_id=external_id,
                )
                answer = community.answer_post(
                    question=question, author=actor, body=record["answer"]
                )
                community.answer_accept(answer=answer, actor=actor)
                report.created += 1
            else:
                raise CorpusError(
                    f"line {record['_line']}: unknown kind “{record['kind']}” "
                    "(article or question)."
                )
    return report
