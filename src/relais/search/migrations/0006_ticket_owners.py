"""Tickets found fast at volume on PostgreSQL (docs/architecture.md §17, "At volume").

Each entry keeps its owners (IndexDoc.owners: a ticket's requester and opener), filled here
for the existing tickets. On PostgreSQL the tickets' GIN index becomes a two-column one, text
and owners, so that a collaborator's search gets only their own matches from the index; and
a partial index on the tickets' entry ids gives the newest entry at once (the newest matches
are read from there backwards, see backends._postgres_newest).
"""

import importlib

from django.db import migrations, models

PG_FORWARD = [
    "DROP INDEX IF EXISTS search_entry_ticket_gin",
    "CREATE INDEX search_entry_ticket_gin ON search_searchentry "
    "USING gin (tsv, (string_to_array(owners, ' ')::bigint[])) WHERE kind = 'ticket'",
    "CREATE INDEX search_entry_ticket_id ON search_searchentry (id) WHERE kind = 'ticket'",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_ticket_id",
    "DROP INDEX IF EXISTS search_entry_ticket_gin",
    "CREATE INDEX search_entry_ticket_gin ON search_searchentry USING gin (tsv) "
    "WHERE kind = 'ticket'",
]


def _sqlite_triggers() -> list[str]:
    """The FTS5 triggers of 0002: adding a column makes Django rebuild the table on SQLite,
    which drops them (the FTS tables themselves stay valid: the ids are kept)."""
    fulltext = importlib.import_module("relais.search.migrations.0002_fulltext")
    return [sql for sql in fulltext._sqlite_forward() if sql.startswith("CREATE TRIGGER")]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A large desk's tickets (1M: ~2 min) outlast a web request's statement timeout.
        schema_editor.execute("SET LOCAL statement_timeout = 0")
    if schema_editor.connection.vendor == "sqlite":
        for sql in _sqlite_triggers():
            name = sql.split()[2]
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(sql)
    tickets = apps.get_model("tickets", "Ticket")._meta.db_table
    # The same text as services._entry_values: requester, then the opener if another person.
    schema_editor.execute(
        "UPDATE search_searchentry SET owners = COALESCE(("  # noqa: S608
        "SELECT CASE WHEN t.created_by_id IS NULL OR t.created_by_id = t.requester_id "
        "THEN CAST(t.requester_id AS VARCHAR(20)) "
        "ELSE CAST(t.requester_id AS VARCHAR(20)) || ' ' || CAST(t.created_by_id AS VARCHAR(20)) "
        f"END FROM {tickets} t WHERE t.id = search_searchentry.object_id), '') "
        "WHERE kind = 'ticket'"
    )
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_BACKWARD:
            schema_editor.execute(sql)


def triggers_back(apps, schema_editor):
    # Removing the column rebuilds the table on SQLite too.
    if schema_editor.connection.vendor == "sqlite":
        for sql in _sqlite_triggers():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {sql.split()[2]}")
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0005_synonyms_update"),
        ("tickets", "0005_event_delivery_failed"),
    ]
    operations = [
        migrations.RunPython(migrations.RunPython.noop, triggers_back),
        migrations.AddField(
            model_name="searchentry",
            name="owners",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(forward, backward),
    ]
