"""Knowledge base over the API: the same services and policy as the screens."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from relais.accounts.selectors import current_user
from relais.core.api import ApiError, ErrorOut, Page
from relais.kb import selectors, services
from relais.kb.models import Article, ArticleState, Audience
from relais.kb.permissions import article_policy
from relais.tickets.models import Category

router = Router(tags=["knowledge base"])


class ArticleSummaryOut(Schema):
    id: int
    title: str
    state: ArticleState
    audience: Audience
    category_id: int | None
    updated_at: datetime


class ArticleOut(ArticleSummaryOut):
    body: str
    tags: list[str]
    version: int
    review_by: date | None
    published_at: datetime | None
    useful_count: int
    not_useful_count: int


class ArticleIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1)
    category_id: int | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    audience: Audience = Audience.EVERYONE
    review_by: date | None = None


class ArticlePatch(ArticleIn):
    version: int = Field(..., description="The version you read; a stale one is 409.")
    summary: str = Field("", max_length=200)


class MoveIn(Schema):
    state: ArticleState


class FeedbackIn(Schema):
    useful: bool
    comment: str = Field("", max_length=2000)


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        raise ApiError(400, "Unknown category.", "invalid_category")
    return category


def _draft(payload: ArticleIn) -> services.ArticleDraft:
    return services.ArticleDraft(
        title=payload.title,
        body=payload.body,
        category=_category(payload.category_id),
        tags=payload.tags,
        audience=payload.audience,
        review_by=payload.review_by,
    )


@router.get("/articles", response=list[ArticleSummaryOut], summary="Articles the caller may read")
@paginate(Page)
def list_articles(request: HttpRequest, state: ArticleState | None = None) -> Any:
    return selectors.article_list(current_user(request), state=state)


@router.get("/articles/{article_id}", response={200: ArticleOut, 404: ErrorOut})
def get_article(request: HttpRequest, article_id: int) -> Article:
    return article_policy.get_or_404(current_user(request), article_id)


@router.post(
    "/articles", response={201: ArticleOut, 400: ErrorOut, 403: ErrorOut}, summary="Write a draft"
)
def create_article(request: HttpRequest, payload: ArticleIn) -> Status:
    user = current_user(request)
    if not article_policy.can(user, "create"):
        raise PermissionDenied
    return Status(201, services.article_create(draft=_draft(payload), actor=user))


@router.put(
    "/articles/{article_id}",
    response={200: ArticleOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Save a new version",
)
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Article:
    user = current_user(request)
    article = article_policy.get_for(user, article_id, "edit")
    try:
        return services.article_update(
            article=article,
            draft=_draft(payload),
            actor=user,
            expected_version=payload.version,
            summary=payload.summary,
        )
    except services.ArticleConflict as conflict:
        raise ApiError(
            409,
            f"The article is now at version {conflict.article.version}; read it again.",
            "conflict",
        ) from conflict


@router.post(
    "/articles/{article_id}/state",
    response={200: ArticleOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Move along the workflow (draft, review, published, archived)",
)
def move_article(request: HttpRequest, article_id: int, payload: MoveIn) -> Article:
    user = current_user(request)
    article = article_policy.get_for(user, article_id, "edit")
    return services.article_move(article=article, state=payload.state, actor=user)


@router.post(
    "/articles/{article_id}/feedback",
    response={201: dict[str, bool], 404: ErrorOut},
    summary="Was this useful?",
)
def article_feedback(request: HttpRequest, article_id: int, payload: FeedbackIn) -> Status:
    user = current_user(request)
    article = article_policy.get_for(user, article_id, "feedback")
    services.article_feedback(
        article=article, actor=user, useful=payload.useful, comment=payload.comment
    )
    return Status(201, {"useful": payload.useful})
