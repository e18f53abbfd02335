"""The audit log is append-only on SQLite too: UPDATE and DELETE are refused by triggers
(SECURITY.md H4; PostgreSQL's are in 0003)."""

from django.db import migrations

from relais.core.audit_guard import SQLITE_CREATE, SQLITE_DROP


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_personal_data")]

    operations = [migrations.RunPython(forwards, backwards)]
