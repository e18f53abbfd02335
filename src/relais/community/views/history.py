"""Revision history of a question or an answer, with a line diff between two versions. A
hidden post's history is for those who see the post (its author and moderators): 404 for
everyone else, like the post."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from relais.accounts.selectors import current_user
from relais.community.models import Revision
from relais.community.views._common import _answer_for, _question_for, _require
from relais.core.diff import DiffLine, line_diff


def _lines(revision: Revision, *, with_title: bool) -> list[str]:
    lines = [f"# {revision.title}"] if with_title else []
    lines += revision.body.splitlines()
    if with_title and revision.tags:
        lines += ["", _("Keywords: %(tags)s") % {"tags": ", ".join(revision.tags)}]
    return lines


def _history_context(
    request: HttpRequest, revisions: Sequence[Revision], *, with_title: bool
) -> dict[str, Any]:
    """The versions (newest first) and the diff of the pair asked for by ?a=&b= (by default
    the latest version against the one before)."""
    by_number = {r.number: r for r in revisions}
    diff: list[DiffLine] | None = None
    old = new = None
    if len(revisions) > 1:
        try:
            new = by_number[int(request.GET.get("b", revisions[0].number))]
            old = by_number[int(request.GET.get("a", new.number - 1))]
        except (KeyError, ValueError):
            raise Http404 from None
        diff = line_diff(_lines(old, with_title=with_title), _lines(new, with_title=with_title))
    return {"revisions": revisions, "diff": diff, "old": old, "new": new}


@login_required
@require_GET
def question_history(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    question = _question_for(user, pk)
    _require(user, "history", question)
    revisions = list(
        Revision.objects.filter(question=question).select_related("author").order_by("-number")
    )
    context = _history_context(request, revisions, with_title=True)
    return render(
        request, "community/history.html", {**context, "question": question, "answer": None}
    )


@login_required
@require_GET
def answer_history(request: HttpRequest, answer_id: int) -> HttpResponse:
    user = current_user(request)
    answer = _answer_for(user, answer_id)
    _require(user, "history", answer)
    revisions = list(
        Revision.objects.filter(answer=answer).select_related("author").order_by("-number")
    )
    context = _history_context(request, revisions, with_title=False)
    return render(
        request,
        "community/history.html",
        {**context, "question": answer.question, "answer": answer},
    )
