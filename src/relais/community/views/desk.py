"""IT in the loop: a question turned into a ticket, an accepted answer into an article."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.accounts.selectors import current_user
from relais.community import services
from relais.community.views._common import (
    _answer_for,
    _answer_url,
    _messages_of,
    _question_for,
    _require,
)


@login_required
@require_POST
def question_to_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    _require(user, "to_ticket", question)
    try:
        ticket = services.question_to_ticket(question=question, actor=user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("community:question", pk=question.pk)
    messages.success(
        request, _("Request %(reference)s opened for the asker.") % {"reference": ticket.reference}
    )
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def answer_to_article(request: HttpRequest, answer_id: int) -> HttpResponse:
    user = current_user(request)
    answer = _answer_for(user, answer_id)
    _require(user, "to_article", answer)
    try:
        article = services.answer_to_article(answer=answer, actor=user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect(_answer_url(answer))
    messages.success(request, _("A draft article was written from this answer: review it."))
    return redirect("kb:edit", pk=article.pk)
