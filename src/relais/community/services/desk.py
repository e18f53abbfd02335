"""IT in the loop: a question turned into a ticket, an accepted answer into a knowledge-base
draft, and the support team alerted about unanswered questions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.community.choices import NotificationKind, QuestionStatus
from relais.community.models import Answer, Question
from relais.community.permissions import community_policy
from relais.community.services._common import _require
from relais.community.services.notify import _notify, _question_url, _subject

if TYPE_CHECKING:
    from relais.accounts.models import User
    from relais.kb.models import Article
    from relais.tickets.models import Category, Ticket


def _ticket_category(question: Question) -> Category:
    from relais.tickets.models import Category

    if question.category is not None and question.category.is_active:
        required = [f for f in question.category.extra_fields or [] if f.get("required")]
        if not required:
            return question.category
    fallback = (
        Category.objects.filter(is_active=True, extra_fields=[])
        .order_by(F("parent_id").asc(nulls_first=True), "position", "name")
        .first()
    )
    if fallback is None:
        raise ValidationError(_("No ticket category is available."))
    return fallback


@transaction.atomic
def question_to_ticket(*, question: Question, actor: User) -> Ticket:
    """An agent turns a question into a ticket for its asker: linked both ways
    (`question.ticket`, and the question's address in the ticket), the asker notified."""
    from relais.tickets.choices import Channel
    from relais.tickets.services import TicketDraft, ticket_open

    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "to_ticket", locked))
    description = "\n\n".join(
        [
            locked.body.strip(),
            _("From the peer-help question: %(url)s") % {"url": _question_url(locked)},
        ]
    )
    draft = TicketDraft(
        category=_ticket_category(locked),
        title=locked.title[:200],
        description=description,
        tags=list(locked.tags),
    )
    ticket = ticket_open(actor=actor, draft=draft, requester=locked.author, channel=Channel.PORTAL)
    locked.ticket = ticket
    locked.save(update_fields=["ticket", "updated_at"])
    question.ticket = ticket
    # The ticket's acknowledgement already mails the asker; the app notification links both.
    _notify(NotificationKind.TICKET, locked, [locked.author], actor=actor, email=False)
    return ticket


@transaction.atomic
def answer_to_article(*, answer: Answer, actor: User) -> Article:
    """An agent turns an accepted answer into a knowledge-base draft, with attribution."""
    from relais.kb.services import ArticleDraft, article_create

    answer = Answer.objects.select_related("question", "author").get(pk=answer.pk)
    _require(community_policy.can(actor, "to_article", answer))
    question = answer.question
    attribution = _("Answer by %(name)s in the peer help") % {"name": answer.author.display_name}
    body = "\n\n".join([answer.body.strip(), f"*{attribution}: {_question_url(question)}*"])
    draft = ArticleDraft(
        title=question.title, body=body, category=question.category, tags=list(question.tags)
    )
    return article_create(draft=draft, actor=actor)


def questions_unanswered_alert(*, now: datetime | None = None) -> int:
    """Questions still without an answer after COMMUNITY_UNANSWERED_HOURS: one e-mail per
    question to the support team (the category's team, or every team with an address), and
    a notification to its agents; once per question. Returns how many questions alerted."""
    from relais.accounts.models import Team
    from relais.core.services import email_enqueue
    from relais.core.text import render_text

    now = now or timezone.now()
    hours = getattr(settings, "COMMUNITY_UNANSWERED_HOURS", 24)
    due = Question.objects.filter(
        answer_count=0,
        is_hidden=False,
        status=QuestionStatus.OPEN,
        ticket__isnull=True,
        unanswered_alerted_at__isnull=True,
        created_at__lte=now - timedelta(hours=hours),
    ).select_related("category__team")
    all_teams = list(Team.objects.exclude(email="").prefetch_related("members"))
    alerted = 0
    for question in due.iterator():
        with transaction.atomic():
            claimed = Question.objects.filter(
                pk=question.pk, unanswered_alerted_at__isnull=True
            ).update(unanswered_alerted_at=now)
            if not claimed:
                continue
            team = question.category.team if question.category else None
            teams = [team] if team is not None else all_teams
            recipients = sorted({t.email for t in teams if t.email})
            agents = {u.pk: u for t in teams for u in t.members.all()}
            if not recipients:
                recipients = sorted({u.email for u in agents.values() if u.is_active and u.email})
            if recipients:
                text = render_text(
                    "community/email/unanswered.txt",
                    {"question": question, "hours": hours, "url": _question_url(question)},
                )
                email_enqueue(
                    to=recipients,
                    subject=_subject(NotificationKind.UNANSWERED, question),
                    text=text,
                )
            _notify(NotificationKind.UNANSWERED, question, agents.values(), actor=None, email=False)
            alerted += 1
    return alerted
