"""Ticket search at volume: the newest matches first, and a collaborator's or an agent's
tickets found through the index (PostgreSQL) — the same tickets on both backends, never
another's."""

from __future__ import annotations

import threading
from unittest.mock import patch

import pytest
from django.db import connection

from relais.search import backends
from relais.search.engine import search
from relais.search.models import SearchEntry
from relais.tickets.choices import Level
from relais.tickets.models import Ticket
from relais.tickets.permissions import TicketPolicy
from relais.tickets.services import TicketDraft, ticket_open, ticket_update, ticket_watch
from tests.factories import UserFactory
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db


def found(text, user):
    return {hit.object_id for hit in search(text, user, kinds=["ticket"]).hits}


def test_a_collaborator_finds_what_they_asked_had_opened_or_watch(
    requester, vpn_category, team_agent
):
    asked = open_ticket(requester, vpn_category, title="Imprimante du 2e bloquée")
    draft = TicketDraft(
        category=vpn_category,
        title="Imprimante du hall en panne",
        description="Rien ne sort.",
        impact=Level.LOW,
        urgency=Level.MEDIUM,
    )
    opened_for = ticket_open(actor=team_agent, draft=draft, requester=requester)
    other = UserFactory()
    watched = open_ticket(other, vpn_category, title="Imprimante couleur hors ligne")
    ticket_watch(ticket=watched, actor=team_agent, watcher=requester)
    not_theirs = open_ticket(other, vpn_category, title="Imprimante de l'accueil")

    assert found("imprimante", requester) == {asked.pk, opened_for.pk, watched.pk}
    assert found("imprimante", other) == {watched.pk, not_theirs.pk}
    entry = SearchEntry.objects.get(kind="ticket", object_id=opened_for.pk)
    assert entry.scope_keys.split() == [
        f"u{requester.pk}",
        f"o{team_agent.pk}",
        *([f"a{opened_for.assignee_id}"] if opened_for.assignee_id else []),
        f"t{opened_for.team_id}",
    ]


# The PostgreSQL plan's windows: as deployed, then tiny so that its second step runs through
# the text index or walked row by row.
@pytest.mark.parametrize("window, walk_factor", [(backends.WINDOW, 4), (1, 0), (1, 10**6)])
def test_an_agent_finds_the_tickets_of_their_scope_and_no_other(
    requester,
    vpn_category,
    vpn_team,
    other_team,
    team_agent,
    other_agent,
    supervisor,
    monkeypatch,
    window,
    walk_factor,
):
    """Their team's, assigned to them, untriaged, asked by them, watched: what the policy
    lets them see, found through the index on PostgreSQL, the same on SQLite."""
    monkeypatch.setattr(backends, "WINDOW", window)
    monkeypatch.setattr(backends, "WALK_FACTOR", walk_factor)
    team_ticket = open_ticket(requester, vpn_category, title="Imprimante du 2e bloquée")
    elsewhere = open_ticket(requester, vpn_category, title="Imprimante du hall en panne")
    ticket_update(
        ticket=elsewhere, actor=supervisor, changes={"team": other_team}, expected_version=None
    )
    assigned = open_ticket(requester, vpn_category, title="Imprimante couleur")
    other_team.members.add(team_agent)  # assigned to them there, then they left that team
    ticket_update(
        ticket=assigned,
        actor=supervisor,
        changes={"team": other_team, "assignee": team_agent},
        expected_version=None,
    )
    other_team.members.remove(team_agent)
    team_agent._relais_team_ids = None  # (the policy caches a user's teams per request)
    untriaged = open_ticket(requester, vpn_category, title="Imprimante de l'accueil")
    Ticket.objects.filter(pk=untriaged.pk).update(team=None, assignee=None)
    untriaged.refresh_from_db()
    untriaged.save(update_fields=["team"])  # the index follows the team (signal upkeep)
    watched = open_ticket(requester, vpn_category, title="Imprimante du 3e")
    ticket_update(
        ticket=watched, actor=supervisor, changes={"team": other_team}, expected_version=None
    )
    ticket_watch(ticket=watched, actor=supervisor, watcher=team_agent)
    own = open_ticket(team_agent, vpn_category, title="Imprimante de mon bureau")
    ticket_update(ticket=own, actor=supervisor, changes={"team": other_team}, expected_version=None)

    visible = set(TicketPolicy().scope(team_agent).values_list("pk", flat=True))
    theirs = {team_ticket.pk, assigned.pk, untriaged.pk, watched.pk, own.pk}
    assert found("imprimante", team_agent) == theirs
    assert theirs == visible & (theirs | {elsewhere.pk})
    assert elsewhere.pk in found("imprimante", other_agent)
    assert team_ticket.pk not in found("imprimante", other_agent)


def test_a_ticket_moved_to_another_team_is_found_by_that_team_only(
    requester, vpn_category, other_team, team_agent, other_agent, supervisor
):
    moved = open_ticket(requester, vpn_category, title="Scanner hors service")
    assert found("scanner", team_agent) == {moved.pk}
    assert found("scanner", other_agent) == set()

    ticket_update(
        ticket=moved,
        actor=supervisor,
        changes={"team": other_team, "assignee": None},
        expected_version=None,
    )

    assert found("scanner", team_agent) == set()
    assert found("scanner", other_agent) == {moved.pk}


def test_an_entry_with_wrong_scope_keys_still_shows_only_the_scope(
    requester, vpn_category, other_team, other_agent
):
    theirs = open_ticket(requester, vpn_category, title="Badge refusé au parking")
    stranger = UserFactory()
    # The index is only a shortcut: the policy decides (stale or forged keys).
    SearchEntry.objects.filter(kind="ticket", object_id=theirs.pk).update(
        scope_keys=f"u{requester.pk} o{stranger.pk} t{other_team.pk}"
    )
    assert found("badge", stranger) == set()
    assert found("badge", other_agent) == set()
    assert found("badge", requester) == {theirs.pk}


@pytest.mark.parametrize("window", [2, 1000])
@pytest.mark.parametrize("walk_factor", [0, 10**6])  # the second step: text index, or walked
def test_tickets_come_newest_first_read_backwards_from_the_newest(
    requester, vpn_category, monkeypatch, window, walk_factor
):
    """The windows of the PostgreSQL plan (tiny here, so that every branch runs) give the
    newest matches, exactly as SQLite's FTS5 does."""
    monkeypatch.setattr(backends, "WINDOW", window)
    monkeypatch.setattr(backends, "WALK_FACTOR", walk_factor)
    titles = ["Scanner en panne", "Écran noir", "Scanner lent", "Clavier"] * 3 + ["Vieux fax"]
    tickets = [open_ticket(requester, vpn_category, title=t) for t in reversed(titles)]
    entries = dict(SearchEntry.objects.filter(kind="ticket").values_list("object_id", "id"))

    def newest(term, limit):
        criteria = backends.Criteria(
            kinds=["ticket"],
            concepts=[[term]],
            require_all=True,
            newest_first=True,
            audiences=["private"],
            limit=limit,
        )
        return backends.candidates(criteria)

    scanners = sorted((entries[t.pk] for t in tickets if "Scanner" in t.title), reverse=True)
    assert newest("scann", 4) == scanners[:4]
    assert newest("scann", 50) == scanners
    # Found only in the oldest entry: nothing among the newest, then the text index alone.
    assert newest("fax", 5) == [entries[tickets[0].pk]]
    assert newest("inconnu", 5) == []
    # A phrase needs all its words ("scanner lent", not any scanner).
    assert newest("scann lent", 50) == [
        entries[t.pk] for t in reversed(tickets) if t.title == "Scanner lent"
    ]


def test_the_tickets_of_a_deleted_team_are_found_as_untriaged(
    requester, vpn_category, vpn_team, other_agent
):
    orphan = open_ticket(requester, vpn_category, title="Casque cassé")
    assert found("casque", other_agent) == set()

    vpn_team.delete()  # its tickets lose their team (SET_NULL): every agent sees them

    assert SearchEntry.objects.get(kind="ticket", object_id=orphan.pk).scope_keys.endswith(" t")
    assert found("casque", other_agent) == {orphan.pk}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_agents_search_of_every_kind_is_the_same_in_parallel_or_not(
    requester, vpn_category, vpn_team, other_team, team_agent, supervisor, settings, publish
):
    """On PostgreSQL, outside a transaction, the tickets are looked for on a second connection
    while the knowledge is looked for on the request's: the same hits, the same scope."""
    from relais.search import engine

    article = publish("Imprimante bloquée : relancer la file", "Vider la file d'impression.")
    theirs = open_ticket(requester, vpn_category, title="Imprimante bloquée au 2e")
    elsewhere = open_ticket(requester, vpn_category, title="Imprimante bloquée au hall")
    ticket_update(
        ticket=elsewhere, actor=supervisor, changes={"team": other_team}, expected_version=None
    )
    threads = set()
    ranked = engine._ranked

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return ranked(*args, **kwargs)

    results = {}
    try:
        for parallel in (True, False):
            settings.SEARCH_PARALLEL = parallel
            with patch.object(engine, "_ranked", spy):
                hits = search("imprimante bloquée", team_agent).hits
            results[parallel] = [(hit.kind, hit.object_id) for hit in hits]
    finally:
        engine.shutdown_parallel()  # its connections would keep the test database open
    assert results[True] == results[False]
    assert ("article", article.pk) in results[True]
    assert ("ticket", theirs.pk) in results[True]
    assert ("ticket", elsewhere.pk) not in results[True]
    on_postgres = connection.vendor == "postgresql"
    assert any(name.startswith("relais-search") for name in threads) is on_postgres
