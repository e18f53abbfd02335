"""Search over the API: the same service, the same permission filtering as the screens."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from relais.accounts.selectors import current_user
from relais.core.api import ApiError, ErrorOut
from relais.search import registry, services
from relais.search.engine import MAX_QUERY_LENGTH, search

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY_LENGTH, description="What to find")
    kind: list[str] = Field(
        default_factory=list, description="article, question, ticket (default: every kind)"
    )
    category: int | None = Field(None, description="Only in this category")
    limit: int = Field(10, ge=1, le=50)
    prefix: bool = Field(False, description="The last word may be incomplete (as you type)")


class HitOut(Schema):
    kind: str
    id: int
    title: str
    url: str
    snippet: str = Field(description="HTML: escaped text, matches in <mark>")
    score: float


class SearchOut(Schema):
    query: str
    suggestion: str | None = Field(description="“Did you mean”, when a word was repaired")
    results: list[HitOut]


class DeflectionIn(Schema):
    query: str = Field("", max_length=200)
    kind: str
    id: int


class DeflectionOut(Schema):
    kind: str
    id: int


@router.get("/search", response={200: SearchOut, 400: ErrorOut}, summary="Search")
def search_view(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    user = current_user(request)
    known = {s.kind for s in registry.sources()}
    unknown = sorted(set(params.kind) - known)
    if unknown:
        raise ApiError(400, f"Unknown kind: {', '.join(unknown)}.", "invalid_kind")
    found = search(
        params.q,
        user,
        kinds=params.kind or None,
        filters={"category": params.category},
        limit=params.limit,
        prefix=params.prefix,
    )
    return {
        "query": found.query,
        "suggestion": found.suggestion,
        "results": [
            {
                "kind": h.kind,
                "id": h.object_id,
                "title": h.title,
                "url": h.url,
                "snippet": str(h.snippet),
                "score": round(h.score, 4),
            }
            for h in found.hits
        ],
    }


@router.post(
    "/search/deflections",
    response={201: DeflectionOut, 404: ErrorOut},
    summary="Record that an answer solved the problem (no ticket opened)",
)
def deflection_create(request: HttpRequest, payload: DeflectionIn) -> Status:
    user = current_user(request)
    try:
        services.deflection_record(
            user=user, query=payload.query, kind=payload.kind, object_id=payload.id
        )
    except services.AnswerUnavailable as exc:
        raise ApiError(404, "No such answer.", "not_found") from exc
    return Status(201, {"kind": payload.kind, "id": payload.id})
