"""The audit log records security events and cannot be rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.core.services import audit_record, client_ip
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger is PostgreSQL's")
def test_audit_rows_cannot_be_updated_or_deleted_on_postgresql(admin_user):
    entry = audit_record(action=AuditAction.USER_UPDATE, actor=admin_user)
    for statement in (
        lambda: AuditLogEntry.objects.filter(pk=entry.pk).update(actor_label="forged"),
        lambda: AuditLogEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    entry.refresh_from_db()
    assert entry.actor_label == admin_user.email


def test_password_change_is_audited(collaborator, password):
    client = client_for(collaborator)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "Nouveau-secret-2026",
            "new_password2": "Nouveau-secret-2026",
        },
    )
    assert response.status_code == 302
    entry = AuditLogEntry.objects.get(action=AuditAction.PASSWORD_CHANGE)
    assert entry.actor == collaborator
    assert "Nouveau-secret-2026" not in str(entry.changes)


def test_client_address_behind_a_trusted_proxy(settings, rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "127.0.0.1"
    settings.RELAIS_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.7"
    spoofed = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="127.0.0.1")
    assert client_ip(spoofed) is None


def test_password_reset_request_is_audited_without_revealing_accounts():
    Client().post(reverse("accounts:password_reset"), {"email": "nobody@relais.test"})
    entry = AuditLogEntry.objects.get(action=AuditAction.PASSWORD_RESET_REQUEST)
    assert entry.actor is None
    assert entry.actor_label == "nobody@relais.test"
