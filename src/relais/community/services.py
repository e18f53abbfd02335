"""Every write on the peer-help community goes through these functions: keyword-only, atomic,
permission-checked through `community_policy` (PermissionDenied / ValidationError).

Membership. Asking, answering, commenting, voting, following and flagging are for members.
Supervisors and administrators (the moderators of the organisation, and the actor of the
corpus import) are joined automatically on their first post. Agents answer *as IT* without
joining; anything else needs them to join like everyone.

Reputation (cached in `Member.reputation`, always equal to `reputation_recompute`):
    +10 per upvote on one's answer
     −2 per downvote on one's answer
     +5 per upvote on one's question
    +15 per accepted answer (not when the asker accepts their own answer)
and never below 0 (the sum is computed, then floored at 0: a newcomer's first downvotes do not
drive them negative). Every change of a vote or an acceptance recomputes the affected
members' reputation from the rows, under a row lock on the member, so that concurrent votes
can never leave a drifted counter. Votes on hidden posts still count; deleting a post removes
its votes and acceptance, and the authors' reputation is recomputed.

Scores (`Question.score`, `Answer.score`) are the sum of the post's votes, recomputed under a
row lock on the post by every vote.

Notifications (in the app, and by e-mail through the outbox when the member's
`email_notifications` allows): a new answer → the asker and the question's followers;
acceptance → the answer's author; a comment → the post's author; an @mention (of a member's
e-mail local part, or display name without spaces, e.g. @marie.dupont or @MarieDupont) → that
member; a question turned into a ticket → the asker (who also receives the ticket's
acknowledgement).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.community.choices import (
    BadgeCode,
    FlagReason,
    ModerationAction,
    NotificationKind,
    QuestionStatus,
)
from relais.community.models import (
    Answer,
    Badge,
    Comment,
    Flag,
    Follow,
    Member,
    ModerationLog,
    Notification,
    Question,
    Revision,
    Vote,
)
from relais.community.permissions import (
    community_policy,
    forget_membership,
    is_desk,
    is_moderator,
    member_of,
)
from relais.tickets.permissions import sees_everything

if TYPE_CHECKING:
    from relais.accounts.models import User
    from relais.kb.models import Article
    from relais.tickets.models import Category, Ticket

REPUTATION_ANSWER_UP = 10
REPUTATION_ANSWER_DOWN = -2
REPUTATION_QUESTION_UP = 5
REPUTATION_ACCEPTED = 15

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

MENTION_RE = re.compile(r"(?<![\w@])@([\w][\w.\-]{0,63})")


class ConflictError(Exception):
    """A stale edit: someone saved the question or answer since the editor loaded it."""

    def __init__(self, obj: Question | Answer) -> None:
        super().__init__(f"stale version (now {obj.version})")
        self.obj = obj
        self.version = obj.version


# -- helpers -------------------------------------------------------------------------------


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


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


def _ensure_participant(user: User) -> None:
    """Posting needs membership; supervisors and administrators are joined on the way."""
    if member_of(user) is not None:
        return
    if sees_everything(user):
        member_join(user=user)
        return
    raise PermissionDenied(_("Join the peer-help community to take part."))


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


# -- notifications -------------------------------------------------------------------------


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


# -- members -------------------------------------------------------------------------------


@transaction.atomic
def member_join(*, user: User) -> Member:
    """Join the community (idempotent)."""
    if not _active(user):
        raise PermissionDenied
    member, created = Member.objects.get_or_create(user=user)
    forget_membership(user)
    if created:
        reputation_recompute(user)
        member.refresh_from_db()
    return member


@transaction.atomic
def member_leave(*, user: User) -> None:
    """Leave the community: posts stay; follows and the membership (with its moderator mark)
    go. Reputation is recomputed from the rows if the person joins again."""
    if not _active(user):
        raise PermissionDenied
    Follow.objects.filter(user=user).delete()
    Member.objects.filter(pk=user.pk).delete()
    forget_membership(user)


@transaction.atomic
def member_set_notifications(*, user: User, email: bool) -> Member:
    member = member_of(user)
    if member is None:
        raise PermissionDenied
    Member.objects.filter(pk=user.pk).update(email_notifications=email)
    forget_membership(user)
    member.email_notifications = email
    return member


# -- questions -----------------------------------------------------------------------------


@transaction.atomic
def question_ask(
    *,
    author: User,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    category: Category | None = None,
    external_id: str = "",
) -> Question:
    if not _active(author):
        raise PermissionDenied
    _ensure_participant(author)
    _require(community_policy.can(author, "ask"))
    _validate_text(title, body, what="question")
    _check_rate(author)
    cleaned = _clean_tags(tags)
    question = Question.objects.create(
        author=author,
        title=title.strip()[:TITLE_MAX_LENGTH],
        body=body,
        tags=cleaned,
        tags_text=tags_text(cleaned),
        category=category,
        external_id=external_id[:64],
    )
    _revision(question=question, author=author, summary="")
    _notify_mentions(body, question, author, exclude=set())
    return question


@transaction.atomic
def question_edit(
    *,
    question: Question,
    actor: User,
    title: str,
    body: str,
    tags: Sequence[str],
    expected_version: int,
    summary: str = "",
    category: Any = ...,
) -> Question:
    """Save a new version (a Revision row); refuses with ConflictError when stale."""
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "edit", locked))
    _validate_text(title, body, what="question")
    if locked.version != expected_version:
        raise ConflictError(locked)
    cleaned = _clean_tags(tags)
    locked.title = title.strip()[:TITLE_MAX_LENGTH]
    locked.body = body
    locked.tags = cleaned
    locked.tags_text = tags_text(cleaned)
    if category is not ...:
        locked.category = category
    locked.version += 1
    locked.last_activity_at = timezone.now()
    locked.save()
    _revision(question=locked, author=actor, summary=summary)
    return locked


@transaction.atomic
def question_close_duplicate(*, question: Question, original: Question, actor: User) -> Question:
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "close", locked))
    if original.pk == locked.pk:
        raise ValidationError(_("A question cannot duplicate itself."))
    if not community_policy.can(actor, "view", original) or original.is_hidden:
        raise ValidationError(_("No other question has this number."))
    if original.duplicate_of_id == locked.pk:
        raise ValidationError(_("That question is itself closed as a duplicate of this one."))
    locked.status = QuestionStatus.CLOSED
    locked.duplicate_of = original
    locked.save(update_fields=["status", "duplicate_of", "updated_at"])
    ModerationLog.objects.create(
        moderator=actor,
        action=ModerationAction.CLOSE,
        target=_describe(locked),
        reason=f"duplicate of #{original.pk}",
    )
    return locked


# -- answers -------------------------------------------------------------------------------


@transaction.atomic
def answer_post(*, question: Question, author: User, body: str, as_it: bool = False) -> Answer:
    if not _active(author):
        raise PermissionDenied
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    if as_it:
        _require(
            community_policy.can(author, "answer_as_it", locked),
            _("Only the service desk answers as IT, on an open question."),
        )
    else:
        _ensure_participant(author)
        _require(
            community_policy.can(author, "answer", locked),
            _("This question takes no new answers."),
        )
    _validate_text(None, body, what="answer")
    _check_rate(author)
    answer = Answer.objects.create(question=locked, author=author, body=body, as_it=as_it)
    _revision(answer=answer, author=author, summary="")
    Question.objects.filter(pk=locked.pk).update(
        answer_count=F("answer_count") + 1, last_activity_at=timezone.now()
    )
    locked.answer_count += 1
    question.answer_count = locked.answer_count
    _notify(NotificationKind.ANSWER, locked, [locked.author, *_followers(locked)], actor=author)
    _notify_mentions(body, locked, author, exclude={locked.author_id})
    badges_award(author)
    return answer


@transaction.atomic
def answer_edit(*, answer: Answer, actor: User, body: str, expected_version: int) -> Answer:
    locked = Answer.objects.select_for_update(no_key=True).get(pk=answer.pk)
    locked.question = Question.objects.get(pk=locked.question_id)
    _require(community_policy.can(actor, "edit", locked))
    _validate_text(None, body, what="answer")
    if locked.version != expected_version:
        raise ConflictError(locked)
    locked.body = body
    locked.version += 1
    locked.save()
    _revision(answer=locked, author=actor, summary="")
    _touch(locked.question_id)
    return locked


@transaction.atomic
def answer_accept(*, answer: Answer, actor: User) -> Question:
    """The asker (or a moderator) accepts an answer; accepting another one moves the mark."""
    question = Question.objects.select_for_update(no_key=True).get(pk=answer.question_id)
    answer = Answer.objects.get(pk=answer.pk)
    answer.question = question
    if question.accepted_answer_id == answer.pk:
        _require(community_policy.can(actor, "unaccept", question))
        return question
    _require(community_policy.can(actor, "accept", answer))
    previous = question.accepted_answer
    question.accepted_answer = answer
    question.accepted_at = timezone.now()
    question.last_activity_at = question.accepted_at
    question.save(
        update_fields=["accepted_answer", "accepted_at", "last_activity_at", "updated_at"]
    )
    _reputation_refresh({answer.author_id, previous.author_id if previous else None})
    _notify(NotificationKind.ACCEPTED, question, [answer.author], actor=actor)
    badges_award(answer.author)
    return question


@transaction.atomic
def answer_unaccept(*, question: Question, actor: User) -> Question:
    locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
    _require(community_policy.can(actor, "unaccept", locked))
    previous = locked.accepted_answer
    locked.accepted_answer = None
    locked.accepted_at = None
    locked.save(update_fields=["accepted_answer", "accepted_at", "updated_at"])
    if previous is not None:
        _reputation_refresh({previous.author_id})
    return locked


# -- comments ------------------------------------------------------------------------------


@transaction.atomic
def comment_post(
    *, actor: User, body: str, question: Question | None = None, answer: Answer | None = None
) -> Comment:
    _one_target(question=question, answer=answer)
    if not _active(actor):
        raise PermissionDenied
    target: Question | Answer
    if answer is not None:
        target = Answer.objects.select_related("question").get(pk=answer.pk)
        parent = target.question
    else:
        assert question is not None
        target = parent = Question.objects.get(pk=question.pk)
    _ensure_participant(actor)
    _require(community_policy.can(actor, "comment", target))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("A comment needs a text.")})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError({"body": _("600 characters at most.")})
    comment = Comment.objects.create(
        question=parent if answer is None else None,
        answer=target if isinstance(target, Answer) else None,
        author=actor,
        body=body,
    )
    _touch(parent.pk)
    _notify(NotificationKind.COMMENT, parent, [target.author], actor=actor)
    _notify_mentions(body, parent, actor, exclude={target.author_id})
    return comment


# -- votes and reputation ------------------------------------------------------------------


@transaction.atomic
def vote_cast(
    *, actor: User, question: Question | None = None, answer: Answer | None = None, value: int
) -> int:
    """Vote +1 or −1 (questions: +1 only), or 0 to withdraw; returns the post's new score.

    The post's row is locked for the whole vote, so concurrent votes on one post run one after
    the other; the score is then the SUM of the vote rows, and the author's reputation is
    recomputed under a lock on their member row."""
    kind, _target = _one_target(question=question, answer=answer)
    if value not in (1, -1, 0):
        raise ValidationError(_("A vote is +1, −1 or 0 (withdraw)."))
    target: Question | Answer
    if kind == "question":
        assert question is not None
        target = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
        if value == -1:
            raise ValidationError(_("Questions are only voted up."))
    else:
        assert answer is not None
        target = Answer.objects.select_for_update(no_key=True).get(pk=answer.pk)
        target.question = Question.objects.get(pk=target.question_id)
    if _active(actor) and target.author_id == actor.pk:
        raise PermissionDenied(_("You cannot vote on your own post."))
    _require(community_policy.can(actor, "vote", target))
    votes = Vote.objects.filter(user=actor, **{kind: target})
    current = votes.first()
    if value == 0:
        if current is not None:
            current.delete()
    elif current is None:
        try:
            with transaction.atomic():
                Vote.objects.create(user=actor, value=value, **{kind: target})
        except IntegrityError:  # a parallel request of the same person won the race
            votes.update(value=value, cast_at=timezone.now())
    elif current.value != value:
        votes.update(value=value, cast_at=timezone.now())
    score = Vote.objects.filter(**{kind: target}).aggregate(total=Sum("value"))["total"] or 0
    type(target).objects.filter(pk=target.pk).update(score=score)
    target.score = score
    _reputation_refresh({target.author_id})
    return score


def _reputation_raw(user_id: int) -> int:
    on_answers = Vote.objects.filter(answer__author_id=user_id).aggregate(
        up=Count("pk", filter=Q(value=1)), down=Count("pk", filter=Q(value=-1))
    )
    question_up = Vote.objects.filter(question__author_id=user_id, value=1).count()
    accepted = (
        Question.objects.filter(accepted_answer__author_id=user_id)
        .exclude(author_id=user_id)
        .count()
    )
    return (
        REPUTATION_ANSWER_UP * on_answers["up"]
        + REPUTATION_ANSWER_DOWN * on_answers["down"]
        + REPUTATION_QUESTION_UP * question_up
        + REPUTATION_ACCEPTED * accepted
    )


def reputation_recompute(user: User) -> int:
    """The reputation the votes and acceptances imply (see the module docstring); stored on
    the member row when the person is a member."""
    with transaction.atomic():
        locked = list(Member.objects.select_for_update(no_key=True).filter(pk=user.pk))
        value = max(0, _reputation_raw(user.pk))
        if locked and locked[0].reputation != value:
            Member.objects.filter(pk=user.pk).update(reputation=value)
    return value


def _reputation_refresh(user_ids: set[int | None]) -> None:
    """Lock the members' rows (in a fixed order: no deadlock), then recompute each."""
    ids = sorted(pk for pk in user_ids if pk is not None)
    if not ids:
        return
    members = list(Member.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
    for member in members:
        value = max(0, _reputation_raw(member.pk))
        if member.reputation != value:
            Member.objects.filter(pk=member.pk).update(reputation=value)


# -- badges --------------------------------------------------------------------------------


def badges_award(user: User) -> list[Badge]:
    """Award the badges `user` has earned and not yet received (first answer; ten answers
    accepted on others' questions). Badges are never taken back."""
    if not _active(user):
        return []
    earned: list[str] = []
    have = set(Badge.objects.filter(user=user, period="").values_list("code", flat=True))
    if BadgeCode.FIRST_ANSWER not in have and Answer.objects.filter(author=user).exists():
        earned.append(BadgeCode.FIRST_ANSWER)
    if BadgeCode.TEN_ACCEPTED not in have:
        accepted = (
            Question.objects.filter(accepted_answer__author=user).exclude(author=user).count()
        )
        if accepted >= TEN_ACCEPTED:
            earned.append(BadgeCode.TEN_ACCEPTED)
    awarded = []
    for code in earned:
        badge, created = Badge.objects.get_or_create(user=user, code=code, period="")
        if created:
            awarded.append(badge)
    return awarded


def helper_of_month_award(*, month: str | None = None) -> Badge | None:
    """Give the month's "helper of the month" badge to the member who gained the most
    reputation in it (ties: the earliest member). `month` is "YYYY-MM", by default the
    previous month. Idempotent."""
    from relais.community.selectors import leaderboard, previous_month

    month = month or previous_month(timezone.localdate())
    existing = Badge.objects.filter(code=BadgeCode.HELPER_OF_MONTH, period=month).first()
    if existing is not None:
        return existing
    rows = leaderboard(month=month, direction_id=None)
    if not rows or rows[0].points <= 0:
        return None
    badge, _created = Badge.objects.get_or_create(
        user_id=rows[0].user_id, code=BadgeCode.HELPER_OF_MONTH, period=month
    )
    return badge


# -- following, flags, notifications -------------------------------------------------------


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
def flag_create(
    *,
    actor: User,
    reason: str,
    note: str = "",
    question: Question | None = None,
    answer: Answer | None = None,
    comment: Comment | None = None,
) -> Flag:
    kind, target = _one_target(question=question, answer=answer, comment=comment)
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    _require(community_policy.can(actor, "flag", target))
    flag, _created = Flag.objects.update_or_create(
        user=actor,
        resolved_at=None,
        **{kind: target},
        defaults={"reason": reason, "note": note.strip()[:500]},
    )
    return flag


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: Sequence[int] | None = None) -> int:
    if not _active(actor):
        raise PermissionDenied
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# -- moderation ----------------------------------------------------------------------------


def _describe(obj: Question | Answer | Comment) -> str:
    if isinstance(obj, Question):
        return f"question #{obj.pk}: {obj.title[:150]}"
    if isinstance(obj, Answer):
        return f"answer #{obj.pk} (question #{obj.question_id})"
    parent = "question" if obj.question_id else "answer"
    return f"comment #{obj.pk} ({parent} #{obj.question_id or obj.answer_id})"


QUESTION_ONLY = frozenset({ModerationAction.LOCK, ModerationAction.UNLOCK, ModerationAction.CLOSE})


@transaction.atomic
def moderate(
    *,
    actor: User,
    action: str,
    reason: str,
    question: Question | None = None,
    answer: Answer | None = None,
    comment: Comment | None = None,
) -> ModerationLog:
    """Hide, show again, lock, unlock, close or delete a post, with a reason (logged in the
    moderation log and the audit log)."""
    from relais.core.choices import AuditAction
    from relais.core.services import audit_record

    kind, _given = _one_target(question=question, answer=answer, comment=comment)
    if action not in ModerationAction.values:
        raise ValidationError({"action": _("Unknown moderation action.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    target: Question | Answer | Comment
    if kind == "question":
        target = Question.objects.select_for_update(no_key=True).get(pk=_given.pk)
    elif kind == "answer":
        target = Answer.objects.select_for_update(no_key=True).get(pk=_given.pk)
        target.question = Question.objects.select_for_update(no_key=True).get(pk=target.question_id)
    else:
        target = Comment.objects.select_related("question", "answer__question").get(pk=_given.pk)
    _require(community_policy.can(actor, "moderate", target))
    if action in QUESTION_ONLY and kind != "question":
        raise ValidationError({"action": _("Only a question can be locked or closed.")})
    description = _describe(target)
    target_type = type(target)._meta.label_lower
    target_id = target.pk
    if action in (ModerationAction.HIDE, ModerationAction.UNHIDE):
        hidden = action == ModerationAction.HIDE
        if target.is_hidden != hidden:
            target.is_hidden = hidden
            target.save(update_fields=["is_hidden"])
            if isinstance(target, Answer):
                delta = -1 if hidden else 1
                Question.objects.filter(pk=target.question_id).update(
                    answer_count=F("answer_count") + delta
                )
    elif action in (ModerationAction.LOCK, ModerationAction.UNLOCK):
        assert isinstance(target, Question)
        target.is_locked = action == ModerationAction.LOCK
        target.save(update_fields=["is_locked", "updated_at"])
    elif action == ModerationAction.CLOSE:
        assert isinstance(target, Question)
        target.status = QuestionStatus.CLOSED
        target.save(update_fields=["status", "updated_at"])
    else:
        _delete(target)
    if action != ModerationAction.DELETE:  # a deleted post's flags went with it
        Flag.objects.filter(**{kind: target_id}, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor
        )
    log = ModerationLog.objects.create(
        moderator=actor, action=action, target=description, reason=reason.strip()[:500]
    )
    audit_record(
        action=AuditAction.COMMUNITY_MODERATION,
        actor=actor,
        changes={
            "action": action,
            "object_type": target_type,
            "object_id": target_id,
            "reason": reason.strip()[:500],
        },
    )
    return log


def _delete(target: Question | Answer | Comment) -> None:
    """Delete a post and what hangs on it; the authors' reputation follows the removed votes
    and acceptance."""
    affected: set[int | None] = set()
    if isinstance(target, Question):
        affected.add(target.author_id)
        affected.update(target.answers.values_list("author_id", flat=True))
        target.delete()
    elif isinstance(target, Answer):
        affected.add(target.author_id)
        if not target.is_hidden:
            Question.objects.filter(pk=target.question_id).update(
                answer_count=F("answer_count") - 1
            )
        target.delete()
    else:
        target.delete()
    _reputation_refresh(affected)


# -- IT in the loop ------------------------------------------------------------------------


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


def weekly_digest(*, now: datetime | None = None) -> int:
    """Once per ISO week, each member who follows tags receives the unanswered questions in
    those tags (plain text: no user HTML can reach a mail). Returns how many mails left."""
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
                text = render_text(
                    "community/email/digest.txt",
                    {
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
                    },
                )
                email_enqueue(
                    to=[user.email],
                    subject="[Entraide] "
                    + _("%(count)s unanswered questions in the keywords you follow")
                    % {"count": len(questions)},
                    text=text,
                )
            sent += 1
    return sent
