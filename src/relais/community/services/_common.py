"""Helpers shared by the community services: limits, validation, revisions, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.community.models import Answer, Comment, Question, Revision
from relais.community.permissions import is_desk, is_moderator, member_of

if TYPE_CHECKING:
    from relais.accounts.models import User


COMMENT_MAX_LENGTH = 600


TITLE_MAX_LENGTH = 200


BODY_MAX_LENGTH = 50_000


# New members (joined less than NEW_MEMBER_DAYS ago, reputation under NEW_MEMBER_REPUTATION)
# post at most NEW_MEMBER_POSTS_PER_HOUR questions and answers per hour.
NEW_MEMBER_DAYS = 7


NEW_MEMBER_REPUTATION = 15


NEW_MEMBER_POSTS_PER_HOUR = 10


TEN_ACCEPTED = 10


DIGEST_MAX_QUESTIONS = 20


class ConflictError(Exception):
    """A stale edit: someone saved the question or answer since the editor loaded it."""

    def __init__(self, obj: Question | Answer) -> None:
        super().__init__(f"stale version (now {obj.version})")
        self.obj = obj
        self.version = obj.version


def _clean_tags(tags: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = " ".join(str(tag).split())[:50].lower().replace("|", " ").strip()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)[:20]


def tags_text(tags: Sequence[str]) -> str:
    return f"|{'|'.join(tags)}|" if tags else ""


def _one_target(**targets: Any) -> tuple[str, Any]:
    given = [(name, obj) for name, obj in targets.items() if obj is not None]
    if len(given) != 1:
        raise ValidationError(_("Choose exactly one post."))
    return given[0]


def _require(allowed: bool, message: str = "") -> None:
    if not allowed:
        raise PermissionDenied(message or _("You may not do this."))


def _check_rate(user: User) -> None:
    member = member_of(user)
    if member is None or is_moderator(user) or is_desk(user):
        return
    now = timezone.now()
    if member.joined_at < now - timedelta(days=NEW_MEMBER_DAYS):
        return
    if member.reputation >= NEW_MEMBER_REPUTATION:
        return
    since = now - timedelta(hours=1)
    posts = (
        Question.objects.filter(author=user, created_at__gte=since).count()
        + Answer.objects.filter(author=user, created_at__gte=since).count()
    )
    if posts >= NEW_MEMBER_POSTS_PER_HOUR:
        raise ValidationError(
            _(
                "New members may post %(limit)s questions and answers per hour; "
                "please try again a little later."
            )
            % {"limit": NEW_MEMBER_POSTS_PER_HOUR}
        )


def _validate_text(title: str | None, body: str, *, what: str) -> None:
    errors: dict[str, str] = {}
    if title is not None:
        if not title.strip():
            errors["title"] = _("A question needs a title.")
        elif len(title.strip()) > TITLE_MAX_LENGTH:
            errors["title"] = _("200 characters at most.")
    if not body.strip():
        errors["body"] = (
            _("A question needs a text.") if what == "question" else _("An answer needs a text.")
        )
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = _("The text is too long.")
    if errors:
        raise ValidationError(errors)


def _revision(
    *, question: Question | None = None, answer: Answer | None = None, author: User, summary: str
) -> Revision:
    post: Question | Answer = question if question is not None else answer  # type: ignore[assignment]
    return Revision.objects.create(
        question=question,
        answer=answer,
        number=post.version,
        title=question.title if question is not None else "",
        body=post.body,
        tags=list(question.tags) if question is not None else [],
        author=author,
        summary=summary[:200],
    )


def _touch(question_id: int) -> None:
    Question.objects.filter(pk=question_id).update(last_activity_at=timezone.now())


def _describe(obj: Question | Answer | Comment) -> str:
    if isinstance(obj, Question):
        return f"question #{obj.pk}: {obj.title[:150]}"
    if isinstance(obj, Answer):
        return f"answer #{obj.pk} (question #{obj.question_id})"
    parent = "question" if obj.question_id else "answer"
    return f"comment #{obj.pk} ({parent} #{obj.question_id or obj.answer_id})"
