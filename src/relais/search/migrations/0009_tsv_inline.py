"""PostgreSQL: the knowledge entries' tsvector kept inside the row (docs/architecture.md §17).

An article's tsvector (~1-2 kB) was moved out of line (TOAST) with its long text columns,
so the candidate query, which ranks every match with `ts_rank`, fetched each one through the
TOAST index: "matériel" among 20,000 documents read 10,737 buffers for 2,309 table pages.
With STORAGE MAIN the vector stays in the row (compressed) and the long text columns, read
only for the 200 candidates, go out of line first: 2,528 buffers, about half the time.
The knowledge entries are rewritten so that existing rows move too (seconds at 20,000);
tickets' vectors are short and never left the row. Nothing to do on SQLite.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE search_searchentry ALTER COLUMN tsv SET STORAGE MAIN",
    # A new value (not the stored pointer) so that the row is laid out anew.
    "UPDATE search_searchentry SET tsv = tsv || ''::tsvector WHERE kind IN ('article', 'question')",
]
BACKWARD = ["ALTER TABLE search_searchentry ALTER COLUMN tsv SET STORAGE EXTENDED"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0008_scope_keys")]
    operations = [migrations.RunPython(forward, backward)]
