"""Search through the screens and the API: results page, suggestions, deflection."""

from __future__ import annotations

import pytest

from relais.kb.models import Audience
from relais.search.models import Deflection
from relais.tickets.models import Ticket
from tests.conftest import api_client_for, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(publish):
    return {
        "public": publish("Réinitialiser son mot de passe", "Allez sur le portail mot de passe."),
        "internal": publish(
            "Console des mots de passe", "Réservé au guichet.", audience=Audience.AGENTS
        ),
    }


def test_results_page_groups_hits_and_marks_matches(articles, collaborator):
    response = client_for(collaborator).get("/recherche/", {"q": "mot de passe"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Réinitialiser son <mark>mot</mark> de <mark>passe</mark>" in html
    assert "Console des mots de passe" not in html


def test_results_page_escapes_the_query_and_offers_did_you_mean(articles, collaborator):
    html = client_for(collaborator).get("/recherche/", {"q": "<script>x</script>"}).content
    assert b"<script>x" not in html
    html = client_for(collaborator).get("/recherche/", {"q": "reinitialisr"}).content.decode()
    assert "Réinitialiser" in html


def test_anonymous_search_goes_to_login():
    response = client_for(None).get("/recherche/", {"q": "vpn"})
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_suggestions_fragment_while_typing(articles, collaborator, agent):
    html = client_for(collaborator).get("/recherche/suggestions/", {"q": "mot de pa"}).content
    assert "Réinitialiser".encode() in html and b"Console" not in html
    assert b"Console" in client_for(agent).get("/recherche/suggestions/", {"q": "console"}).content


def test_deflection_records_and_opens_no_ticket(articles, collaborator):
    before = Ticket.objects.count()
    response = client_for(collaborator).post(
        "/recherche/resolu/",
        {"title": "mot de passe oublié", "answer": f"article:{articles['public'].pk}"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/connaissances/{articles['public'].pk}/"
    assert Ticket.objects.count() == before
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.query) == (collaborator, "mot de passe oublié")


def test_deflection_to_an_invisible_answer_is_refused(articles, collaborator):
    response = client_for(collaborator).post(
        "/recherche/resolu/", {"answer": f"article:{articles['internal'].pk}"}
    )
    assert response.status_code == 302 and response["Location"] == "/demandes/nouvelle/"
    assert not Deflection.objects.exists()


def test_zero_result_list_is_for_the_desk(collaborator, agent):
    client_for(collaborator).get("/recherche/", {"q": "zzqqxx introuvable"})
    assert client_for(collaborator).get("/recherche/sans-resultat/").status_code == 404
    page = client_for(agent).get("/recherche/sans-resultat/")
    assert page.status_code == 200 and b"zzqqxx introuvable" in page.content


def test_api_search_filters_by_permission(articles, collaborator, agent):
    body = api_client_for(collaborator).get("/api/v1/search", {"q": "mot de passe"}).json()
    assert [r["title"] for r in body["results"]] == ["Réinitialiser son mot de passe"]
    assert "portail <mark>mot</mark> de <mark>passe</mark>" in body["results"][0]["snippet"]
    agent_titles = {
        r["title"]
        for r in api_client_for(agent)
        .get("/api/v1/search", {"q": "mot de passe"})
        .json()["results"]
    }
    assert "Console des mots de passe" in agent_titles


def test_api_search_rejects_bad_input(collaborator):
    client = api_client_for(collaborator)
    response = client.get("/api/v1/search", {"q": "vpn", "kind": "poster"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_kind"
    assert client.get("/api/v1/search", {"q": ""}).status_code in (400, 422)
    assert client.get("/api/v1/search", {"q": "x" * 500}).status_code in (400, 422)


def test_api_deflection(articles, collaborator):
    client = api_client_for(collaborator)
    ok = client.post(
        "/api/v1/search/deflections",
        {"query": "mdp", "kind": "article", "id": articles["public"].pk},
        content_type="application/json",
    )
    assert ok.status_code == 201
    hidden = client.post(
        "/api/v1/search/deflections",
        {"query": "mdp", "kind": "article", "id": articles["internal"].pk},
        content_type="application/json",
    )
    assert hidden.status_code == 404
    assert Deflection.objects.count() == 1


def test_results_page_query_count_is_bounded(publish, collaborator, django_assert_max_num_queries):
    for n in range(25):
        publish(f"Imprimante {n}", "Imprimer un document.")
    client = client_for(collaborator)
    client.get("/recherche/", {"q": "imprimante"})
    with django_assert_max_num_queries(12):
        response = client.get("/recherche/", {"q": "imprimante"})
    assert response.content.count(b'class="search-hit"') == 20


def test_an_admin_adds_a_synonym_in_the_admin_and_search_uses_it(publish, admin_user, collaborator):
    publish("Commander un ordinateur", "Faites la demande de matériel.")
    assert search_titles(collaborator, "zigouigoui") == []
    response = client_for(admin_user).post(
        "/django-admin/search/synonymgroup/add/",
        {"phrases": "zigouigoui | ordinateur", "is_active": "on"},
    )
    assert response.status_code == 302
    assert search_titles(collaborator, "zigouigoui") == ["Commander un ordinateur"]


def search_titles(user, query: str) -> list[str]:
    from relais.search.engine import search

    return [hit.title for hit in search(query, user).hits]
