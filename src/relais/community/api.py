"""Peer help over the API: the same services, selectors and policy as the screens. A question
or an answer the caller may not see is a 404; one they see but may not act on is a 403."""

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from relais.accounts.selectors import current_user
from relais.community import selectors, services
from relais.community.choices import FlagReason, ModerationAction, QuestionStatus
from relais.community.models import (
    Answer,
    Comment,
    Flag,
    Member,
    ModerationLog,
    Question,
    Revision,
)
from relais.community.permissions import community_policy
from relais.core.api import ApiError, ErrorOut, Page
from relais.core.permissions import deny
from relais.tickets.models import Category

router = Router(tags=["peer help"])

Tab = Literal["newest", "unanswered", "top_week", "tag"]


class AuthorOut(Schema):
    id: int
    display_name: str


class QuestionSummaryOut(Schema):
    id: int
    title: str
    tags: list[str]
    status: QuestionStatus
    score: int
    answer_count: int
    has_accepted_answer: bool
    author: AuthorOut
    created_at: datetime
    last_activity_at: datetime

    @staticmethod
    def resolve_has_accepted_answer(obj: Question) -> bool:
        return obj.accepted_answer_id is not None


class CommentOut(Schema):
    id: int
    body: str
    author: AuthorOut
    created_at: datetime


class AnswerOut(Schema):
    id: int
    question_id: int
    body: str
    author: AuthorOut
    score: int
    as_it: bool
    is_accepted: bool
    version: int
    created_at: datetime
    updated_at: datetime
    comments: list[CommentOut]

    @staticmethod
    def resolve_is_accepted(obj: Answer) -> bool:
        return obj.question.accepted_answer_id == obj.pk

    @staticmethod
    def resolve_comments(obj: Answer) -> list[Comment]:
        return list(getattr(obj, "comment_list", []))


class QuestionOut(QuestionSummaryOut):
    body: str
    category_id: int | None
    version: int
    is_locked: bool
    duplicate_of_id: int | None
    accepted_answer_id: int | None
    answers: list[AnswerOut]
    comments: list[CommentOut]

    @staticmethod
    def resolve_answers(obj: Question) -> list[Answer]:
        return list(getattr(obj, "answer_list", []))

    @staticmethod
    def resolve_comments(obj: Question) -> list[Comment]:
        return list(getattr(obj, "comment_list", []))


class QuestionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=50_000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    category_id: int | None = None


class QuestionPatch(QuestionIn):
    version: int = Field(..., description="The version you read; a stale one is 409.")
    summary: str = Field("", max_length=200)


class AnswerIn(Schema):
    body: str = Field(..., min_length=1, max_length=50_000)
    as_it: bool = False


class AnswerPatch(Schema):
    body: str = Field(..., min_length=1, max_length=50_000)
    version: int = Field(..., description="The version you read; a stale one is 409.")


class VoteIn(Schema):
    value: Literal[1, -1] = 1


class ScoreOut(Schema):
    score: int


class CommentIn(Schema):
    body: str = Field(..., min_length=1, max_length=600)


class MemberOut(Schema):
    user_id: int
    joined_at: datetime
    reputation: int
    is_moderator: bool


class FollowOut(Schema):
    following: bool


class FlagIn(Schema):
    reason: FlagReason
    note: str = Field("", max_length=500)


class FlagOut(Schema):
    id: int
    reason: FlagReason
    note: str
    created_at: datetime
    resolved_at: datetime | None
    question_id: int | None
    answer_id: int | None
    comment_id: int | None


class FlagQueueOut(FlagOut):
    user: AuthorOut


class ModerationIn(Schema):
    action: ModerationAction
    reason: str = Field(..., min_length=1, max_length=500)


class DuplicateIn(Schema):
    original_id: int


class ModerationOut(Schema):
    action: ModerationAction
    target: str
    reason: str
    created_at: datetime


class TicketLinkOut(Schema):
    id: int
    reference: str


class ArticleLinkOut(Schema):
    id: int
    title: str


class RevisionOut(Schema):
    number: int
    title: str
    body: str
    tags: list[str]
    author: AuthorOut | None
    summary: str
    created_at: datetime


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        raise ApiError(400, "Unknown category.", "invalid_category")
    return category


def _question(request: HttpRequest, question_id: int) -> Question:
    return community_policy.get_or_404(current_user(request), question_id)


def _answer(request: HttpRequest, answer_id: int) -> Answer:
    return selectors.answer_get(current_user(request), answer_id)


def _detail(request: HttpRequest, question_id: int) -> Question:
    return selectors.question_detail(current_user(request), question_id)


def _comment(request: HttpRequest, comment_id: int) -> Comment:
    """A comment the caller may see, on a post they may see (404 otherwise)."""
    comment = (
        Comment.objects.select_related("question", "answer__question").filter(pk=comment_id).first()
    )
    if comment is None or not community_policy.can(current_user(request), "view", comment):
        raise Http404
    return comment


def _require_moderator(request: HttpRequest) -> None:
    """Moderators' screens: staff learn they are not theirs (403), others get a 404."""
    user = current_user(request)
    if not community_policy.can(user, "moderate"):
        deny(user)


def _conflict(conflict: services.ConflictError) -> ApiError:
    return ApiError(409, f"Now at version {conflict.version}; read it again.", "conflict")


@router.get(
    "/community/questions",
    response=list[QuestionSummaryOut],
    summary="Questions the caller may read (newest, unanswered, top this week, by keyword)",
)
@paginate(Page)
def list_questions(request: HttpRequest, tab: Tab = "newest", tag: str | None = None) -> Any:
    if tab == "tag" and not (tag or "").strip():
        raise ApiError(400, "The “tag” tab needs a tag.", "invalid_tag")
    return selectors.question_list(current_user(request), tab=tab, tag=tag)


@router.post(
    "/community/questions",
    response={201: QuestionOut, 400: ErrorOut, 403: ErrorOut},
    summary="Ask a question (members)",
)
def create_question(request: HttpRequest, payload: QuestionIn) -> Status:
    user = current_user(request)
    question = services.question_ask(
        author=user,
        title=payload.title,
        body=payload.body,
        tags=payload.tags,
        category=_category(payload.category_id),
    )
    return Status(201, _detail(request, question.pk))


@router.get("/community/questions/{question_id}", response={200: QuestionOut, 404: ErrorOut})
def get_question(request: HttpRequest, question_id: int) -> Question:
    return _detail(request, question_id)


@router.put(
    "/community/questions/{question_id}",
    response={200: QuestionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Edit a question (its author or a moderator)",
)
def edit_question(request: HttpRequest, question_id: int, payload: QuestionPatch) -> Question:
    user = current_user(request)
    question = _question(request, question_id)
    try:
        services.question_edit(
            question=question,
            actor=user,
            title=payload.title,
            body=payload.body,
            tags=payload.tags,
            expected_version=payload.version,
            summary=payload.summary,
            category=_category(payload.category_id),
        )
    except services.ConflictError as conflict:
        raise _conflict(conflict) from conflict
    return _detail(request, question_id)


@router.post(
    "/community/questions/{question_id}/answers",
    response={201: AnswerOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Answer a question (members; the service desk as IT)",
)
def create_answer(request: HttpRequest, question_id: int, payload: AnswerIn) -> Status:
    user = current_user(request)
    question = _question(request, question_id)
    answer = services.answer_post(
        question=question, author=user, body=payload.body, as_it=payload.as_it
    )
    answer.question = question
    answer.comment_list = []  # type: ignore[attr-defined]
    return Status(201, answer)


@router.get("/community/answers/{answer_id}", response={200: AnswerOut, 404: ErrorOut})
def get_answer(request: HttpRequest, answer_id: int) -> Answer:
    answer = _answer(request, answer_id)
    detail = _detail(request, answer.question_id)
    return next(a for a in detail.answer_list if a.pk == answer.pk)  # type: ignore[attr-defined]


@router.put(
    "/community/answers/{answer_id}",
    response={200: AnswerOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Edit an answer (its author or a moderator)",
)
def edit_answer(request: HttpRequest, answer_id: int, payload: AnswerPatch) -> Answer:
    user = current_user(request)
    answer = _answer(request, answer_id)
    try:
        edited = services.answer_edit(
            answer=answer, actor=user, body=payload.body, expected_version=payload.version
        )
    except services.ConflictError as conflict:
        raise _conflict(conflict) from conflict
    edited.comment_list = []  # type: ignore[attr-defined]
    return edited


@router.post(
    "/community/questions/{question_id}/vote",
    response={200: ScoreOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Vote a question up",
)
def vote_question(request: HttpRequest, question_id: int, payload: VoteIn) -> dict[str, int]:
    question = _question(request, question_id)
    score = services.vote_cast(actor=current_user(request), question=question, value=payload.value)
    return {"score": score}


@router.delete(
    "/community/questions/{question_id}/vote",
    response={200: ScoreOut, 403: ErrorOut, 404: ErrorOut},
    summary="Withdraw one's vote on a question",
)
def unvote_question(request: HttpRequest, question_id: int) -> dict[str, int]:
    question = _question(request, question_id)
    return {"score": services.vote_cast(actor=current_user(request), question=question, value=0)}


@router.post(
    "/community/answers/{answer_id}/vote",
    response={200: ScoreOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Vote an answer up (+1) or down (−1)",
)
def vote_answer(request: HttpRequest, answer_id: int, payload: VoteIn) -> dict[str, int]:
    answer = _answer(request, answer_id)
    score = services.vote_cast(actor=current_user(request), answer=answer, value=payload.value)
    return {"score": score}


@router.delete(
    "/community/answers/{answer_id}/vote",
    response={200: ScoreOut, 403: ErrorOut, 404: ErrorOut},
    summary="Withdraw one's vote on an answer",
)
def unvote_answer(request: HttpRequest, answer_id: int) -> dict[str, int]:
    answer = _answer(request, answer_id)
    return {"score": services.vote_cast(actor=current_user(request), answer=answer, value=0)}


@router.post(
    "/community/answers/{answer_id}/accept",
    response={200: QuestionOut, 403: ErrorOut, 404: ErrorOut},
    summary="Accept an answer (the asker or a moderator)",
)
def accept_answer(request: HttpRequest, answer_id: int) -> Question:
    answer = _answer(request, answer_id)
    services.answer_accept(answer=answer, actor=current_user(request))
    return _detail(request, answer.question_id)


@router.delete(
    "/community/questions/{question_id}/accept",
    response={200: QuestionOut, 403: ErrorOut, 404: ErrorOut},
    summary="Withdraw the acceptance (the asker or a moderator)",
)
def unaccept_answer(request: HttpRequest, question_id: int) -> Question:
    question = _question(request, question_id)
    services.answer_unaccept(question=question, actor=current_user(request))
    return _detail(request, question_id)


@router.post(
    "/community/questions/{question_id}/comments",
    response={201: CommentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Comment on a question",
)
def comment_question(request: HttpRequest, question_id: int, payload: CommentIn) -> Status:
    question = _question(request, question_id)
    comment = services.comment_post(
        actor=current_user(request), body=payload.body, question=question
    )
    return Status(201, comment)


@router.post(
    "/community/answers/{answer_id}/comments",
    response={201: CommentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Comment on an answer",
)
def comment_answer(request: HttpRequest, answer_id: int, payload: CommentIn) -> Status:
    answer = _answer(request, answer_id)
    comment = services.comment_post(actor=current_user(request), body=payload.body, answer=answer)
    return Status(201, comment)


@router.post(
    "/community/members",
    response={201: MemberOut, 403: ErrorOut},
    summary="Join the community (idempotent)",
)
def join(request: HttpRequest) -> Status:
    member: Member = services.member_join(user=current_user(request))
    return Status(201, member)


@router.delete(
    "/community/members/me",
    response={204: None, 403: ErrorOut},
    summary="Leave the community",
)
def leave(request: HttpRequest) -> Status:
    user = current_user(request)
    if not community_policy.can(user, "leave"):
        raise PermissionDenied
    services.member_leave(user=user)
    return Status(204, None)


# -- following ------------------------------------------------------------------------------


@router.post(
    "/community/questions/{question_id}/follow",
    response={200: FollowOut, 403: ErrorOut, 404: ErrorOut},
    summary="Follow a question (idempotent)",
)
def follow_question(request: HttpRequest, question_id: int) -> dict[str, bool]:
    question = _question(request, question_id)
    return {"following": services.follow_set(actor=current_user(request), question=question)}


@router.delete(
    "/community/questions/{question_id}/follow",
    response={200: FollowOut, 403: ErrorOut, 404: ErrorOut},
    summary="Stop following a question",
)
def unfollow_question(request: HttpRequest, question_id: int) -> dict[str, bool]:
    question = _question(request, question_id)
    following = services.follow_set(actor=current_user(request), question=question, following=False)
    return {"following": following}


@router.post(
    "/community/tags/{tag}/follow",
    response={200: FollowOut, 400: ErrorOut, 403: ErrorOut},
    summary="Follow a keyword (idempotent)",
)
def follow_tag(request: HttpRequest, tag: str) -> dict[str, bool]:
    return {"following": services.follow_set(actor=current_user(request), tag=tag)}


@router.delete(
    "/community/tags/{tag}/follow",
    response={200: FollowOut, 400: ErrorOut, 403: ErrorOut},
    summary="Stop following a keyword",
)
def unfollow_tag(request: HttpRequest, tag: str) -> dict[str, bool]:
    following = services.follow_set(actor=current_user(request), tag=tag, following=False)
    return {"following": following}


# -- flags and moderation -------------------------------------------------------------------


@router.post(
    "/community/questions/{question_id}/flags",
    response={201: FlagOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Flag a question for the moderators (members)",
)
def flag_question(request: HttpRequest, question_id: int, payload: FlagIn) -> Status:
    question = _question(request, question_id)
    flag = services.flag_create(
        actor=current_user(request), reason=payload.reason, note=payload.note, question=question
    )
    return Status(201, flag)


@router.post(
    "/community/answers/{answer_id}/flags",
    response={201: FlagOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Flag an answer for the moderators (members)",
)
def flag_answer(request: HttpRequest, answer_id: int, payload: FlagIn) -> Status:
    answer = _answer(request, answer_id)
    flag = services.flag_create(
        actor=current_user(request), reason=payload.reason, note=payload.note, answer=answer
    )
    return Status(201, flag)


@router.post(
    "/community/comments/{comment_id}/flags",
    response={201: FlagOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Flag a comment for the moderators (members)",
)
def flag_comment(request: HttpRequest, comment_id: int, payload: FlagIn) -> Status:
    comment = _comment(request, comment_id)
    flag = services.flag_create(
        actor=current_user(request), reason=payload.reason, note=payload.note, comment=comment
    )
    return Status(201, flag)


@router.get(
    "/community/moderation/flags",
    response={200: list[FlagQueueOut], 403: ErrorOut, 404: ErrorOut},
    summary="Open flags, oldest first (moderators)",
)
@paginate(Page)
def list_flags(request: HttpRequest) -> Any:
    _require_moderator(request)
    return Flag.objects.filter(resolved_at=None).select_related("user").order_by("created_at", "pk")


@router.post(
    "/community/flags/{flag_id}/resolve",
    response={200: FlagOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Dismiss a flag without acting on its post (moderators)",
)
def resolve_flag(request: HttpRequest, flag_id: int) -> Flag:
    _require_moderator(request)
    flag = Flag.objects.filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    return services.flag_resolve(flag=flag, actor=current_user(request))


@router.post(
    "/community/questions/{question_id}/moderation",
    response={200: ModerationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Hide, show, lock, unlock, close or delete a question, with a reason (moderators)",
)
def moderate_question(
    request: HttpRequest, question_id: int, payload: ModerationIn
) -> ModerationLog:
    question = _question(request, question_id)
    return services.moderate(
        actor=current_user(request),
        action=payload.action,
        reason=payload.reason,
        question=question,
    )


@router.post(
    "/community/answers/{answer_id}/moderation",
    response={200: ModerationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Hide, show or delete an answer, with a reason (moderators)",
)
def moderate_answer(request: HttpRequest, answer_id: int, payload: ModerationIn) -> ModerationLog:
    answer = _answer(request, answer_id)
    return services.moderate(
        actor=current_user(request), action=payload.action, reason=payload.reason, answer=answer
    )


@router.post(
    "/community/comments/{comment_id}/moderation",
    response={200: ModerationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Hide, show or delete a comment, with a reason (moderators)",
)
def moderate_comment(request: HttpRequest, comment_id: int, payload: ModerationIn) -> ModerationLog:
    comment = _comment(request, comment_id)
    return services.moderate(
        actor=current_user(request), action=payload.action, reason=payload.reason, comment=comment
    )


@router.post(
    "/community/questions/{question_id}/duplicate",
    response={200: QuestionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Close a question as a duplicate of another, which it then points to (moderators)",
)
def close_duplicate(request: HttpRequest, question_id: int, payload: DuplicateIn) -> Question:
    question = _question(request, question_id)
    original = Question.objects.filter(pk=payload.original_id).first()
    if original is None:  # the same answer as for a question the caller may not see
        raise ApiError(400, "No other question has this number.", "invalid_original")
    services.question_close_duplicate(
        question=question, original=original, actor=current_user(request)
    )
    return _detail(request, question_id)


# -- IT in the loop -------------------------------------------------------------------------


@router.post(
    "/community/questions/{question_id}/ticket",
    response={201: TicketLinkOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Turn a question into a ticket for its asker (the service desk)",
)
def question_to_ticket(request: HttpRequest, question_id: int) -> Status:
    question = _question(request, question_id)
    ticket = services.question_to_ticket(question=question, actor=current_user(request))
    return Status(201, ticket)


@router.post(
    "/community/answers/{answer_id}/article",
    response={201: ArticleLinkOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Turn the accepted answer into a knowledge-base draft (the service desk)",
)
def answer_to_article(request: HttpRequest, answer_id: int) -> Status:
    answer = _answer(request, answer_id)
    article = services.answer_to_article(answer=answer, actor=current_user(request))
    return Status(201, article)


# -- history ---------------------------------------------------------------------------------


@router.get(
    "/community/questions/{question_id}/revisions",
    response={200: list[RevisionOut], 403: ErrorOut, 404: ErrorOut},
    summary="Versions of a question, newest first",
)
def question_revisions(request: HttpRequest, question_id: int) -> list[Revision]:
    question = _question(request, question_id)
    if not community_policy.can(current_user(request), "history", question):
        raise PermissionDenied
    return list(
        Revision.objects.filter(question=question).select_related("author").order_by("-number")
    )


@router.get(
    "/community/answers/{answer_id}/revisions",
    response={200: list[RevisionOut], 403: ErrorOut, 404: ErrorOut},
    summary="Versions of an answer, newest first",
)
def answer_revisions(request: HttpRequest, answer_id: int) -> list[Revision]:
    answer = _answer(request, answer_id)
    if not community_policy.can(current_user(request), "history", answer):
        raise PermissionDenied
    return list(Revision.objects.filter(answer=answer).select_related("author").order_by("-number"))
