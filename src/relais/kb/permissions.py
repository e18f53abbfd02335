"""Who may read and write knowledge-base articles.

- Everyone signed in reads published articles meant for everyone, and says whether they were
  useful.
- The service desk (agents, supervisors, administrators) also reads articles meant for the desk
  and every draft, in-review or archived article; agents write articles, send them to review
  and turn a resolved ticket into a draft.
- Supervisors and administrators publish and archive.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from relais.core.permissions import Policy, is_active_user
from relais.kb.models import Article, ArticleState, Audience
from relais.tickets.permissions import is_desk, sees_everything

READ_ACTIONS = frozenset({"view", "feedback"})
DESK_ACTIONS = frozenset({"edit", "history", "submit", "unpublish"})
EDITOR_ACTIONS = frozenset({"publish", "archive"})


class ArticlePolicy(Policy[Article]):
    model = Article

    def audiences(self, user: Any) -> tuple[str, ...]:
        if is_desk(user):
            return (Audience.EVERYONE, Audience.AGENTS)
        return (Audience.EVERYONE,) if is_active_user(user) else ()

    def scope(self, user: Any, action: str = "view") -> QuerySet[Article]:
        qs = Article.objects.all()
        if not is_active_user(user):
            return qs.none()
        if is_desk(user):
            if action in READ_ACTIONS or action in DESK_ACTIONS:
                return qs
            return qs if sees_everything(user) else qs.none()
        if action in READ_ACTIONS:
            return qs.filter(Q(state=ArticleState.PUBLISHED, audience=Audience.EVERYONE))
        return qs.none()

    def can(self, user: Any, action: str, obj: Article | None = None) -> bool:
        if not is_active_user(user):
            return False
        if action == "create":
            return is_desk(user)
        if obj is None:
            return False
        if is_desk(user):
            if action in READ_ACTIONS or action in DESK_ACTIONS:
                return True
            return action in EDITOR_ACTIONS and sees_everything(user)
        return (
            action in READ_ACTIONS
            and obj.state == ArticleState.PUBLISHED
            and obj.audience == Audience.EVERYONE
        )

    def get_for(self, user: Any, pk: object, action: str) -> Article:
        """The article `user` wants to `action`: 404 when they cannot even see it (as if it
        did not exist), 403 when they see it but may not do this to it."""
        article = self.get_or_404(user, pk)
        if not self.can(user, action, article):
            raise PermissionDenied
        return article

    def may_move(self, user: Any, article: Article, state: str) -> bool:
        """Whether `user` may move `article` to `state` (publishing and archiving are the
        editors' call; going back to draft or to review is the desk's)."""
        if state in (ArticleState.PUBLISHED, ArticleState.ARCHIVED):
            return self.can(user, "publish", article)
        return self.can(user, "edit", article)


article_policy = ArticlePolicy()
