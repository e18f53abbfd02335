"""The weekly digest of unanswered questions in the tags a member follows."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.community.choices import QuestionStatus
from relais.community.models import Follow, Member, Question
from relais.community.services._common import DIGEST_MAX_QUESTIONS
from relais.community.services.notify import _question_url


def weekly_digest(*, now: datetime | None = None) -> int:
    """Once per ISO week, each member who follows tags receives the unanswered questions in
    those tags: titles, keywords and links only (no body), as plain text and as HTML where
    every user text is escaped by the template engine (no user HTML reaches a mail). Returns
    how many mails left."""
    from django.template.loader import render_to_string

    from relais.core.services import email_enqueue
    from relais.core.text import render_text

    now = now or timezone.now()
    year, week, _day = timezone.localtime(now).isocalendar()
    week_code = f"{year}-W{week:02d}"
    follows: dict[int, set[str]] = {}
    for user_id, tag in Follow.objects.exclude(tag="").values_list("user_id", "tag"):
        follows.setdefault(user_id, set()).add(str(tag))
    if not follows:
        return 0
    unanswered = list(
        Question.objects.filter(
            answer_count=0,
            is_hidden=False,
            status=QuestionStatus.OPEN,
            created_at__gte=now - timedelta(days=30),
            created_at__lte=now,
        )
        .only("id", "title", "tags", "created_at", "author_id")
        .order_by("-created_at")[:500]
    )
    members = Member.objects.filter(pk__in=list(follows), user__is_active=True).exclude(
        digest_week=week_code
    )
    sent = 0
    for member in members.select_related("user").iterator():
        user = member.user
        tags = follows[user.pk]
        questions = [
            q for q in unanswered if tags.intersection(q.tags or ()) and q.author_id != user.pk
        ][:DIGEST_MAX_QUESTIONS]
        with transaction.atomic():
            claimed = (
                Member.objects.filter(pk=member.pk)
                .exclude(digest_week=week_code)
                .update(digest_week=week_code)
            )
            if not claimed or not questions or not user.email or not member.email_notifications:
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):
                context = {
                    "recipient": user,
                    "tags": sorted(tags),
                    "questions": [
                        {
                            "title": " ".join(q.title.split()),
                            "tags": q.tags,
                            "url": _question_url(q),
                        }
                        for q in questions
                    ],
                    "url": settings.SITE_URL + "/entraide/",
                }
                text = render_text("community/email/digest.txt", context)
                html = render_to_string("community/email/digest.html", context)
                email_enqueue(
                    to=[user.email],
                    subject="[Entraide] "
                    + _("%(count)s unanswered questions in the keywords you follow")
                    % {"count": len(questions)},
                    text=text,
                    html=html,
                )
            sent += 1
    return sent
