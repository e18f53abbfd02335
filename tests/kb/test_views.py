"""The knowledge base through its screens: list, article page, feedback, edit form with
conflicts, history, and the ticket → article button."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from relais.kb.models import Article, ArticleFeedback, ArticleState, Audience
from relais.kb.services import ArticleDraft, article_update
from relais.tickets.choices import TicketStatus
from relais.tickets.models import Category
from relais.tickets.services import ticket_reply, ticket_update
from tests.conftest import api_client_for, client_for
from tests.kb.conftest import make_article

pytestmark = pytest.mark.django_db

CONFLICT = (
    "Someone else saved this article while you were editing it. Your text is kept below: "
    "compare it with the current version (open it in another tab), then save again."
)


def detail_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/connaissances/(\d+)/"', html)}


def card_links(html: str) -> list[int]:
    """The articles listed in the page's main list (not the "most read" panel)."""
    cards = html.split('<ul class="ticket-cards">', 1)
    if len(cards) == 1:
        return []
    return [
        int(pk) for pk in re.findall(r'ticket-card__title" href="/connaissances/(\d+)/"', cards[1])
    ]


def categories() -> tuple[Category, Category]:
    roots = list(Category.objects.filter(parent=None, is_active=True).order_by("pk")[:2])
    return roots[0], roots[1]


# --- List -------------------------------------------------------------------------------


def test_a_collaborator_lists_only_articles_published_for_everyone(
    editor, supervisor, collaborator
):
    public = make_article(editor, title="Imprimer en recto verso")
    desk = make_article(editor, title="Procédure jetons", audience=Audience.AGENTS)
    draft = make_article(editor, title="Brouillon scanner", state=ArticleState.DRAFT)
    archived = make_article(editor, title="Ancien intranet")
    archived.state = ArticleState.ARCHIVED
    archived.save()

    response = client_for(collaborator).get(reverse("kb:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert card_links(html) == [public.pk]
    assert detail_links(html) == {public.pk}
    for hidden in (desk, draft, archived):
        assert hidden.title not in html


def test_the_desk_filters_the_list_by_state(editor, agent):
    make_article(editor, title="Publié A")
    draft = make_article(editor, title="Brouillon B", state=ArticleState.DRAFT)

    response = client_for(agent).get(reverse("kb:list"), {"etat": ArticleState.DRAFT})

    assert card_links(response.content.decode()) == [draft.pk]


def test_the_list_is_paginated(editor, collaborator):
    articles = [make_article(editor, title=f"Article numéro {n}") for n in range(30)]
    newest_first = [a.pk for a in reversed(articles)]
    c = client_for(collaborator)

    first = c.get(reverse("kb:list"))
    second = c.get(reverse("kb:list"), {"page": 2})

    assert card_links(first.content.decode()) == newest_first[:25]
    assert card_links(second.content.decode()) == newest_first[25:]
    assert first.context["page"].paginator.count == 30
    assert 'rel="next"' in first.content.decode()


def test_the_category_filter_keeps_to_its_category_across_pages(editor, collaborator):
    network, other = categories()
    in_network = [make_article(editor, title=f"Réseau {n}", category=network) for n in range(27)]
    elsewhere = make_article(editor, title="Ailleurs", category=other)
    c = client_for(collaborator)

    first = c.get(reverse("kb:list"), {"categorie": network.pk})
    html = first.content.decode()
    assert elsewhere.pk not in card_links(html)
    assert len(card_links(html)) == 25
    next_link = re.search(r'href="\?([^"]*)" rel="next"', html)
    assert next_link is not None
    query = next_link.group(1).replace("&amp;", "&")
    assert f"categorie={network.pk}" in query.split("&")

    second = c.get(reverse("kb:list") + "?" + query)
    shown = card_links(first.content.decode()) + card_links(second.content.decode())
    assert sorted(shown) == sorted(a.pk for a in in_network)


def test_an_unknown_category_or_state_is_ignored(editor, collaborator):
    article = make_article(editor)
    response = client_for(collaborator).get(
        reverse("kb:list"), {"categorie": "abc", "etat": "owner__password"}
    )
    assert response.status_code == 200
    assert card_links(response.content.decode()) == [article.pk]


# --- Article page -----------------------------------------------------------------------


def test_the_article_page_renders_sanitised_markdown_and_counts_a_view(editor, collaborator):
    article = make_article(
        editor,
        body=(
            "Ouvrez **Mon compte**.\n\n"
            "<script>window.__xss = 1</script>\n\n"
            '<img src="x" onerror="window.__xss = 2">\n\n'
            "[cliquez](javascript:window.__xss=3)"
        ),
    )

    response = client_for(collaborator).get(reverse("kb:detail", args=[article.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    prose = html.split('<article class="prose panel">', 1)[1].split("</article>", 1)[0]
    assert "<strong>Mon compte</strong>" in prose
    assert "<script" not in prose
    assert "onerror" not in prose
    assert "javascript:" not in prose
    assert "<script>window.__xss" not in html
    assert Article.objects.get(pk=article.pk).view_count == 1


def test_feedback_from_the_article_page(public_article, collaborator):
    c = client_for(collaborator)
    url = reverse("kb:feedback", args=[public_article.pk])

    response = c.post(url, {"useful": "0", "comment": "Le lien est cassé."})

    assert response.status_code == 302
    assert response["Location"] == reverse("kb:detail", args=[public_article.pk])
    answer = ArticleFeedback.objects.get(article=public_article, user=collaborator)
    assert (answer.useful, answer.comment) == (False, "Le lien est cassé.")
    page = c.get(reverse("kb:detail", args=[public_article.pk]))
    assert page.context["feedback"] == answer

    c.post(url, {"useful": "1"})
    article = Article.objects.get(pk=public_article.pk)
    assert (article.useful_count, article.not_useful_count) == (1, 0)


def test_feedback_without_an_answer_records_nothing(public_article, collaborator):
    response = client_for(collaborator).post(
        reverse("kb:feedback", args=[public_article.pk]), {"comment": "?"}
    )
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert not ArticleFeedback.objects.exists()
    article = Article.objects.get(pk=public_article.pk)
    assert (article.useful_count, article.not_useful_count) == (0, 0)


def test_only_editors_see_the_publish_buttons(draft_article, agent, supervisor):
    agent_moves = client_for(agent).get(reverse("kb:detail", args=[draft_article.pk]))
    editor_moves = client_for(supervisor).get(reverse("kb:detail", args=[draft_article.pk]))
    assert [s for s, _ in agent_moves.context["moves"]] == [ArticleState.REVIEW]
    assert [s for s, _ in editor_moves.context["moves"]] == [
        ArticleState.PUBLISHED,
        ArticleState.REVIEW,
    ]


def test_a_refused_move_tells_why_and_changes_nothing(draft_article, supervisor):
    response = client_for(supervisor).post(
        reverse("kb:move", args=[draft_article.pk]), {"state": ArticleState.ARCHIVED}
    )
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert Article.objects.get(pk=draft_article.pk).state == ArticleState.DRAFT


# --- Writing ----------------------------------------------------------------------------


def test_an_agent_writes_a_new_draft(agent):
    response = client_for(agent).post(
        reverse("kb:new"),
        {
            "title": "Partager un agenda",
            "body": "Dans Outlook, clic droit sur l'agenda.",
            "tags": "agenda, Outlook, agenda",
            "audience": Audience.EVERYONE,
        },
    )
    article = Article.objects.get(title="Partager un agenda")
    assert response.status_code == 302
    assert response["Location"] == reverse("kb:detail", args=[article.pk])
    assert (article.state, article.owner, article.tags) == (
        ArticleState.DRAFT,
        agent,
        ["agenda", "outlook"],
    )


def edit_form(article: Article, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": article.title,
        "body": article.body,
        "tags": ", ".join(article.tags),
        "audience": article.audience,
        "summary": "",
        "version": article.version,
    }
    data.update(overrides)
    return data


def test_the_edit_form_saves_a_new_version(public_article, agent):
    c = client_for(agent)
    form = c.get(reverse("kb:edit", args=[public_article.pk]))
    assert form.status_code == 200
    assert form.context["form"]["version"].value() == 1

    response = c.post(
        reverse("kb:edit", args=[public_article.pk]),
        edit_form(public_article, body="Nouveau texte.", summary="Mise à jour"),
    )

    assert response.status_code == 302
    article = Article.objects.get(pk=public_article.pk)
    assert (article.version, article.body) == (2, "Nouveau texte.")


def test_a_stale_edit_shows_a_conflict_and_keeps_the_text(public_article, agent, supervisor):
    c = client_for(agent)
    loaded = c.get(reverse("kb:edit", args=[public_article.pk])).context["form"]["version"].value()
    article_update(
        article=public_article,
        draft=ArticleDraft(title=public_article.title, body="Texte du superviseur."),
        actor=supervisor,
        expected_version=loaded,
    )
    mine = "Mon texte, écrit pendant que le superviseur enregistrait."

    response = c.post(
        reverse("kb:edit", args=[public_article.pk]),
        edit_form(public_article, body=mine, version=loaded),
    )

    assert response.status_code == 200
    form = response.context["form"]
    with translation.override("fr"):
        assert form.non_field_errors() == [gettext(CONFLICT)]
    html = response.content.decode()
    assert mine in html
    assert form["version"].value() == "2"
    article = Article.objects.get(pk=public_article.pk)
    assert (article.version, article.body) == (2, "Texte du superviseur.")

    # Saving again, knowingly, goes through.
    again = c.post(
        reverse("kb:edit", args=[public_article.pk]),
        edit_form(public_article, body=mine, version=form["version"].value()),
    )
    assert again.status_code == 302
    assert Article.objects.get(pk=public_article.pk).body == mine


def test_the_history_page_shows_what_changed(public_article, agent):
    client_for(agent).post(
        reverse("kb:edit", args=[public_article.pk]),
        edit_form(public_article, body="Ligne gardée.\nLigne ajoutée.", summary="Réécriture"),
    )

    response = client_for(agent).get(reverse("kb:history", args=[public_article.pk]))

    assert response.status_code == 200
    assert [v.number for v in response.context["versions"]] == [2, 1]
    html = response.content.decode()
    assert re.search(r"<del class=\"diff__line diff__line--removed\">.*?Ouvrez le portail", html)
    assert re.search(r"<ins class=\"diff__line diff__line--added\">.*?Ligne ajoutée\.</ins>", html)
    assert "Réécriture" in html
    missing = client_for(agent).get(
        reverse("kb:history", args=[public_article.pk]), {"a": 1, "b": 9}
    )
    assert missing.status_code == 404


# --- Ticket → article -------------------------------------------------------------------


def test_turning_a_resolved_ticket_into_an_article_opens_its_draft(ticket, team_agent):
    ticket_reply(ticket=ticket, actor=team_agent, body="Note N2 CANARI-44", internal=True)
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED, "resolution": "Profil VPN réinstallé."},
        expected_version=ticket.version,
    )

    response = client_for(team_agent).post(reverse("kb:from_ticket", args=[ticket.reference]))

    article = Article.objects.get(source_ticket=ticket)
    assert response.status_code == 302
    assert response["Location"] == reverse("kb:edit", args=[article.pk])
    assert article.state == ArticleState.DRAFT
    page = client_for(team_agent).get(response["Location"]).content.decode()
    assert "Profil VPN réinstallé." in page
    assert "CANARI-44" not in page


def test_an_open_ticket_stays_a_ticket(ticket, team_agent):
    response = client_for(team_agent).post(reverse("kb:from_ticket", args=[ticket.reference]))
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.reference])
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert not Article.objects.exists()


def test_the_requester_cannot_turn_their_ticket_into_an_article(ticket, team_agent, requester):
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED},
        expected_version=ticket.version,
    )
    response = client_for(requester).post(reverse("kb:from_ticket", args=[ticket.reference]))
    assert response.status_code == 404
    assert not Article.objects.exists()


# --- Query counts -----------------------------------------------------------------------


def _fill(editor, count: int, category: Category) -> list[Article]:  # type: ignore[no-untyped-def]
    made = []
    for n in range(count):
        made.append(
            make_article(
                editor,
                title=f"Article {n}",
                category=category,
                audience=Audience.AGENTS if n % 3 == 0 else Audience.EVERYONE,
                state=ArticleState.DRAFT if n % 5 == 0 else ArticleState.PUBLISHED,
            )
        )
    return made


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["collaborator", "agent"])
def test_list_queries_do_not_grow_with_the_articles(
    request, editor, role, django_assert_max_num_queries
):
    reader = request.getfixturevalue(role)
    category, _ = categories()
    c = client_for(reader)
    api = api_client_for(reader)
    _fill(editor, 3, category)
    c.get(reverse("kb:list"))  # warm the session, the token and the caches
    api.get("/api/v1/articles")
    small = _queries(c, reverse("kb:list"))
    small_api = _queries(api, "/api/v1/articles")
    _fill(editor, 27, category)

    # session, user, count, page, categories, most read
    with django_assert_max_num_queries(6):
        c.get(reverse("kb:list"))
    assert _queries(c, reverse("kb:list")) == small
    assert _queries(c, reverse("kb:list") + f"?categorie={category.pk}") == small
    with django_assert_max_num_queries(3):
        api.get("/api/v1/articles")
    assert _queries(api, "/api/v1/articles") == small_api


@pytest.mark.parametrize("role", ["collaborator", "supervisor"])
def test_detail_queries_do_not_grow_with_related_articles(
    request, editor, role, django_assert_max_num_queries
):
    reader = request.getfixturevalue(role)
    category, _ = categories()
    article = make_article(editor, title="Article principal", category=category)
    c = client_for(reader)
    url = reverse("kb:detail", args=[article.pk])
    article.related.set(_fill(editor, 3, category))
    c.get(url)
    small = _queries(c, url)
    article.related.set(_fill(editor, 30, category))

    # session, user, article, view counts (all-time and the day's), feedback, related,
    # (categories of the breadcrumb)
    with django_assert_max_num_queries(8):
        response = c.get(url)
    assert len(response.context["related"]) == 10
    assert _queries(c, url) == small


def test_the_ticket_page_offers_the_article_draft_once_resolved(ticket, team_agent):
    from relais.tickets.choices import TicketStatus
    from relais.tickets.services import ticket_update

    page = client_for(team_agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert b"vers-article" not in page.content
    ticket_update(
        ticket=ticket,
        actor=team_agent,
        changes={"status": TicketStatus.RESOLVED, "resolution": "Box redémarrée."},
        expected_version=ticket.version,
    )
    page = client_for(team_agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert f"/demandes/{ticket.reference}/vers-article/".encode() in page.content


def test_an_editor_links_related_articles_from_the_edit_form(editor, collaborator):
    from tests.kb.conftest import make_article

    main = make_article(editor, title="VPN au domicile")
    other = make_article(editor, title="Jeton VPN perdu")
    hidden = make_article(editor, title="Brouillon VPN", state=ArticleState.DRAFT)
    page = client_for(editor).get(reverse("kb:edit", args=[main.pk])).content.decode()
    assert "Jeton VPN perdu" in page and "Brouillon VPN" not in page  # published ones only
    data = {
        "title": main.title,
        "body": main.body,
        "audience": "everyone",
        "version": main.version,
        "related": [str(other.pk)],
    }
    assert client_for(editor).post(reverse("kb:edit", args=[main.pk]), data).status_code == 302
    assert list(main.related.all()) == [other]
    detail = client_for(collaborator).get(reverse("kb:detail", args=[main.pk])).content.decode()
    assert "Jeton VPN perdu" in detail
    data["related"] = [str(hidden.pk)]
    data["version"] = main.version + 1
    response = client_for(editor).post(reverse("kb:edit", args=[main.pk]), data)
    assert response.status_code == 200  # a draft is not a choice: the form says so
    assert list(main.related.all()) == [other]
