"""Per-day counters (core/counters.py) under concurrent requests: article views and searches
without results recorded by many threads at once, on a day whose row does not exist yet, are
all counted. Needs a database that several connections share: PostgreSQL, or SQLite in a file
(RELAIS_SQLITE_TEST_NAME); the in-memory SQLite test database cannot."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections

from relais.accounts.choices import Role
from relais.kb.models import Article, ArticleDailyViews, ArticleState
from relais.kb.services import article_viewed
from relais.search.models import DailySearchMiss, ZeroResultQuery
from relais.search.services import zero_result_record
from tests.factories import UserFactory

THREADS = 8
EACH = 10


def _run_threads(target: Any) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(EACH):
                target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_views_and_misses_are_all_counted() -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the in-memory SQLite test database is not shared between connections")
    article = Article.objects.create(
        title="VPN", body="…", owner=UserFactory(role=Role.AGENT), state=ArticleState.PUBLISHED
    )
    day = date(2026, 10, 5)

    # Given eight requests at once, each counting ten views on a day without a row yet
    assert _run_threads(lambda: article_viewed(article, day=day)) == []
    assert _run_threads(lambda: zero_result_record("imprimante 3D")) == []

    # Then every view and every search is counted, on one row per day
    assert list(ArticleDailyViews.objects.values_list("day", "views")) == [(day, THREADS * EACH)]
    assert Article.objects.get(pk=article.pk).view_count == THREADS * EACH
    gap = ZeroResultQuery.objects.get()
    assert gap.count == THREADS * EACH
    assert list(DailySearchMiss.objects.values_list("query_id", "count")) == [
        (gap.pk, THREADS * EACH)
    ]
