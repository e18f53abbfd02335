"""The security log may lose entries older than six months, and only those (SECURITY.md H3:
security logs are kept 6–12 months; H4: the application cannot erase recent tracks).

The triggers of 0003 (PostgreSQL) and 0009 (SQLite) refused every UPDATE and DELETE. From
here, UPDATE is still always refused, and DELETE is refused unless the row is more than six
months old by the database's own clock — so the retention job (`core.services.
audit_log_purge`) can purge after the configured months, and nothing, whatever the
application's clock or code, can delete a recent entry."""

from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION relais_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '6 months' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
PG_FUNCTION_BEFORE = """
CREATE OR REPLACE FUNCTION relais_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_NO_DELETE = """CREATE TRIGGER core_auditlogentry_no_delete
    BEFORE DELETE ON core_auditlogentry
    WHEN OLD.created_at >= datetime('now', '-6 months')
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (DELETE refused)'); END"""
SQLITE_NO_DELETE_BEFORE = """CREATE TRIGGER core_auditlogentry_no_delete
    BEFORE DELETE ON core_auditlogentry
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (DELETE refused)'); END"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS core_auditlogentry_no_delete"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP, params=None)
        schema_editor.execute(SQLITE_NO_DELETE, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION_BEFORE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP, params=None)
        schema_editor.execute(SQLITE_NO_DELETE_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0011_audit_permission_change_and_archive_read")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="auditlogentry",
            index=models.Index(fields=["created_at"], name="audit_created_idx"),
        ),
        migrations.AlterField(
            model_name='auditlogentry',
            name='action',
            field=models.CharField(choices=[('login.success', 'Login'), ('login.failure', 'Failed login'), ('login.lockout', 'Account locked after failed logins'), ('logout', 'Logout'), ('password.change', 'Password changed'), ('password.reset_request', 'Password reset requested'), ('user.create', 'User created'), ('user.update', 'User updated'), ('user.role_change', 'Role changed'), ('user.permission_change', 'Permission granted or withdrawn'), ('archive.read', 'Archived ticket read'), ('user.deactivate', 'User deactivated'), ('token.create', 'API token created'), ('token.revoke', 'API token revoked'), ('outbox.dead', 'Outbox message dead-lettered'), ('outbox.retry', 'Outbox message requeued'), ('community.moderation', 'Peer-help moderation'), ('asset.change', 'Asset changed'), ('asset.import', 'Assets imported'), ('monitoring.config', 'Monitoring configuration changed'), ('secret.change', 'Secret changed'), ('mailbox.change', 'Mailbox settings changed'), ('mail.quarantine', 'Inbound e-mail released or discarded'), ('otp.enrol', 'Second factor enrolled'), ('otp.failure', 'Failed second-factor code'), ('otp.recovery_used', 'Recovery code used'), ('otp.reset', 'Second factor reset'), ('directory.sync', 'Directory synchronised'), ('privacy.export', 'Personal data exported'), ('privacy.erase', 'Personal data erased (pseudonymised)'), ('admin.change', 'Changed in the administration'), ('audit.purge', 'Security log entries purged (retention)')], max_length=48, verbose_name='action'),
        ),
    ]
