"""The database triggers that keep the audit log append-only (SECURITY.md H4): UPDATE of a row
is refused whatever the application does, and so is DELETE of a row less than six months old
by the database's clock (older ones are the retention job's, H3). PostgreSQL's trigger is
created by migration 0003; SQLite's by 0009; both given the six-month floor by 0012.

TRUNCATE (PostgreSQL) is not a row operation and stays possible for the owner role (test
tear-down, an archive job). SQLite has no TRUNCATE: its flush deletes rows, so
`sqlite_flush_around` lifts the trigger for the length of a flush only (the test suite's
transactional tests use it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS core_auditlogentry_no_update
    BEFORE UPDATE ON core_auditlogentry
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS core_auditlogentry_no_delete
    BEFORE DELETE ON core_auditlogentry
    WHEN OLD.created_at >= datetime('now', '-6 months')
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (DELETE refused)'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditlogentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditlogentry_no_delete",
]


def sqlite_flush_around(execute_sql_flush: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap SQLite's `DatabaseOperations.execute_sql_flush`: drop the triggers, flush, put
    them back (in the flush's own transaction)."""

    def flush(self: Any, sql_list: list[str]) -> Any:
        with self.connection.cursor() as cursor:
            for statement in SQLITE_DROP:
                cursor.execute(statement)
        try:
            return execute_sql_flush(self, sql_list)
        finally:
            if "core_auditlogentry" in self.connection.introspection.table_names():
                with self.connection.cursor() as cursor:
                    for statement in SQLITE_CREATE:
                        cursor.execute(statement)

    return flush
