"""The search service through the database: index upkeep, permissions, ranking, logging."""

from __future__ import annotations

import pytest

from relais.community.services import answer_accept, answer_post, member_join, question_ask
from relais.kb.models import ArticleState, Audience
from relais.kb.services import ArticleDraft, article_move, article_update
from relais.search.engine import search
from relais.search.models import SearchEntry, ZeroResultQuery
from relais.search.services import synonym_group_save
from relais.tickets.services import ticket_reply
from tests.factories import UserFactory
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db


def titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


def test_a_published_article_is_found_at_once_in_french_words(publish, collaborator):
    publish(
        "Imprimer depuis son poste avec le badge",
        "Envoyez le document sur la file d'impression, puis passez votre badge sur le copieur.",
        tags=["impression", "badge"],
    )
    found = search("imprimantes", collaborator)
    assert titles(found) == ["Imprimer depuis son poste avec le badge"]
    assert "<mark>" in str(found.hits[0].title_html)


def test_accents_case_and_elisions_do_not_matter(publish, collaborator):
    publish("Accéder à l'extranet des locataires", "Ouvrez l'adresse de l'extranet.")
    for query in ("ACCEDER EXTRANET", "accéder à l’extranet", "acce\u0301der extranet"):
        assert titles(search(query, collaborator)) == ["Accéder à l'extranet des locataires"]


def test_drafts_and_archived_articles_are_not_found(publish, supervisor, collaborator):
    publish("Brouillon sur le scanner", "Texte du brouillon.", state=ArticleState.DRAFT)
    article = publish("Scanner vers la messagerie", "Numériser un document.")
    assert titles(search("scanner", collaborator)) == ["Scanner vers la messagerie"]
    article_move(article=article, state=ArticleState.ARCHIVED, actor=supervisor)
    assert search("scanner", collaborator).hits == []
    assert not SearchEntry.objects.filter(kind="article").exists()


def test_an_edit_is_searchable_and_the_old_words_are_gone(publish, supervisor, collaborator):
    article = publish("Configurer la signature", "Dans Outlook, ouvrez les options.")
    # Found once before the edit: its parsed entry is in this process's cache.
    assert titles(search("signature outlook", collaborator)) == ["Configurer la signature"]
    article_update(
        article=article,
        draft=ArticleDraft(title="Configurer la signature", body="Dans le webmail, réglages."),
        actor=supervisor,
        expected_version=article.version,
    )
    assert titles(search("webmail", collaborator)) == ["Configurer la signature"]
    assert search("outlook", collaborator).hits == []


def test_a_question_is_found_by_the_words_of_its_accepted_answer(collaborator):
    helper = UserFactory()
    member_join(user=collaborator)  # posting in the community is for members
    member_join(user=helper)
    question = question_ask(author=collaborator, title="Écran noir au démarrage", body="Rien.")
    answer = answer_post(question=question, author=helper, body="Débranchez la station d'accueil.")
    assert search("station accueil", collaborator).hits == []
    answer_accept(answer=answer, actor=collaborator)
    found = search("station accueil", collaborator)
    assert [(h.kind, h.object_id) for h in found.hits] == [("question", question.pk)]


def test_a_desk_only_article_never_reaches_a_collaborator(publish, collaborator, agent):
    publish(
        "Procédure interne jeton", "Console d'administration zorglub.", audience=Audience.AGENTS
    )
    publish("Jeton VPN perdu", "Appelez le 4000.")
    found = search("jeton zorglub", collaborator)
    assert titles(found) == ["Jeton VPN perdu"]
    assert "zorglub" not in "".join(str(h.snippet) + h.title for h in found.hits)
    assert "Procédure interne jeton" in titles(search("jeton zorglub", agent))


def test_tickets_are_found_only_by_those_who_may_see_them(requester, vpn_category, team_agent):
    ticket = open_ticket(requester, vpn_category, title="Imprimante bloquée au 3e étage")
    stranger = UserFactory()
    assert search("imprimante", stranger, kinds=["ticket"]).hits == []
    own = search("imprimante", requester, kinds=["ticket"])
    assert [h.object_id for h in own.hits] == [ticket.pk]
    assert [h.object_id for h in search("imprimante", team_agent).hits] == [ticket.pk]


def test_internal_notes_are_never_indexed(requester, vpn_category, team_agent):
    ticket = open_ticket(requester, vpn_category)
    ticket_reply(ticket=ticket, actor=team_agent, body="canari-kq7 interne", internal=True)
    for user in (requester, team_agent):
        assert search("canari-kq7", user).hits == []
    assert not SearchEntry.objects.filter(text__contains="canari").exists()


def test_a_typo_is_repaired_with_a_did_you_mean(publish, collaborator):
    publish("Bourrage papier dans le copieur", "Ouvrez le capot et retirez la feuille.")
    found = search("bourage", collaborator)
    assert titles(found) == ["Bourrage papier dans le copieur"]
    assert found.suggestion == "bourrage"


def test_admin_synonyms_apply_to_the_next_search(publish, collaborator):
    publish("Demander un ordinateur portable", "Faites la demande dans le portail.")
    assert search("zigouigoui", collaborator).hits == []
    synonym_group_save(phrases="zigouigoui | ordinateur")
    assert titles(search("zigouigoui", collaborator)) == ["Demander un ordinateur portable"]


def test_searches_without_results_are_counted_without_the_user(collaborator):
    search("xylophone quantique", collaborator)
    search("Xylophone  quantique", collaborator)
    gap = ZeroResultQuery.objects.get()
    assert gap.count == 2
    assert not hasattr(gap, "user")


def test_suggestions_complete_the_last_word(publish, collaborator):
    publish("Messagerie vocale du poste fixe", "Consultez votre messagerie vocale.")
    found = search("messagerie voc", collaborator, prefix=True, log_empty=False)
    assert titles(found) == ["Messagerie vocale du poste fixe"]


def test_query_count_does_not_grow_with_the_hits(
    publish, collaborator, django_assert_max_num_queries
):
    for n in range(3):
        publish(f"Wifi du siège {n}", "Le réseau wifi ORG-PRO.")
    search("wifi", collaborator)  # warm the in-process vocabulary
    with django_assert_max_num_queries(5):
        few = search("wifi", collaborator)
    for n in range(3, 30):
        publish(f"Wifi du siège {n}", "Le réseau wifi ORG-PRO.")
    search("wifi", collaborator)
    with django_assert_max_num_queries(5):
        many = search("wifi", collaborator)
    assert len(few.hits) == 3 and len(many.hits) == 10


def test_a_question_closed_as_duplicate_leaves_the_index(collaborator, supervisor):
    from relais.community.services import member_join, question_close_duplicate

    member_join(user=collaborator)
    original = question_ask(author=collaborator, title="Imprimante bloquée", body="Bourrage.")
    again = question_ask(author=collaborator, title="Imprimante bloquée encore", body="Bourrage.")
    assert len(search("imprimante", collaborator, kinds=["question"]).hits) == 2
    question_close_duplicate(question=again, original=original, actor=supervisor)
    hits = search("imprimante", collaborator, kinds=["question"]).hits
    assert [h.object_id for h in hits] == [original.pk]


def test_a_deflection_only_points_to_an_answer_the_user_may_find(publish, collaborator, agent):
    from relais.search.models import Deflection
    from relais.search.services import AnswerUnavailable, deflection_record

    internal = publish("Console jetons", "Réservé.", audience=Audience.AGENTS)
    with pytest.raises(AnswerUnavailable):
        deflection_record(user=collaborator, query="jeton", kind="article", object_id=internal.pk)
    with pytest.raises(AnswerUnavailable):
        deflection_record(user=collaborator, query="jeton", kind="poster", object_id=1)
    _deflection, hit = deflection_record(
        user=agent, query="jeton", kind="article", object_id=internal.pk
    )
    assert hit.url == f"/connaissances/{internal.pk}/"
    assert Deflection.objects.count() == 1


def test_a_long_article_is_found_with_its_vector_kept_in_the_row(publish, collaborator):
    """PostgreSQL keeps the knowledge entries' tsvector inside the row (migration 0009: the
    candidate query ranks every match without a TOAST lookup each); a long article is still
    indexed and found whole."""
    from django.db import connection

    long_body = " ".join(f"Étape {n} : vérifiez le câble réseau numéro {n}." for n in range(300))
    publish("Procédure réseau très détaillée", long_body + " Redémarrez le commutateur.")
    assert titles(search("commutateur", collaborator)) == ["Procédure réseau très détaillée"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = 'search_searchentry'::regclass AND attname = 'tsv'"
            )
            assert cursor.fetchone()[0] == "m"
