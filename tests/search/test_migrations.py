"""The search index's schema migrations go back and forth on a database that holds tickets
(a rollback of a release must not fail half-way on a desk's data)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from relais.accounts.choices import Role
from relais.search.models import SearchEntry
from relais.tickets.models import Category
from relais.tickets.services import TicketDraft, ticket_open
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def test_scope_keys_go_back_to_owners_and_forward_again_with_tickets_indexed() -> None:
    team = TeamFactory()
    requester = UserFactory(role=Role.COLLABORATOR)
    opener = UserFactory(role=Role.AGENT)
    team.members.add(opener)
    category = Category.objects.create(name="Réseau", team=team)
    # Enough long tickets to fill the table's pages: the migration's UPDATE then writes new
    # row versions on other pages (not HOT), as it does on a real desk's index.
    description = "Le tunnel VPN tombe toutes les dix minutes depuis la mise à jour. " * 25
    for number in range(40):
        ticket = ticket_open(
            actor=opener,
            requester=requester,
            draft=TicketDraft(
                category=category, title=f"Le VPN coupe ({number})", description=description
            ),
        )
    entry = SearchEntry.objects.get(kind="ticket", object_id=ticket.pk)
    keys = entry.scope_keys
    assert keys.startswith(f"u{requester.pk} o{opener.pk}")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("search")[0]

    try:
        # Back before 0008: the owners are ids again (PostgreSQL: indexed as bigint[]).
        _migrate(("search", "0007_daily_search_miss"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT owners FROM search_searchentry WHERE kind = 'ticket' AND object_id = %s",
                [ticket.pk],
            )
            assert cursor.fetchone()[0] == f"{requester.pk} {opener.pk}"
    finally:
        _migrate(latest)
    assert SearchEntry.objects.get(pk=entry.pk).scope_keys == keys
