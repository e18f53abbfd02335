"""The full-text side of the index, maintained by triggers from the analysed columns.

SQLite: two FTS5 external-content tables (knowledge kinds; tickets), bm25 with column weights.
PostgreSQL: a tsvector column (weights A title, B tags, C body; the 'simple' configuration,
since the French analysis is done in Python) with one partial GIN index per group.
"""

from django.db import migrations

FTS_TABLES = {
    "search_fts_knowledge": "new.kind IN ('article', 'question')",
    "search_fts_ticket": "new.kind = 'ticket'",
}


def _sqlite_forward() -> list[str]:
    statements = []
    for table, cond in FTS_TABLES.items():
        old = cond.replace("new.", "old.")
        statements += [
            f"CREATE VIRTUAL TABLE {table} USING fts5(terms_title, terms_tags, terms_body, "
            "content='search_searchentry', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0')",
            f"CREATE TRIGGER {table}_ai AFTER INSERT ON search_searchentry WHEN {cond} BEGIN "
            f"INSERT INTO {table}(rowid, terms_title, terms_tags, terms_body) "
            "VALUES (new.id, new.terms_title, new.terms_tags, new.terms_body); END",
            f"CREATE TRIGGER {table}_ad AFTER DELETE ON search_searchentry WHEN {old} BEGIN "
            f"INSERT INTO {table}({table}, rowid, terms_title, terms_tags, terms_body) "
            "VALUES ('delete', old.id, old.terms_title, old.terms_tags, old.terms_body); END",
            # One trigger, two ordered statements: the old row leaves the index before the
            # new one enters (two triggers would fire in an unspecified order).
            f"CREATE TRIGGER {table}_au AFTER UPDATE ON search_searchentry BEGIN "
            f"INSERT INTO {table}({table}, rowid, terms_title, terms_tags, terms_body) "
            "SELECT 'delete', old.id, old.terms_title, old.terms_tags, old.terms_body "
            f"WHERE {old}; "
            f"INSERT INTO {table}(rowid, terms_title, terms_tags, terms_body) "
            f"SELECT new.id, new.terms_title, new.terms_tags, new.terms_body WHERE {cond}; END",
        ]
    return statements


def _sqlite_backward() -> list[str]:
    statements = []
    for table in FTS_TABLES:
        for suffix in ("ai", "ad", "au"):
            statements.append(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        statements.append(f"DROP TABLE IF EXISTS {table}")
    return statements


PG_FORWARD = [
    "ALTER TABLE search_searchentry ADD COLUMN tsv tsvector",
    """CREATE FUNCTION search_entry_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.tsv :=
        setweight(to_tsvector('simple', coalesce(NEW.terms_title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(NEW.terms_tags, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(NEW.terms_body, '')), 'C');
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER search_entry_tsv BEFORE INSERT OR UPDATE OF terms_title, terms_tags, "
    "terms_body ON search_searchentry FOR EACH ROW EXECUTE FUNCTION search_entry_tsv()",
    "CREATE INDEX search_entry_knowledge_gin ON search_searchentry USING gin (tsv) "
    "WHERE kind IN ('article', 'question')",
    "CREATE INDEX search_entry_ticket_gin ON search_searchentry USING gin (tsv) "
    "WHERE kind = 'ticket'",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_term_trgm ON search_searchterm USING gin (term gin_trgm_ops)",
]

PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_term_trgm",
    "DROP INDEX IF EXISTS search_entry_ticket_gin",
    "DROP INDEX IF EXISTS search_entry_knowledge_gin",
    "DROP TRIGGER IF EXISTS search_entry_tsv ON search_searchentry",
    "DROP FUNCTION IF EXISTS search_entry_tsv()",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS tsv",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_forward(), "postgresql": PG_FORWARD}.get(vendor)
    if statements is None:
        raise RuntimeError(f"Relais search needs SQLite or PostgreSQL, not {vendor}.")
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": _sqlite_backward(), "postgresql": PG_BACKWARD}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
