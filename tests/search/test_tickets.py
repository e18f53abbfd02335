"""Ticket search at volume: the newest matches first, and a collaborator's own tickets found
through the index (PostgreSQL) — the same tickets on both backends, never another's."""

from __future__ import annotations

import pytest

from relais.search import backends
from relais.search.engine import search
from relais.search.models import SearchEntry
from relais.tickets.choices import Level
from relais.tickets.services import TicketDraft, ticket_open, ticket_watch
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
    assert entry.owners == f"{requester.pk} {team_agent.pk}"


def test_an_entry_that_names_the_wrong_owner_still_shows_only_the_scope(requester, vpn_category):
    theirs = open_ticket(requester, vpn_category, title="Badge refusé au parking")
    stranger = UserFactory()
    # The index is only a shortcut: the policy decides (a stale or forged owner list).
    SearchEntry.objects.filter(kind="ticket", object_id=theirs.pk).update(
        owners=f"{requester.pk} {stranger.pk}"
    )
    assert found("badge", stranger) == set()
    assert found("badge", requester) == {theirs.pk}


@pytest.mark.parametrize("window", [2, 1000])
def test_tickets_come_newest_first_read_backwards_from_the_newest(
    requester, vpn_category, monkeypatch, window
):
    """The windows of the PostgreSQL plan (tiny here, so that every branch runs) give the
    newest matches, exactly as SQLite's FTS5 does."""
    monkeypatch.setattr(backends, "WINDOW", window)
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
