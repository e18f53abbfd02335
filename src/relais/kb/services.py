"""Every write on the knowledge base goes through these functions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.core.counters import counter_add
from relais.kb.models import (
    TRANSITIONS,
    Article,
    ArticleDailyViews,
    ArticleFeedback,
    ArticleImage,
    ArticleState,
    ArticleVersion,
    Audience,
)
from relais.kb.permissions import article_policy

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from relais.accounts.models import User
    from relais.tickets.models import Category, Ticket


class ArticleConflict(Exception):
    """The article changed since the editor loaded it."""

    def __init__(self, article: Article) -> None:
        super().__init__("stale article version")
        self.article = article


def _clean_tags(tags: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        tag = " ".join(str(tag).split())[:50]
        if tag:
            seen.setdefault(tag.lower(), None)
    return list(seen)[:20]


def _snapshot(article: Article, *, author: User, summary: str = "") -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        tags=article.tags,
        author=author,
        summary=summary[:200],
    )


@dataclass
class ArticleDraft:
    title: str
    body: str
    category: Category | None = None
    tags: Sequence[str] = ()
    audience: str = Audience.EVERYONE
    review_by: date | None = None


def _validate(draft: ArticleDraft) -> None:
    errors: dict[str, str] = {}
    if not draft.title.strip():
        errors["title"] = _("An article needs a title.")
    if not draft.body.strip():
        errors["body"] = _("An article needs some content.")
    if draft.audience not in Audience.values:
        errors["audience"] = _("Unknown audience.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def article_create(
    *,
    draft: ArticleDraft,
    actor: User,
    state: str = ArticleState.DRAFT,
    external_id: str = "",
    source_ticket: Ticket | None = None,
) -> Article:
    if not article_policy.can(actor, "create"):
        raise PermissionDenied
    _validate(draft)
    if state != ArticleState.DRAFT and not article_policy.may_move(actor, Article(), state):
        raise PermissionDenied
    article = Article.objects.create(
        title=draft.title.strip()[:200],
        body=draft.body,
        category=draft.category,
        tags=_clean_tags(draft.tags),
        audience=draft.audience,
        review_by=draft.review_by or _default_review_date(),
        owner=actor,
        state=state,
        published_at=timezone.now() if state == ArticleState.PUBLISHED else None,
        external_id=external_id[:64],
        source_ticket=source_ticket,
    )
    _snapshot(article, author=actor)
    return article


def _default_review_date() -> date:
    return timezone.localdate() + timedelta(days=getattr(settings, "RELAIS_KB_REVIEW_DAYS", 365))


@transaction.atomic
def article_update(
    *,
    article: Article,
    draft: ArticleDraft,
    actor: User,
    expected_version: int,
    summary: str = "",
    related: Sequence[Article] | None = None,
) -> Article:
    """Save a new version; refuses (ArticleConflict) when someone saved in between."""
    if not article_policy.can(actor, "edit", article):
        raise PermissionDenied
    _validate(draft)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.version != expected_version:
        raise ArticleConflict(locked)
    locked.title = draft.title.strip()[:200]
    locked.body = draft.body
    locked.category = draft.category
    locked.tags = _clean_tags(draft.tags)
    locked.audience = draft.audience
    # Saving a due article (even unchanged, as the reminder asks) sets its next review date.
    review_by = draft.review_by or locked.review_by
    if review_by is None or review_by <= timezone.localdate():
        review_by = _default_review_date()
    locked.review_by = review_by
    locked.review_reminded_on = None
    locked.version += 1
    locked.save()
    if related is not None:
        locked.related.set([a for a in related if a.pk != locked.pk])
    _snapshot(locked, author=actor, summary=summary)
    return locked


@transaction.atomic
def article_move(*, article: Article, state: str, actor: User) -> Article:
    """Change the state along the workflow (draft → review → published → archived…)."""
    if state not in TRANSITIONS.get(article.state, frozenset()):
        raise ValidationError(
            _("An article cannot go from “%(old)s” to “%(new)s”.")
            % {
                "old": ArticleState(article.state).label,
                "new": ArticleState(state).label if state in ArticleState.values else state,
            }
        )
    if not article_policy.may_move(actor, article, state):
        raise PermissionDenied
    article.state = state
    if state == ArticleState.PUBLISHED:
        article.published_at = timezone.now()
    article.save(update_fields=["state", "published_at", "updated_at"])
    return article


@transaction.atomic
def article_feedback(
    *, article: Article, actor: User, useful: bool, comment: str = ""
) -> ArticleFeedback:
    """Record "was this useful?" — a reader's latest answer replaces their previous one."""
    if not article_policy.can(actor, "feedback", article):
        raise PermissionDenied
    previous = ArticleFeedback.objects.filter(article=article, user=actor).first()
    if previous is not None and previous.useful != useful:
        old = "useful_count" if previous.useful else "not_useful_count"
        Article.objects.filter(pk=article.pk, **{f"{old}__gt": 0}).update(**{old: F(old) - 1})
    if previous is None or previous.useful != useful:
        new = "useful_count" if useful else "not_useful_count"
        Article.objects.filter(pk=article.pk).update(**{new: F(new) + 1})
    feedback, _created = ArticleFeedback.objects.update_or_create(
        article=article, user=actor, defaults={"useful": useful, "comment": comment[:2000]}
    )
    return feedback


def article_viewed(article: Article, *, day: date | None = None) -> None:
    """Count a view of a published article: the all-time counter (the knowledge base's "most
    read" order) and the day's row (the reports count any period from those). Atomic
    increments, no read-modify-write; the search index is not touched. An editor previewing
    a draft is not a reader: views of unpublished articles are not counted."""
    if article.state != ArticleState.PUBLISHED:
        return
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    counter_add(
        ArticleDailyViews,
        key={"article_id": article.pk, "day": day or timezone.localdate()},
        field="views",
    )


@transaction.atomic
def article_from_ticket(*, ticket: Ticket, actor: User) -> Article:
    """A draft article written from a resolved ticket: its problem and its solution, for the
    agent to edit before review."""
    from relais.tickets.choices import MessageKind, TicketStatus
    from relais.tickets.permissions import TicketPolicy

    if not TicketPolicy().can(actor, "view_internal", ticket) or not article_policy.can(
        actor, "create"
    ):
        raise PermissionDenied
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ValidationError(_("Only a resolved or closed ticket can become an article."))
    replies = list(
        ticket.messages.filter(kind=MessageKind.REPLY)
        .exclude(author_id=ticket.requester_id)
        .order_by("created_at")
        .values_list("body", flat=True)
    )
    solution = (ticket.resolution or "").strip()
    parts = [
        "## " + _("Problem"),
        "",
        ticket.description.strip(),
        "",
        "## " + _("Solution"),
        "",
        solution or (replies[-1].strip() if replies else _("(to be written)")),
    ]
    draft = ArticleDraft(
        title=ticket.title,
        body="\n".join(parts),
        category=ticket.category,
        tags=[t.name for t in ticket.tags.all()],
    )
    return article_create(draft=draft, actor=actor, source_ticket=ticket)


def articles_review_reminders(*, today: date | None = None) -> int:
    """Remind owners of published articles whose "review by" date has come (once per date)."""
    from relais.core.services import email_enqueue
    from relais.core.text import render_text

    today = today or timezone.localdate()
    due = Article.objects.filter(
        state=ArticleState.PUBLISHED, review_by__lte=today, review_reminded_on__isnull=True
    ).select_related("owner")
    sent = 0
    for article in due.iterator():
        with transaction.atomic():
            claimed = Article.objects.filter(pk=article.pk, review_reminded_on__isnull=True).update(
                review_reminded_on=today
            )
            if not claimed or not article.owner.email:
                continue
            if not article_policy.can(article.owner, "edit", article):
                # Checked when the reminder is due (SECURITY.md A7): an owner who left or lost
                # the right to edit is not asked to review (nor shown the draft's link).
                logger.info(
                    "review reminder skipped: the owner may no longer edit",
                    extra={"article": article.pk},
                )
                continue
            text = render_text(
                "kb/email/review_reminder.txt",
                {
                    "article": article,
                    "url": settings.SITE_URL + article.get_absolute_url(),
                },
            )
            email_enqueue(
                to=[article.owner.email],
                subject=_("Article to review: %(title)s") % {"title": article.title},
                text=text,
            )
            sent += 1
    return sent


IMAGE_MAX_BYTES = 5 * 1024 * 1024


@transaction.atomic
def article_image_add(*, article: Article, actor: User, upload: UploadedFile) -> ArticleImage:
    """Store an image for an article (PNG, JPEG, GIF or WebP, checked on the bytes)."""
    from relais.core.files import INLINE_TYPES, UploadRejected, store_upload

    if not article_policy.can(actor, "edit", article):
        raise PermissionDenied
    try:
        stored = store_upload(
            upload, folder="kb/images", max_bytes=IMAGE_MAX_BYTES, allowed_types=INLINE_TYPES
        )
    except UploadRejected as exc:
        raise ValidationError({"image": f"{upload.name}: {exc.message}"}) from exc
    return ArticleImage.objects.create(
        article=article,
        storage_name=stored.storage_name,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor,
    )


def article_images_sweep_orphans(*, older_than: timedelta) -> int:
    """Remove image files no article references (deleted articles, rolled-back uploads)."""
    from relais.core.files import sweep_orphans

    return sweep_orphans(
        folder="kb/images",
        referenced=lambda name: ArticleImage.objects.filter(storage_name=name).exists(),
        older_than=older_than,
    )
