"""Notifications (in the app, and by e-mail through the outbox) and following.

A new answer → the asker and the question's followers; acceptance → the answer's author; a
comment → the post's author; an @mention (of a member's e-mail local part, or display name
without spaces, e.g. @marie.dupont or @MarieDupont) → that member; a question turned into a
ticket → the asker (who also receives the ticket's acknowledgement)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.community.choices import NotificationKind
from relais.community.models import Follow, Member, Notification, Question
from relais.community.permissions import community_policy
from relais.community.services._common import _clean_tags, _one_target, _require
from relais.core.permissions import is_active_user

if TYPE_CHECKING:
    from relais.accounts.models import User


MENTION_RE = re.compile(r"(?<![\w@])@([\w][\w.\-]{0,63})")


def _question_url(question: Question) -> str:
    return settings.SITE_URL + question.get_absolute_url()


def _subject(kind: str, question: Question) -> str:
    subjects = {
        NotificationKind.ANSWER: _("New answer to “%(title)s”"),
        NotificationKind.ACCEPTED: _("Your answer to “%(title)s” was accepted"),
        NotificationKind.MENTION: _("You were mentioned in “%(title)s”"),
        NotificationKind.COMMENT: _("New comment on “%(title)s”"),
        NotificationKind.UNANSWERED: _("Unanswered question: “%(title)s”"),
        NotificationKind.TICKET: _("Your question “%(title)s” became a ticket"),
    }
    return "[Entraide] " + subjects[NotificationKind(kind)] % {"title": question.title[:120]}


def _notify(
    kind: str,
    question: Question,
    recipients: Iterable[User | None],
    *,
    actor: User | None,
    email: bool = True,
) -> list[Notification]:
    """In-app notifications, and e-mails for members who want them (outbox, after commit).
    Never the actor, never an inactive account; a hidden question notifies nobody but
    moderators and its author."""
    from relais.core.services import email_enqueue
    from relais.core.text import render_text

    unique: dict[int, User] = {}
    for user in recipients:
        if user is None or not user.is_active:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        if not community_policy.can(user, "view", question):
            continue
        unique[user.pk] = user
    if not unique:
        return []
    created = Notification.objects.bulk_create(
        [
            Notification(user=user, kind=kind, question=question, actor=actor)
            for user in unique.values()
        ]
    )
    if email:
        wants = dict(
            Member.objects.filter(pk__in=list(unique)).values_list("pk", "email_notifications")
        )
        for user in unique.values():
            if not wants.get(user.pk, False) or not user.email:
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):
                text = render_text(
                    "community/email/notification.txt",
                    {
                        "kind": kind,
                        "question": question,
                        "actor": actor,
                        "recipient": user,
                        "url": _question_url(question),
                    },
                )
                email_enqueue(to=[user.email], subject=_subject(kind, question), text=text)
    return created


def _mentioned(body: str) -> list[User]:
    """Members named with @local-part (of their e-mail) or @DisplayName (spaces removed)."""
    from relais.accounts.models import User

    handles = {m.lower().rstrip(".-") for m in MENTION_RE.findall(body)}
    handles.discard("")
    if not handles:
        return []
    handles = set(sorted(handles)[:10])
    by_email = Q()
    for handle in handles:
        by_email |= Q(email__istartswith=f"{handle}@")
    members = User.objects.filter(community_member__isnull=False, is_active=True)
    found = {u.pk: u for u in members.filter(by_email)}
    by_name = Q()
    for handle in handles:
        by_name |= Q(display_name__istartswith=handle[:3])
    for user in members.filter(by_name)[:200]:
        if "".join(user.display_name.split()).lower() in handles:
            found.setdefault(user.pk, user)
    return list(found.values())[:10]


def _notify_mentions(body: str, question: Question, actor: User, exclude: set[int]) -> None:
    people = [u for u in _mentioned(body) if u.pk not in exclude]
    _notify(NotificationKind.MENTION, question, people, actor=actor)


def _followers(question: Question) -> list[User]:
    from relais.accounts.models import User

    return list(User.objects.filter(community_follows__question=question))


@transaction.atomic
def follow_set(
    *,
    actor: User,
    question: Question | None = None,
    tag: str | None = None,
    following: bool = True,
) -> bool:
    """Follow (or stop following) a question or a tag; returns whether `actor` now follows."""
    kind, _target = _one_target(question=question, tag=tag or None)
    if kind == "question":
        assert question is not None
        _require(community_policy.can(actor, "follow", question))
        lookup: dict[str, Any] = {"question": question}
    else:
        _require(community_policy.can(actor, "follow"))
        cleaned = _clean_tags([tag or ""])
        if not cleaned:
            raise ValidationError(_("Unknown keyword."))
        lookup = {"tag": cleaned[0]}
    if following:
        Follow.objects.get_or_create(user=actor, **lookup)
    else:
        Follow.objects.filter(user=actor, **lookup).delete()
    return following


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: Sequence[int] | None = None) -> int:
    if not is_active_user(actor):
        raise PermissionDenied
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
