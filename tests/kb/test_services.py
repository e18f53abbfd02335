"""Knowledge-base services: workflow, versions and conflicts, feedback, views, articles written
from tickets, review reminders, version differences and the search index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.core.choices import OutboxKind
from relais.core.models import OutboxMessage
from relais.kb import selectors
from relais.kb.models import Article, ArticleFeedback, ArticleState, ArticleVersion, Audience
from relais.kb.services import (
    ArticleConflict,
    ArticleDraft,
    article_feedback,
    article_from_ticket,
    article_move,
    article_update,
    article_viewed,
    articles_review_reminders,
)
from relais.search.engine import search
from relais.tickets.choices import TicketStatus
from relais.tickets.models import Ticket
from relais.tickets.services import ticket_reply, ticket_update
from tests.factories import UserFactory
from tests.kb.conftest import make_article

pytestmark = pytest.mark.django_db


def fresh(article: Article) -> Article:
    return Article.objects.get(pk=article.pk)


def edit(article: Article, actor: User, **changes: object) -> Article:
    values = {
        "title": article.title,
        "body": article.body,
        "category": article.category,
        "tags": article.tags,
        "audience": article.audience,
        "review_by": article.review_by,
    }
    expected = changes.pop("expected_version", article.version)
    summary = str(changes.pop("summary", ""))
    values.update(changes)
    return article_update(
        article=article,
        draft=ArticleDraft(**values),  # type: ignore[arg-type]
        actor=actor,
        expected_version=expected,  # type: ignore[arg-type]
        summary=summary,
    )


# --- Workflow ---------------------------------------------------------------------------


def test_an_article_goes_through_review_publication_archive_and_back(draft_article, supervisor):
    assert draft_article.published_at is None
    article_move(article=draft_article, state=ArticleState.REVIEW, actor=supervisor)
    assert fresh(draft_article).state == ArticleState.REVIEW

    before = timezone.now()
    article_move(article=draft_article, state=ArticleState.PUBLISHED, actor=supervisor)
    published = fresh(draft_article)
    assert published.state == ArticleState.PUBLISHED
    assert published.published_at is not None and published.published_at >= before

    article_move(article=draft_article, state=ArticleState.ARCHIVED, actor=supervisor)
    assert fresh(draft_article).state == ArticleState.ARCHIVED
    article_move(article=draft_article, state=ArticleState.DRAFT, actor=supervisor)
    assert fresh(draft_article).state == ArticleState.DRAFT


def test_an_agent_sends_to_review_but_only_an_editor_publishes(draft_article, agent, supervisor):
    article_move(article=draft_article, state=ArticleState.REVIEW, actor=agent)
    assert fresh(draft_article).state == ArticleState.REVIEW

    with pytest.raises(PermissionDenied):
        article_move(article=fresh(draft_article), state=ArticleState.PUBLISHED, actor=agent)
    assert fresh(draft_article).state == ArticleState.REVIEW
    assert fresh(draft_article).published_at is None

    article_move(article=fresh(draft_article), state=ArticleState.PUBLISHED, actor=supervisor)
    assert fresh(draft_article).state == ArticleState.PUBLISHED


def test_a_draft_cannot_be_archived_and_says_why(draft_article, supervisor):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        article_move(article=draft_article, state=ArticleState.ARCHIVED, actor=supervisor)
    assert caught.value.messages == ["An article cannot go from “Draft” to “Archived”."]
    assert fresh(draft_article).state == ArticleState.DRAFT


def test_an_unknown_state_is_refused(public_article, supervisor):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        article_move(article=public_article, state="deleted", actor=supervisor)
    assert caught.value.messages == ["An article cannot go from “Published” to “deleted”."]
    assert fresh(public_article).state == ArticleState.PUBLISHED


def test_a_collaborator_cannot_create_or_publish(collaborator, draft_article):
    with pytest.raises(PermissionDenied):
        make_article(collaborator, state=ArticleState.DRAFT)
    with pytest.raises(PermissionDenied):
        article_move(article=draft_article, state=ArticleState.PUBLISHED, actor=collaborator)
    assert Article.objects.filter(owner=collaborator).count() == 0
    assert fresh(draft_article).state == ArticleState.DRAFT


# --- Versions and conflicts -------------------------------------------------------------


def test_editing_saves_a_new_version_and_keeps_the_old_text(public_article, agent, editor):
    saved = edit(
        public_article,
        agent,
        title="Configurer le Wi-Fi invité (2025)",
        body="Nouveau mot de passe affiché à l'accueil.",
        tags=[" Wi-Fi ", "wi-fi", "Invités"],
        summary="Nouvelle procédure",
    )
    assert saved.version == 2
    article = fresh(public_article)
    assert article.version == 2
    assert article.body == "Nouveau mot de passe affiché à l'accueil."
    assert article.tags == ["wi-fi", "invités"]
    versions = list(ArticleVersion.objects.filter(article=article).order_by("number"))
    assert [(v.number, v.author) for v in versions] == [(1, editor), (2, agent)]
    assert versions[1].summary == "Nouvelle procédure"
    assert versions[0].title == "Configurer le Wi-Fi invité"
    assert versions[0].body == public_article.body
    assert versions[1].body == "Nouveau mot de passe affiché à l'accueil."


def test_a_stale_edit_is_a_conflict_and_loses_nothing(public_article, agent, supervisor):
    loaded_by_agent = fresh(public_article)
    loaded_by_supervisor = fresh(public_article)
    edit(loaded_by_supervisor, supervisor, body="Version du superviseur.")

    with pytest.raises(ArticleConflict) as caught:
        edit(loaded_by_agent, agent, body="Version de l'agent.", expected_version=1)

    assert caught.value.article.version == 2
    assert caught.value.article.body == "Version du superviseur."
    article = fresh(public_article)
    assert (article.version, article.body) == (2, "Version du superviseur.")
    assert ArticleVersion.objects.filter(article=article).count() == 2
    assert not ArticleVersion.objects.filter(body="Version de l'agent.").exists()


def test_an_edit_without_title_is_refused_and_saves_nothing(public_article, agent):
    with pytest.raises(ValidationError) as caught:
        edit(public_article, agent, title="   ")
    assert set(caught.value.message_dict) == {"title"}
    assert fresh(public_article).version == 1
    assert ArticleVersion.objects.filter(article=public_article).count() == 1


def test_a_collaborator_cannot_edit(public_article, collaborator):
    with pytest.raises(PermissionDenied):
        edit(public_article, collaborator, body="Vandalisme")
    assert fresh(public_article).body == public_article.body
    assert fresh(public_article).version == 1


# --- Feedback and views -----------------------------------------------------------------


def counts(article: Article) -> tuple[int, int]:
    article = fresh(article)
    return article.useful_count, article.not_useful_count


def test_one_answer_per_reader_the_latest_counts(public_article, collaborator, agent):
    article_feedback(article=public_article, actor=collaborator, useful=True)
    article_feedback(article=public_article, actor=collaborator, useful=True)
    assert counts(public_article) == (1, 0)
    assert ArticleFeedback.objects.filter(article=public_article).count() == 1

    article_feedback(article=public_article, actor=collaborator, useful=False, comment="Obsolète")
    assert counts(public_article) == (0, 1)
    answer = ArticleFeedback.objects.get(article=public_article, user=collaborator)
    assert (answer.useful, answer.comment) == (False, "Obsolète")

    article_feedback(article=public_article, actor=agent, useful=True)
    assert counts(public_article) == (1, 1)
    assert ArticleFeedback.objects.filter(article=public_article).count() == 2


def test_counts_never_go_negative(public_article, collaborator):
    article_feedback(article=public_article, actor=collaborator, useful=True)
    # Counters reset by hand (e.g. after a rewrite) while the answers stay.
    Article.objects.filter(pk=public_article.pk).update(useful_count=0, not_useful_count=0)

    article_feedback(article=public_article, actor=collaborator, useful=False)

    assert counts(public_article) == (0, 1)


def test_a_reader_cannot_answer_about_an_article_they_cannot_read(
    draft_article, desk_article, collaborator
):
    for article in (draft_article, desk_article):
        with pytest.raises(PermissionDenied):
            article_feedback(article=article, actor=collaborator, useful=True)
        assert counts(article) == (0, 0)
    assert not ArticleFeedback.objects.exists()


def test_each_view_is_counted_without_a_new_version(public_article):
    updated_at = fresh(public_article).updated_at
    article_viewed(public_article)
    article_viewed(public_article)
    article = fresh(public_article)
    assert article.view_count == 2
    assert article.version == 1
    assert article.updated_at == updated_at


# --- Articles written from tickets ------------------------------------------------------

CANARY = "NOTE-INTERNE-5d1e8b"


def resolve(ticket: Ticket, agent: User, resolution: str = "") -> Ticket:
    changes: dict[str, object] = {"status": TicketStatus.RESOLVED}
    if resolution:
        changes["resolution"] = resolution
    ticket_update(ticket=ticket, actor=agent, changes=changes, expected_version=ticket.version)
    return Ticket.objects.get(pk=ticket.pk)


def test_a_resolved_ticket_becomes_a_draft_without_internal_notes(ticket, team_agent, requester):
    ticket_reply(ticket=ticket, actor=team_agent, body="Avez-vous redémarré la box ?")
    ticket_reply(ticket=ticket, actor=requester, body="Oui, toujours pareil.")
    ticket_reply(ticket=ticket, actor=team_agent, body=f"Compte VPN bloqué {CANARY}", internal=True)
    resolved = resolve(ticket, team_agent, resolution="Certificat VPN renouvelé sur le poste.")

    article = article_from_ticket(ticket=resolved, actor=team_agent)

    assert article.state == ArticleState.DRAFT
    assert article.title == "Le VPN se déconnecte"
    assert article.owner == team_agent
    assert article.source_ticket == resolved
    assert article.category == resolved.category
    assert "Depuis ce matin, toutes les 10 minutes." in article.body
    assert "Certificat VPN renouvelé sur le poste." in article.body
    assert CANARY not in article.body
    assert CANARY not in article.title
    assert ArticleVersion.objects.get(article=article).body == article.body


def test_without_resolution_the_last_desk_reply_is_the_solution_never_a_note(
    ticket, team_agent, requester
):
    ticket_reply(ticket=ticket, actor=team_agent, body="Réinstallez FortiClient 7.2.")
    ticket_reply(ticket=ticket, actor=requester, body="Merci, cela fonctionne.")
    ticket_reply(ticket=ticket, actor=team_agent, body=f"Vu avec le N2 {CANARY}", internal=True)
    resolved = resolve(ticket, team_agent)

    article = article_from_ticket(ticket=resolved, actor=team_agent)

    assert "Réinstallez FortiClient 7.2." in article.body
    assert "Merci, cela fonctionne." not in article.body
    assert CANARY not in article.body


def test_an_open_ticket_cannot_become_an_article(ticket, team_agent):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        article_from_ticket(ticket=ticket, actor=team_agent)
    assert caught.value.messages == ["Only a resolved or closed ticket can become an article."]
    assert not Article.objects.exists()


def test_only_the_desk_working_on_the_ticket_writes_the_article(
    ticket, team_agent, other_agent, requester, supervisor
):
    resolved = resolve(ticket, team_agent)
    for outsider in (other_agent, requester):
        with pytest.raises(PermissionDenied):
            article_from_ticket(ticket=resolved, actor=outsider)
    assert not Article.objects.exists()

    article = article_from_ticket(ticket=resolved, actor=supervisor)
    assert article.owner == supervisor


# --- Review reminders -------------------------------------------------------------------


def reminders_to(user: User) -> list[OutboxMessage]:
    return [
        m
        for m in OutboxMessage.objects.filter(kind=OutboxKind.EMAIL)
        if m.payload["to"] == [user.email]
    ]


def test_a_due_article_reminds_its_owner_once(editor):
    today = timezone.localdate()
    due = make_article(editor, title="Badge perdu", review_by=today - timedelta(days=1))
    make_article(editor, title="Pas encore", review_by=today + timedelta(days=1))
    make_article(
        editor, title="Brouillon dû", state=ArticleState.DRAFT, review_by=today - timedelta(days=3)
    )

    with translation.override("en"):
        assert articles_review_reminders(today=today) == 1
        assert articles_review_reminders(today=today) == 0

    mails = reminders_to(editor)
    assert len(mails) == 1
    assert mails[0].payload["subject"] == "Article to review: Badge perdu"
    assert f"/connaissances/{due.pk}/" in mails[0].payload["text"]
    assert fresh(due).review_reminded_on == today

    # The next day only the article that has just become due is reminded.
    with translation.override("en"):
        assert articles_review_reminders(today=today + timedelta(days=1)) == 1
    subjects = sorted(m.payload["subject"] for m in reminders_to(editor))
    assert subjects == ["Article to review: Badge perdu", "Article to review: Pas encore"]


def test_no_reminder_to_an_inactive_owner(editor):
    today = timezone.localdate()
    make_article(editor, review_by=today)
    User.objects.filter(pk=editor.pk).update(is_active=False)

    assert articles_review_reminders(today=today) == 0
    assert reminders_to(editor) == []


def test_saving_a_due_article_as_asked_sets_its_next_review(editor):
    """The reminder says "save it (even unchanged) to set its next review date"."""
    today = timezone.localdate()
    article = make_article(editor, review_by=today - timedelta(days=1))
    assert articles_review_reminders(today=today) == 1

    edit(fresh(article), editor)  # unchanged, as the e-mail suggests

    assert fresh(article).review_by > today
    assert articles_review_reminders(today=today + timedelta(days=1)) == 0
    assert len(reminders_to(editor)) == 1


# --- Differences between versions ------------------------------------------------------


def test_version_diff_marks_added_and_removed_lines(public_article, agent):
    edit(
        fresh(public_article),
        agent,
        title="Wi-Fi invité",
        body="Ouvrez le portail.\nChoisissez Wi-Fi.\nValidez.",
    )
    edit(
        fresh(public_article),
        agent,
        title="Wi-Fi invité",
        body="Ouvrez le portail.\nChoisissez Invités.\nValidez.\nDéconnectez-vous.",
    )
    v2, v3 = ArticleVersion.objects.filter(article=public_article, number__in=[2, 3]).order_by(
        "number"
    )

    lines = [(line.kind, line.text) for line in selectors.version_diff(v2, v3)]

    assert lines == [
        ("same", "# Wi-Fi invité"),
        ("same", "Ouvrez le portail."),
        ("removed", "Choisissez Wi-Fi."),
        ("added", "Choisissez Invités."),
        ("same", "Validez."),
        ("added", "Déconnectez-vous."),
    ]


def test_version_diff_shows_a_new_title(public_article, agent):
    edit(fresh(public_article), agent, title="Wi-Fi des visiteurs")
    v1, v2 = ArticleVersion.objects.filter(article=public_article).order_by("number")
    kinds = [(line.kind, line.text) for line in selectors.version_diff(v1, v2)][:2]
    assert kinds == [
        ("removed", "# Configurer le Wi-Fi invité"),
        ("added", "# Wi-Fi des visiteurs"),
    ]


# --- Search index -----------------------------------------------------------------------


def found(query: str, user: User) -> set[int]:
    return {h.object_id for h in search(query, user, kinds=["article"]).hits}


def test_the_search_index_follows_the_article(editor, collaborator, supervisor):
    article = make_article(
        editor,
        title="Trombinoscope introuvable",
        body="Le trombinoscope se trouve dans l'intranet.",
        state=ArticleState.DRAFT,
    )
    assert article.pk not in found("trombinoscope", collaborator)

    article_move(article=article, state=ArticleState.PUBLISHED, actor=supervisor)
    assert article.pk in found("trombinoscope", collaborator)

    article_move(article=fresh(article), state=ArticleState.ARCHIVED, actor=supervisor)
    assert article.pk not in found("trombinoscope", collaborator)
    assert article.pk not in found("trombinoscope", supervisor)


def test_a_desk_only_article_is_not_found_by_a_collaborator(editor, collaborator, agent):
    article = make_article(
        editor,
        title="Console des jetons matériels",
        body="Réservée au support.",
        audience=Audience.AGENTS,
    )
    assert article.pk in found("jetons matériels", agent)
    assert article.pk not in found("jetons matériels", collaborator)


def test_a_new_agent_role_does_not_need_a_reindex(editor):
    """Audience is checked at query time: a collaborator promoted to agent finds desk articles."""
    person = UserFactory(role=Role.COLLABORATOR)
    article = make_article(editor, title="Console des jetons", audience=Audience.AGENTS)
    assert article.pk not in found("console jetons", person)
    User.objects.filter(pk=person.pk).update(role=Role.AGENT)
    assert article.pk in found("console jetons", User.objects.get(pk=person.pk))
