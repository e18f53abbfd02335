"""What the knowledge base makes searchable: published articles, with their audience."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from relais.core.sanitize import markdown_to_text
from relais.kb.models import Article, ArticleState
from relais.kb.permissions import article_policy
from relais.search.registry import IndexDoc, Source


class ArticleSource(Source):
    kind = "article"
    label = _("Articles")
    model = Article
    indexed_fields = ("title", "body", "tags", "state", "audience", "category")

    def document(self, obj: Article) -> IndexDoc | None:
        if obj.state != ArticleState.PUBLISHED:
            return None
        return IndexDoc(
            title=obj.title,
            text=markdown_to_text(obj.body),
            url=obj.get_absolute_url(),
            tags=list(obj.tags or ()),
            audience=obj.audience,
            category_id=obj.category_id,
        )

    def objects(self) -> QuerySet[Article]:
        return Article.objects.filter(state=ArticleState.PUBLISHED)

    def audiences(self, user: Any) -> tuple[str, ...]:
        return article_policy.audiences(user)
