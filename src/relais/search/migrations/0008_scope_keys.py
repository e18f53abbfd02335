"""An agent's tickets found through the index too (docs/architecture.md §17, "At volume").

The entries' owners (a ticket's requester and opener) become scope keys: everything that puts
a ticket in someone's scope (tickets.permissions.TicketPolicy.index_keys): "u<id>" requester,
"o<id>" opener when another person, "a<id>" assignee, "t<id>" team ("t" alone: none yet).
On PostgreSQL the tickets' GIN index holds the text and these keys, so an agent's search
(their teams, their assignments, the untriaged tickets, their own requests) and a
collaborator's get only the matches of their scope from the index.
"""

from django.db import migrations

PG_GIN = (
    "CREATE INDEX search_entry_ticket_gin ON search_searchentry "
    "USING gin (tsv, (string_to_array(scope_keys, ' '))) WHERE kind = 'ticket'"
)
PG_GIN_BEFORE = (
    "CREATE INDEX search_entry_ticket_gin ON search_searchentry "
    "USING gin (tsv, (string_to_array(scope_keys, ' ')::bigint[])) WHERE kind = 'ticket'"
)


def _keys_sql(tickets: str) -> str:
    # The same keys as TicketPolicy.index_keys, in SQL both databases run.
    return (
        "UPDATE search_searchentry SET scope_keys = COALESCE(("  # noqa: S608
        "SELECT 'u' || CAST(t.requester_id AS VARCHAR(20)) "
        "|| CASE WHEN t.created_by_id IS NULL OR t.created_by_id = t.requester_id THEN '' "
        "ELSE ' o' || CAST(t.created_by_id AS VARCHAR(20)) END "
        "|| CASE WHEN t.assignee_id IS NULL THEN '' "
        "ELSE ' a' || CAST(t.assignee_id AS VARCHAR(20)) END "
        "|| ' t' || COALESCE(CAST(t.team_id AS VARCHAR(20)), '') "
        f"FROM {tickets} t WHERE t.id = search_searchentry.object_id), '') "
        "WHERE kind = 'ticket'"
    )


def _owners_value(tickets: str) -> str:
    # Back to 0006's owners: requester, then the opener if another person.
    return (
        "COALESCE((SELECT CASE WHEN t.created_by_id IS NULL OR t.created_by_id = t.requester_id "  # noqa: S608
        "THEN CAST(t.requester_id AS VARCHAR(20)) "
        "ELSE CAST(t.requester_id AS VARCHAR(20)) || ' ' || CAST(t.created_by_id AS VARCHAR(20)) "
        f"END FROM {tickets} t WHERE t.id = search_searchentry.object_id), '')"
    )


def _owners_sql(tickets: str) -> str:
    return (
        f"UPDATE search_searchentry SET scope_keys = {_owners_value(tickets)} WHERE kind = 'ticket'"  # noqa: S608
    )


def _rewrite(apps, schema_editor, sql, index: str) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # A large desk's tickets (1M: minutes) outlast a web request's statement timeout;
        # the index is built once after the rewrite rather than updated row by row.
        schema_editor.execute("SET LOCAL statement_timeout = 0")
        schema_editor.execute("DROP INDEX IF EXISTS search_entry_ticket_gin")
    schema_editor.execute(sql(apps.get_model("tickets", "Ticket")._meta.db_table))
    if postgres:
        schema_editor.execute(index)


def forward(apps, schema_editor):
    _rewrite(apps, schema_editor, _keys_sql, PG_GIN)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        _rewrite(apps, schema_editor, _owners_sql, PG_GIN_BEFORE)
        return
    # The old index casts the owners to bigint[]. CREATE INDEX also reads the row versions
    # this transaction's UPDATE left behind, whose keys ("u12 a3 t1") do not cast: the owners
    # are written to a new column instead (NULL in those old versions), which then replaces
    # the keys. Measured on 500,000 tickets (docs/benchmarks.md, "Data volume").
    tickets = apps.get_model("tickets", "Ticket")._meta.db_table
    schema_editor.execute("SET LOCAL statement_timeout = 0")
    schema_editor.execute("DROP INDEX IF EXISTS search_entry_ticket_gin")
    schema_editor.execute("ALTER TABLE search_searchentry ADD COLUMN owners_before varchar(200)")
    schema_editor.execute(
        "UPDATE search_searchentry SET owners_before = "  # noqa: S608
        f"CASE WHEN kind = 'ticket' THEN {_owners_value(tickets)} ELSE scope_keys END"
    )
    schema_editor.execute("ALTER TABLE search_searchentry DROP COLUMN scope_keys")
    schema_editor.execute(
        "ALTER TABLE search_searchentry RENAME COLUMN owners_before TO scope_keys"
    )
    schema_editor.execute("ALTER TABLE search_searchentry ALTER COLUMN scope_keys SET NOT NULL")
    schema_editor.execute(PG_GIN_BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0007_daily_search_miss"),
        ("tickets", "0005_event_delivery_failed"),
    ]
    operations = [
        migrations.RenameField(model_name="searchentry", old_name="owners", new_name="scope_keys"),
        migrations.RunPython(forward, backward),
    ]
