"""The audit log is append-only at the database level on PostgreSQL: UPDATE and DELETE are
refused by a trigger, whatever the application does (SECURITY.md H4). TRUNCATE (test
tear-down, retention jobs run by the owner role) is not a row operation and stays possible."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION relais_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditlogentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditlogentry
    FOR EACH ROW EXECUTE FUNCTION relais_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS core_auditlogentry_append_only ON core_auditlogentry;
DROP FUNCTION IF EXISTS relais_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_actor_protect")]

    operations = [migrations.RunPython(forwards, backwards)]
