"""Who may read and write in the peer-help community (an ownership policy).

Roles:
- Everyone signed in reads (a *non-member* only reads, and may join).
- A *member* (who joined the community) asks, answers, comments, votes (never on their own
  posts), follows, flags; an *author* edits their own questions and answers; the asker
  accepts an answer to their question.
- A *moderator* — a member marked moderator, or any supervisor or administrator — edits every
  post, accepts on the asker's behalf, closes duplicates, hides, locks and deletes. Supervisors
  and administrators take part without joining first: their first post joins them
  (services.question_ask and friends), which keeps the corpus import working.
- An *agent* (the service desk) reads, answers as IT, turns a question into a ticket and an
  accepted answer into a knowledge-base draft; anything else needs them to join.

A hidden post is seen only by moderators and its author; a hidden question is a 404 for
everyone else, exactly like a missing one. A locked question takes no new answers, comments,
votes or edits (moderators still edit); a closed one takes no new answers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from relais.community.choices import QuestionStatus
from relais.community.models import Answer, Comment, Member, Question
from relais.core.permissions import Policy, is_active_user
from relais.tickets.permissions import is_desk, sees_everything

_NO_MEMBER = object()

# Actions without an object.
MODEL_ACTIONS = frozenset({"list", "join", "leave", "ask", "follow", "notifications"})


def member_of(user: Any) -> Member | None:
    """The user's membership, looked up once per request (cached on the user object)."""
    if not is_active_user(user):
        return None
    cached = getattr(user, "_community_member", _NO_MEMBER)
    if cached is _NO_MEMBER:
        cached = Member.objects.filter(pk=user.pk).first()
        user._community_member = cached
    return cached  # type: ignore[return-value]


def forget_membership(user: Any) -> None:
    """Drop the cached membership (after joining, leaving or a moderator change)."""
    if hasattr(user, "_community_member"):
        del user._community_member


def is_member(user: Any) -> bool:
    return member_of(user) is not None


def is_moderator(user: Any) -> bool:
    if sees_everything(user):
        return True
    member = member_of(user)
    return bool(member is not None and member.is_moderator)


def participates(user: Any) -> bool:
    """May post, vote, follow and flag: members, and supervisors/administrators (auto-joined)."""
    return is_member(user) or sees_everything(user)


class CommunityPolicy(Policy[Question]):
    model = Question

    # -- querysets ---------------------------------------------------------------------------
    def scope(self, user: Any, action: str = "view") -> QuerySet[Question]:
        qs = Question.objects.all()
        if not is_active_user(user):
            return qs.none()
        if is_moderator(user):
            return qs
        return qs.filter(Q(is_hidden=False) | Q(author_id=user.pk))

    def answers_scope(self, user: Any) -> QuerySet[Answer]:
        """Answers on a question the user sees, hidden ones only for their authors. Written
        as "not on a question hidden from them" (a few rows, hashed) rather than "on a
        question they see" (a join per answer: 45 ms for a profile of 2,000 answers)."""
        qs = Answer.objects.all()
        if not is_active_user(user):
            return qs.none()
        if is_moderator(user):
            return qs
        hidden_from_user = Question.objects.filter(is_hidden=True).exclude(author_id=user.pk)
        return qs.exclude(question__in=hidden_from_user.values("pk")).filter(
            Q(is_hidden=False) | Q(author_id=user.pk)
        )

    def comments_visible(self, user: Any) -> Q:
        """Filter on Comment: which comments of a visible post the user sees."""
        if is_moderator(user):
            return Q()
        return Q(is_hidden=False) | Q(author_id=getattr(user, "pk", None))

    # -- one object --------------------------------------------------------------------------
    def _sees_question(self, user: Any, question: Question) -> bool:
        return not question.is_hidden or question.author_id == user.pk or is_moderator(user)

    def _sees(self, user: Any, obj: Any) -> bool:
        if isinstance(obj, Question):
            return self._sees_question(user, obj)
        if isinstance(obj, Answer):
            return self._sees_question(user, obj.question) and (
                not obj.is_hidden or obj.author_id == user.pk or is_moderator(user)
            )
        if isinstance(obj, Comment):
            parent = obj.question if obj.question_id else obj.answer
            return self._sees(user, parent) and (
                not obj.is_hidden or obj.author_id == user.pk or is_moderator(user)
            )
        return isinstance(obj, Member)

    def can(self, user: Any, action: str, obj: Any = None) -> bool:
        if not is_active_user(user):
            return False
        if obj is None:
            return self._can_model(user, action)
        if not self._sees(user, obj):
            return False
        if action == "view":
            return True
        if isinstance(obj, Question):
            return self._can_question(user, action, obj)
        if isinstance(obj, Answer):
            return self._can_answer(user, action, obj)
        if isinstance(obj, Comment):
            return self._can_comment(user, action, obj)
        return False

    def _can_model(self, user: Any, action: str) -> bool:
        if action == "list":
            return True
        if action == "join":
            return not is_member(user)
        if action == "leave":
            return is_member(user)
        if action in {"ask", "follow", "notifications"}:
            return participates(user)
        if action == "moderate":
            return is_moderator(user)
        return False

    def _can_question(self, user: Any, action: str, question: Question) -> bool:
        own = question.author_id == user.pk
        moderator = is_moderator(user)
        locked = question.is_locked
        open_ = question.status == QuestionStatus.OPEN
        if action == "edit":
            return (own or moderator) and (not locked or moderator)
        if action == "history":
            return True
        if action == "answer":
            return participates(user) and open_ and not locked
        if action == "answer_as_it":
            return is_desk(user) and open_ and not locked
        if action == "comment":
            return participates(user) and not locked
        if action == "vote":
            return participates(user) and not own and not locked and not question.is_hidden
        if action in {"follow", "flag"}:
            return participates(user) and (action == "follow" or not own)
        if action == "unaccept":
            return (own or moderator) and question.accepted_answer_id is not None
        if action == "close":
            return moderator and open_
        if action == "to_ticket":
            return is_desk(user) and question.ticket_id is None
        if action == "moderate":
            return moderator
        return False

    def _can_answer(self, user: Any, action: str, answer: Answer) -> bool:
        own = answer.author_id == user.pk
        moderator = is_moderator(user)
        question = answer.question
        if action == "edit":
            return (own or moderator) and (not question.is_locked or moderator)
        if action == "history":
            return True
        if action == "comment":
            return participates(user) and not question.is_locked
        if action == "vote":
            return (
                participates(user)
                and not own
                and not question.is_locked
                and not answer.is_hidden
                and not question.is_hidden
            )
        if action == "accept":
            return (
                (question.author_id == user.pk or moderator)
                and not answer.is_hidden
                and question.accepted_answer_id != answer.pk
            )
        if action == "flag":
            return participates(user) and not own
        if action == "to_article":
            return is_desk(user) and question.accepted_answer_id == answer.pk
        if action == "moderate":
            return moderator
        return False

    def _can_comment(self, user: Any, action: str, comment: Comment) -> bool:
        if action == "flag":
            return participates(user) and comment.author_id != user.pk
        if action == "moderate":
            return is_moderator(user)
        return False


community_policy = CommunityPolicy()
