"""PostgreSQL: bounded GIN pending lists, so that a search never scans megabytes of them.

A GIN index with `fastupdate` (the default) queues new entries in a pending list that every
search reads linearly until VACUUM or the list's limit (`gin_pending_list_limit`, 4 MB) moves
them into the index: up to 512 pages read by every query. Measured on the benchmark's
knowledge index: 110 pending pages were 110 of a query's 1,294 buffers.
- Knowledge entries change rarely (an article saved): no pending list at all.
- Tickets' entries change with every ticket saved: a pending list still batches the writes,
  capped at 256 kB (32 pages) so that what each search reads in it stays small.
Nothing to do on SQLite.
"""

from django.db import migrations

FORWARD = [
    "ALTER INDEX search_entry_knowledge_gin SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('search_entry_knowledge_gin'::regclass)",
    "ALTER INDEX search_entry_ticket_gin SET (gin_pending_list_limit = 256)",
]
BACKWARD = [
    "ALTER INDEX search_entry_knowledge_gin RESET (fastupdate)",
    "ALTER INDEX search_entry_ticket_gin RESET (gin_pending_list_limit)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0009_tsv_inline")]
    operations = [migrations.RunPython(forward, backward)]
