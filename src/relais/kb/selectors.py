"""Reads of the knowledge base."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from relais.core.diff import DiffLine, line_diff
from relais.kb.models import Article, ArticleState, ArticleVersion
from relais.kb.permissions import article_policy

LIST_FIELDS = ("id", "title", "state", "audience", "updated_at", "view_count", "category__name")


def article_list(
    viewer: Any, *, state: str | None = None, category_id: int | None = None
) -> QuerySet[Article]:
    qs = article_policy.scope(viewer, "view").select_related("category")
    # Published articles unless another state is asked for (the desk's drafts, reviews…).
    qs = qs.filter(state=state or ArticleState.PUBLISHED)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return qs.only(*LIST_FIELDS).order_by("-updated_at", "-pk")


def popular_articles(viewer: Any, limit: int = 8) -> list[Article]:
    qs = article_policy.scope(viewer, "view").filter(state=ArticleState.PUBLISHED)
    return list(qs.only("id", "title", "view_count").order_by("-view_count", "-pk")[:limit])


def related_articles(viewer: Any, article: Article) -> list[Article]:
    visible = article_policy.scope(viewer, "view").filter(state=ArticleState.PUBLISHED)
    return list(visible.filter(pk__in=article.related.values("pk")).only("id", "title")[:10])


def version_diff(old: ArticleVersion, new: ArticleVersion) -> list[DiffLine]:
    """Line-by-line differences of two versions (title first)."""
    return line_diff(
        [f"# {old.title}", *old.body.splitlines()], [f"# {new.title}", *new.body.splitlines()]
    )
