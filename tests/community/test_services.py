"""Community services: edit history and conflicts, duplicates, IT in the loop (ticket,
article), following and notifications (app and outbox), mentions, the unanswered alert, the
weekly digest, moderation, badges, leaderboards, search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import Team, User
from relais.community import selectors, services
from relais.community.models import (
    Answer,
    Badge,
    BadgeCode,
    Comment,
    Flag,
    Follow,
    Member,
    ModerationLog,
    Notification,
    NotificationKind,
    Question,
    QuestionStatus,
    Revision,
    Vote,
)
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry, OutboxMessage
from relais.kb.models import Article, ArticleState
from relais.search.models import SearchEntry
from relais.tickets.models import Category
from tests.community.conftest import fresh, make_member
from tests.factories import OrgUnitFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def mails_to(address: str) -> list[dict[str, Any]]:
    return [m.payload for m in OutboxMessage.objects.order_by("pk") if address in m.payload["to"]]


# -- membership --------------------------------------------------------------------------------


def test_a_non_member_reads_but_may_not_post(question: Question) -> None:
    outsider = UserFactory(role=Role.COLLABORATOR)
    with pytest.raises(PermissionDenied):
        services.question_ask(author=outsider, title="Titre", body="Texte")
    with pytest.raises(PermissionDenied):
        services.answer_post(question=question, author=outsider, body="Réponse")
    assert Question.objects.count() == 1
    assert Answer.objects.count() == 0
    assert selectors.question_detail(outsider, question.pk) == question


def test_supervisors_post_without_joining_first() -> None:
    supervisor = UserFactory(role=Role.SUPERVISOR)
    question = services.question_ask(author=supervisor, title="Import", body="Corpus")
    answer = services.answer_post(question=question, author=supervisor, body="Réponse")
    services.answer_accept(answer=answer, actor=supervisor)
    assert Member.objects.filter(pk=supervisor.pk).exists()
    assert fresh_question(question).accepted_answer == answer


def test_join_leave_and_count(asker: User) -> None:
    newcomer = UserFactory()
    assert selectors.member_count() == 1
    services.member_join(user=newcomer)
    services.member_join(user=newcomer)  # idempotent
    assert selectors.member_count() == 2
    services.follow_set(actor=newcomer, tag="vpn")
    services.member_leave(user=newcomer)
    assert selectors.member_count() == 1
    assert not Follow.objects.filter(user=newcomer).exists()


def test_new_members_are_rate_limited() -> None:
    newcomer = UserFactory()
    services.member_join(user=newcomer)
    for n in range(services.NEW_MEMBER_POSTS_PER_HOUR):
        services.question_ask(author=newcomer, title=f"Question {n}", body="Texte")
    with pytest.raises(ValidationError):
        services.question_ask(author=newcomer, title="Une de trop", body="Texte")
    assert Question.objects.filter(author=newcomer).count() == services.NEW_MEMBER_POSTS_PER_HOUR


def fresh_question(question: Question) -> Question:
    return Question.objects.get(pk=question.pk)


# -- edits ----------------------------------------------------------------------------------


def test_edits_keep_a_history_and_refuse_stale_versions(
    question: Question, asker: User, moderator: User
) -> None:
    # Given the asker's question at version 1 (one revision)
    assert list(question.revisions.values_list("number", flat=True)) == [1]
    # When the asker edits it
    edited = services.question_edit(
        question=question,
        actor=asker,
        title="Le VPN coupe pendant les visios",
        body="Nouveau texte",
        tags=["VPN", "visio"],
        expected_version=1,
        summary="précision",
    )
    # Then it is at version 2, with a revision holding the new text
    assert edited.version == 2
    assert edited.tags == ["vpn", "visio"]
    revision = Revision.objects.get(question=question, number=2)
    assert (revision.title, revision.body, revision.summary, revision.author) == (
        "Le VPN coupe pendant les visios",
        "Nouveau texte",
        "précision",
        asker,
    )
    # And a moderator working from version 1 gets a conflict, changing nothing
    with pytest.raises(services.ConflictError) as conflict:
        services.question_edit(
            question=question,
            actor=moderator,
            title="Autre",
            body="Autre",
            tags=[],
            expected_version=1,
        )
    assert conflict.value.version == 2
    assert fresh_question(question).title == "Le VPN coupe pendant les visios"
    assert Revision.objects.filter(question=question).count() == 2


def test_only_the_author_or_a_moderator_edits_an_answer(
    answer: Answer, helper: User, third: User, moderator: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.answer_edit(answer=answer, actor=third, body="Vandalisme", expected_version=1)
    services.answer_edit(answer=answer, actor=helper, body="Complété", expected_version=1)
    services.answer_edit(answer=answer, actor=moderator, body="Reformulé", expected_version=2)
    with pytest.raises(services.ConflictError):
        services.answer_edit(answer=answer, actor=helper, body="Tard", expected_version=2)
    assert Answer.objects.get(pk=answer.pk).body == "Reformulé"
    assert list(answer.revisions.values_list("number", flat=True)) == [3, 2, 1]


# -- duplicates, acceptance ------------------------------------------------------------------


def test_duplicate_closing_points_to_the_original(
    question: Question, third: User, moderator: User, helper: User
) -> None:
    duplicate = services.question_ask(author=third, title="VPN et Teams", body="Même souci")
    with pytest.raises(PermissionDenied):
        services.question_close_duplicate(question=duplicate, original=question, actor=third)
    with pytest.raises(ValidationError):
        services.question_close_duplicate(question=duplicate, original=duplicate, actor=moderator)
    services.question_close_duplicate(question=duplicate, original=question, actor=moderator)
    closed = fresh_question(duplicate)
    assert (closed.status, closed.duplicate_of) == (QuestionStatus.CLOSED, question)
    assert ModerationLog.objects.get().reason == f"duplicate of #{question.pk}"
    # A closed question takes no new answers.
    with pytest.raises(PermissionDenied):
        services.answer_post(question=closed, author=helper, body="Trop tard")
    # And the original cannot be closed as a duplicate of its duplicate.
    with pytest.raises(ValidationError):
        services.question_close_duplicate(question=question, original=closed, actor=moderator)


def test_accepting_another_answer_moves_the_mark(
    question: Question, answer: Answer, asker: User, third: User
) -> None:
    other = services.answer_post(question=question, author=third, body="Autre piste")
    services.answer_accept(answer=answer, actor=asker)
    services.answer_accept(answer=other, actor=asker)
    assert fresh_question(question).accepted_answer == other
    assert Member.objects.get(pk=answer.author_id).reputation == 0
    assert Member.objects.get(pk=third.pk).reputation == 15
    with pytest.raises(PermissionDenied):
        services.answer_unaccept(question=question, actor=answer.author)
    services.answer_unaccept(question=question, actor=asker)
    assert fresh_question(question).accepted_answer is None
    assert Member.objects.get(pk=third.pk).reputation == 0


# -- IT in the loop --------------------------------------------------------------------------


def test_an_agent_turns_a_question_into_a_ticket(
    question: Question, asker: User, agent: User, vpn_category: Category, third: User
) -> None:
    Question.objects.filter(pk=question.pk).update(category=vpn_category)
    with pytest.raises(PermissionDenied):
        services.question_to_ticket(question=fresh_question(question), actor=third)
    ticket = services.question_to_ticket(question=fresh_question(question), actor=agent)
    # Linked both ways: the question points to the ticket, the ticket to the question
    assert fresh_question(question).ticket == ticket
    assert list(ticket.community_questions.all()) == [question]
    assert f"/entraide/questions/{question.pk}/" in ticket.description
    assert ticket.requester == asker
    assert ticket.category == vpn_category
    # The asker is told (in the app; the ticket's acknowledgement mails them)
    assert Notification.objects.filter(
        user=asker, kind=NotificationKind.TICKET, question=question
    ).exists()
    assert mails_to(asker.email)
    # Only once
    with pytest.raises(PermissionDenied):
        services.question_to_ticket(question=fresh_question(question), actor=agent)


def test_an_accepted_answer_becomes_an_attributed_article_draft(
    question: Question, answer: Answer, asker: User, agent: User, helper: User
) -> None:
    with pytest.raises(PermissionDenied):  # not accepted yet
        services.answer_to_article(answer=answer, actor=agent)
    services.answer_accept(answer=answer, actor=asker)
    with pytest.raises(PermissionDenied):
        services.answer_to_article(answer=answer, actor=helper)
    article = services.answer_to_article(answer=answer, actor=agent)
    assert article.state == ArticleState.DRAFT
    assert article.title == question.title
    assert article.body.startswith("Désactivez le split tunneling.")
    assert "Bruno Petit" in article.body
    assert article.owner == agent
    assert Article.objects.count() == 1


def test_as_it_is_for_the_desk(question: Question, helper: User, agent: User) -> None:
    with pytest.raises(PermissionDenied):
        services.answer_post(question=question, author=helper, body="DSI", as_it=True)
    with pytest.raises(PermissionDenied):  # an agent who has not joined answers only as IT
        services.answer_post(question=question, author=agent, body="Moi")
    answer = services.answer_post(question=question, author=agent, body="La DSI", as_it=True)
    assert answer.as_it
    assert not Member.objects.filter(pk=agent.pk).exists()


# -- following and notifications -------------------------------------------------------------


def test_a_new_answer_notifies_the_asker_and_the_followers(
    question: Question, asker: User, helper: User, third: User
) -> None:
    services.follow_set(actor=third, question=question)
    Member.objects.filter(pk=third.pk).update(email_notifications=False)
    services.answer_post(question=question, author=helper, body="Essayez ceci")
    assert set(
        Notification.objects.filter(kind=NotificationKind.ANSWER).values_list("user", flat=True)
    ) == {asker.pk, third.pk}
    # E-mails follow each member's preference
    [mail] = mails_to(asker.email)
    assert mail["subject"] == "[Entraide] Nouvelle réponse à « Le VPN coupe pendant Teams »" or (
        "Le VPN coupe pendant Teams" in mail["subject"]
    )
    assert f"/entraide/questions/{question.pk}/" in mail["text"]
    assert mail["html"] == ""
    assert mails_to(third.email) == []
    assert mails_to(helper.email) == []  # never the actor


def test_acceptance_notifies_the_answers_author(
    question: Question, answer: Answer, asker: User, helper: User
) -> None:
    services.answer_accept(answer=answer, actor=asker)
    assert Notification.objects.filter(user=helper, kind=NotificationKind.ACCEPTED).count() == 1
    assert len(mails_to(helper.email)) == 1


def test_mentions_notify_the_member_named(question: Question, helper: User, third: User) -> None:
    services.answer_post(
        question=question,
        author=helper,
        body="Voir avec @chloe.roux, et @ChloéRoux encore ; pas @inconnu ni a@b.fr",
    )
    assert Notification.objects.filter(user=third, kind=NotificationKind.MENTION).count() == 1
    [mail] = mails_to(third.email)  # and by e-mail, through the outbox
    assert f"/entraide/questions/{question.pk}/" in mail["text"]
    # A non-member is not notified
    UserFactory(email="zoe@relais.test", display_name="Zoé")
    services.comment_post(actor=helper, body="@zoe tu as vu ?", question=question)
    assert not Notification.objects.filter(
        kind=NotificationKind.MENTION, user__email="zoe@relais.test"
    ).exists()


def test_a_comment_notifies_the_posts_author(answer: Answer, helper: User, third: User) -> None:
    services.comment_post(actor=third, body="Merci, ça marche", answer=answer)
    assert Notification.objects.filter(user=helper, kind=NotificationKind.COMMENT).count() == 1
    with pytest.raises(ValidationError):
        services.comment_post(actor=third, body="x" * 601, answer=answer)
    with pytest.raises(ValidationError):
        services.comment_post(actor=third, body="   ", answer=answer)
    assert Comment.objects.count() == 1


def test_notifications_are_marked_read(question: Question, asker: User, helper: User) -> None:
    services.answer_post(question=question, author=helper, body="Un")
    services.answer_post(question=question, author=helper, body="Deux")
    first, second = Notification.objects.filter(user=asker).order_by("pk")
    assert services.notifications_mark_read(actor=asker, ids=[first.pk]) == 1
    assert services.notifications_mark_read(actor=helper, ids=[second.pk]) == 0  # not theirs
    assert services.notifications_mark_read(actor=asker) == 1
    assert not Notification.objects.filter(read_at__isnull=True).exists()


# -- the unanswered alert and the digest ----------------------------------------------------


def test_an_unanswered_question_alerts_the_support_team_once(
    asker: User, vpn_category: Category, vpn_team: Team, settings: Any
) -> None:
    settings.COMMUNITY_UNANSWERED_HOURS = 24
    Team.objects.filter(pk=vpn_team.pk).update(email="reseau@relais.test")
    agent = UserFactory(role=Role.AGENT)
    vpn_team.members.add(agent)
    TeamFactory(email="autre@relais.test")
    old = services.question_ask(author=asker, title="Ancienne", body="?", category=vpn_category)
    recent = services.question_ask(author=asker, title="Récente", body="?")
    Question.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    Question.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(hours=23))
    assert services.questions_unanswered_alert() == 1
    assert services.questions_unanswered_alert() == 0  # once per question
    [mail] = mails_to("reseau@relais.test")
    assert "Ancienne" in mail["subject"]
    assert mails_to("autre@relais.test") == []
    assert Notification.objects.filter(user=agent, kind=NotificationKind.UNANSWERED).count() == 1
    # An answered question never alerts
    Question.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=3))
    services.answer_post(question=recent, author=make_member(), body="Voilà")
    assert services.questions_unanswered_alert() == 0


def test_the_weekly_digest_escapes_user_text_and_is_sent_once_a_week(
    asker: User, helper: User, third: User
) -> None:
    services.follow_set(actor=helper, tag="VPN")
    services.follow_set(actor=third, tag="imprimante")
    title = '<script>alert("x")</script> & VPN <b>lent</b>'
    services.question_ask(
        author=asker, title=title, body="<img src=x onerror=alert(1)>", tags=["vpn"]
    )
    answered = services.question_ask(author=asker, title="VPN répondu", body="?", tags=["vpn"])
    services.answer_post(question=answered, author=third, body="Oui")
    assert services.weekly_digest() == 1
    [mail] = mails_to(helper.email)
    assert title in mail["text"]  # the title as typed, in the text part
    # The HTML part shows the title escaped: no tag typed by a user reaches the mail
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; VPN &lt;b&gt;lent&lt;/b&gt;"
    assert escaped in mail["html"]
    assert "<script" not in mail["html"] and "<b>" not in mail["html"]
    assert mail["html"].count("/entraide/questions/") == 1  # the unanswered one only
    for part in (mail["text"], mail["html"]):
        assert "onerror" not in part and "img src" not in part  # bodies are not copied
    assert "VPN répondu" not in mail["text"]
    assert mails_to(third.email) == []  # nothing unanswered in their tag
    assert services.weekly_digest() == 0
    assert services.weekly_digest(now=timezone.now() + timedelta(days=7)) == 1


# -- moderation ----------------------------------------------------------------------------


def test_moderation_needs_a_reason_and_is_logged(
    question: Question, answer: Answer, moderator: User, third: User, helper: User, asker: User
) -> None:
    services.vote_cast(actor=third, answer=answer, value=1)
    services.answer_accept(answer=answer, actor=asker)
    flag = services.flag_create(actor=third, reason="spam", answer=answer, note="pub")
    with pytest.raises(ValidationError):
        services.moderate(actor=moderator, action="hide", reason=" ", answer=answer)
    with pytest.raises(PermissionDenied):
        services.moderate(actor=third, action="hide", reason="spam", answer=answer)
    services.moderate(actor=moderator, action="hide", reason="Publicité", answer=answer)
    assert Answer.objects.get(pk=answer.pk).is_hidden
    assert fresh_question(question).answer_count == 0
    assert Flag.objects.get(pk=flag.pk).resolved_by == moderator
    log = ModerationLog.objects.get()
    assert (log.action, log.reason, log.moderator) == ("hide", "Publicité", moderator)
    assert f"answer #{answer.pk}" in log.target
    audit = AuditLogEntry.objects.get(action=AuditAction.COMMUNITY_MODERATION)
    assert audit.actor == moderator
    assert audit.changes["reason"] == "Publicité"
    # Deleting takes the votes and the acceptance with it, and the reputation follows
    assert Member.objects.get(pk=helper.pk).reputation == 25
    services.moderate(actor=moderator, action="delete", reason="Spam avéré", answer=answer)
    assert not Answer.objects.filter(pk=answer.pk).exists()
    assert not Vote.objects.exists()
    assert Member.objects.get(pk=helper.pk).reputation == 0
    assert ModerationLog.objects.count() == 2


def test_a_hidden_question_is_invisible_and_leaves_the_search_index(
    question: Question, moderator: User, third: User, asker: User
) -> None:
    assert SearchEntry.objects.filter(kind="question", object_id=question.pk).exists()
    services.moderate(
        actor=moderator, action="hide", reason="Données personnelles", question=question
    )
    assert not SearchEntry.objects.filter(kind="question", object_id=question.pk).exists()
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.question_detail(fresh(third), question.pk)
    assert selectors.question_detail(fresh(asker), question.pk) == question
    services.moderate(actor=moderator, action="unhide", reason="Corrigé", question=question)
    assert SearchEntry.objects.filter(kind="question", object_id=question.pk).exists()


def test_a_locked_question_takes_no_answer_comment_or_vote(
    question: Question, moderator: User, helper: User
) -> None:
    services.moderate(actor=moderator, action="lock", reason="Clos", question=question)
    locked = fresh_question(question)
    for attempt in (
        lambda: services.answer_post(question=locked, author=helper, body="x"),
        lambda: services.comment_post(actor=helper, body="x", question=locked),
        lambda: services.vote_cast(actor=helper, question=locked, value=1),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert (Answer.objects.count(), Comment.objects.count(), Vote.objects.count()) == (0, 0, 0)


# -- badges, leaderboard, profile -------------------------------------------------------------


def test_badges(question: Question, asker: User, helper: User) -> None:
    services.answer_post(question=question, author=helper, body="Une autre")
    assert list(Badge.objects.filter(user=helper).values_list("code", flat=True)) == [
        BadgeCode.FIRST_ANSWER
    ]
    for n in range(10):
        q = services.question_ask(author=make_member(), title=f"Q{n}", body="?")
        a = services.answer_post(question=q, author=helper, body="R")
        services.answer_accept(answer=a, actor=q.author)
        assert Badge.objects.filter(user=helper, code=BadgeCode.TEN_ACCEPTED).exists() == (n == 9)
    assert Badge.objects.filter(user=helper).count() == 2


def test_leaderboard_by_month_and_direction(question: Question, asker: User) -> None:
    direction = OrgUnitFactory()
    near = make_member(org_unit=direction)
    far = make_member()
    a1 = services.answer_post(question=question, author=near, body="1")
    a2 = services.answer_post(question=question, author=far, body="2")
    services.vote_cast(actor=asker, answer=a2, value=1)
    services.answer_accept(answer=a1, actor=asker)
    month = selectors.current_month()
    rows = selectors.leaderboard(month=month, direction_id=None)
    assert [(r.user_id, r.points) for r in rows] == [(near.pk, 15), (far.pk, 10)]
    rows = selectors.leaderboard(month=month, direction_id=direction.pk)
    assert [(r.user_id, r.points, r.direction) for r in rows] == [(near.pk, 15, direction.name)]
    assert selectors.leaderboard(month="2001-01", direction_id=None) == []
    # Helper of the month
    badge = services.helper_of_month_award(month=month)
    assert badge is not None and badge.user_id == near.pk and badge.period == month
    assert services.helper_of_month_award(month=month) == badge


def test_member_profile_counts_visible_contributions(
    question: Question, answer: Answer, helper: User, moderator: User, third: User
) -> None:
    services.answer_post(question=question, author=helper, body="Seconde")
    services.moderate(actor=moderator, action="hide", reason="x", answer=answer)
    assert selectors.member_profile(helper).answer_count == 1
    assert selectors.member_profile(helper, viewer=fresh(helper)).answer_count == 2
    assert selectors.member_profile(helper, viewer=fresh(third)).answer_count == 1


def test_question_lists(asker: User, helper: User, third: User) -> None:
    old = services.question_ask(author=asker, title="Ancienne", body="?", tags=["wifi"])
    Question.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    top = services.question_ask(author=asker, title="Populaire", body="?", tags=["VPN"])
    new = services.question_ask(author=asker, title="Nouvelle", body="?", tags=["vpn", "wifi"])
    services.vote_cast(actor=helper, question=top, value=1)
    services.answer_post(question=top, author=helper, body="R")
    assert list(selectors.question_list(third)) == [new, top, old]
    assert list(selectors.question_list(third, tab="unanswered")) == [new, old]
    assert list(selectors.question_list(third, tab="top_week")) == [top, new]
    assert list(selectors.question_list(third, tab="tag", tag="wifi")) == [new, old]
    assert list(selectors.question_list(third, tab="tag", tag="wi")) == []


def test_detail_orders_answers_accepted_first_then_score(
    question: Question, asker: User, helper: User, third: User, moderator: User
) -> None:
    first = services.answer_post(question=question, author=helper, body="Premier")
    second = services.answer_post(question=question, author=third, body="Second")
    third_answer = services.answer_post(question=question, author=moderator, body="Troisième")
    services.vote_cast(actor=asker, answer=third_answer, value=1)
    services.answer_accept(answer=second, actor=asker)
    detail = selectors.question_detail(fresh(asker), question.pk)
    assert detail.answer_list == [second, third_answer, first]  # type: ignore[attr-defined]


def test_deleting_a_question_takes_its_thread_and_recomputes_reputation(
    question: Question, answer: Answer, asker: User, helper: User, third: User, moderator: User
) -> None:
    services.vote_cast(actor=third, answer=answer, value=1)
    services.vote_cast(actor=third, question=question, value=1)
    services.answer_accept(answer=answer, actor=asker)
    services.comment_post(actor=third, body="+1", answer=answer)
    assert (
        Member.objects.get(pk=helper.pk).reputation,
        fresh(asker).community_member.reputation,
    ) == (25, 5)
    services.moderate(actor=moderator, action="delete", reason="Hors charte", question=question)
    assert not Question.objects.filter(pk=question.pk).exists()
    assert (Answer.objects.count(), Vote.objects.count(), Comment.objects.count()) == (0, 0, 0)
    assert Member.objects.get(pk=helper.pk).reputation == 0
    assert Member.objects.get(pk=asker.pk).reputation == 0
    assert not SearchEntry.objects.filter(kind="question", object_id=question.pk).exists()
    assert ModerationLog.objects.get(action="delete").target.startswith(f"question #{question.pk}")
