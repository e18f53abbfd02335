"""The audit log records security events and cannot be rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.core.services import audit_record, client_ip
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


IP = "203.0.113.7"


def test_audit_rows_cannot_be_updated_or_deleted(admin_user):
    """On PostgreSQL and on SQLite, as the application's own database role."""
    entry = audit_record(action=AuditAction.USER_UPDATE, actor=admin_user)
    statements = [
        lambda: AuditLogEntry.objects.filter(pk=entry.pk).update(actor_label="forged"),
        lambda: AuditLogEntry.objects.filter(pk=entry.pk).delete(),
        lambda: AuditLogEntry.objects.all().delete(),
    ]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditlogentry SET changes = %s WHERE id = %s", ["{}", entry.pk])
    entry.refresh_from_db()
    assert entry.actor_label == admin_user.email
    assert AuditLogEntry.objects.count() == 1


def test_every_security_event_is_recorded_with_who_when_where_and_what(
    rf, collaborator, agent, admin_user, password, settings
):
    """Login success and failure, role change, token create and revoke, export, erasure,
    settings change (a mailbox), monitor and webhook changes: each row names the actor, the
    time, the source address, the object, and the values before and after where it changes
    one."""
    from relais.accounts import services as accounts
    from relais.core import privacy
    from relais.mail.choices import Security
    from relais.mail.models import Mailbox
    from relais.mail.services import mailbox_save
    from relais.monitoring import services as watch
    from relais.tickets.models import Category

    started = timezone.now()
    browser = Client(REMOTE_ADDR=IP)
    browser.post(reverse("accounts:login"), {"username": agent.email, "password": "wrong"})
    browser.post(reverse("accounts:login"), {"username": agent.email, "password": password})
    request = rf.post("/", REMOTE_ADDR=IP)
    accounts.user_update(
        user=collaborator,
        actor=admin_user,
        data={"role": "agent"},
        allowed_fields=accounts.ADMIN_FIELDS,
        request=request,
    )
    issued = accounts.token_create(user=agent, name="ci", actor=agent, request=request)
    accounts.token_revoke(token=issued.token, actor=agent, request=request)
    mailbox = mailbox_save(
        mailbox=Mailbox(category=Category.objects.filter(parent=None).first()),
        data={
            "name": "assistance",
            "address": "assistance@relais.test",
            "host": "imap.relais.test",
            "port": 993,
            "security": Security.IMAPS,
            "username": "assistance",
        },
        password="imap-secret-2026",
        actor=admin_user,
        request=request,
    )
    service = watch.service_create(actor=admin_user, data={"name": "VPN"}, request=request)
    watch.service_update(
        actor=admin_user, service=service, data={"name": "VPN nomade"}, request=request
    )
    channel = watch.channel_create(
        actor=admin_user,
        name="Hook",
        kind="webhook",
        target="https://93.184.216.34/hook",
        request=request,
    )
    privacy.personal_data_export(person=collaborator, actor=admin_user, request=request)
    privacy.personal_data_erase(person=collaborator, actor=admin_user, request=request)

    def entry(action, **filters):  # type: ignore[no-untyped-def]
        found = AuditLogEntry.objects.filter(action=action, **filters).order_by("-id").first()
        assert found is not None, action
        assert found.ip_address == IP, action
        assert started <= found.created_at <= timezone.now(), action
        return found

    assert entry(AuditAction.LOGIN_FAILURE).actor_label == agent.email
    assert entry(AuditAction.LOGIN_SUCCESS).actor == agent
    role = entry(AuditAction.ROLE_CHANGE)
    assert (role.actor, role.object_id) == (admin_user, str(collaborator.pk))
    assert role.changes == {"role": ["collaborator", "agent"]}
    for action in (AuditAction.TOKEN_CREATE, AuditAction.TOKEN_REVOKE):
        token_entry = entry(action)
        assert (token_entry.actor, token_entry.object_id) == (agent, str(issued.token.pk))
    box = entry(AuditAction.MAILBOX_CHANGE)
    assert (box.actor, box.object_id) == (admin_user, str(mailbox.pk))
    assert box.changes and "imap-secret-2026" not in str(box.changes)
    renamed = entry(
        AuditAction.MONITORING_CONFIG,
        object_type="monitoring.service",
        object_id=str(service.pk),
    )
    assert renamed.changes["name"] == ["VPN", "VPN nomade"]
    hook = entry(
        AuditAction.MONITORING_CONFIG,
        object_type="monitoring.alertchannel",
        object_id=str(channel.pk),
    )
    assert hook.actor == admin_user
    for action in (AuditAction.PERSONAL_DATA_EXPORT, AuditAction.PERSONAL_DATA_ERASE):
        assert entry(action).actor == admin_user


def test_logs_hold_no_password_token_or_ticket_body(caplog, collaborator, password, rf):
    """Everything the application logs while a person signs in (once wrongly), uses an API
    token and opens a ticket whose text is a canary: none of the three appears."""
    import logging

    from relais.accounts.choices import TokenScope
    from relais.accounts.services import token_create

    canary = "CANARY-body-7f3a9c"
    caplog.set_level(logging.DEBUG)
    browser = Client(raise_request_exception=False)
    browser.post(reverse("accounts:login"), {"username": collaborator.email, "password": "x"})
    browser.post(reverse("accounts:login"), {"username": collaborator.email, "password": password})
    secret = token_create(user=collaborator, name="ci", scope=TokenScope.WRITE).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)
    api.post("/api/v1/tickets", data={"title": canary}, content_type="application/json")
    api.get("/api/v1/tickets?q=" + canary)
    api.get("/api/v1/nowhere", HTTP_AUTHORIZATION=f"Bearer {secret}x")
    browser.get("/demandes/nouvelle/?titre=" + canary)
    logged = caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    assert logged  # the requests were logged
    for value in (password, secret, canary):
        assert value not in logged


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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transactional_test_still_ends_cleanly_with_audit_rows(admin_user):
    """SQLite flushes by DELETE: the triggers are lifted for the flush alone (tests/conftest)."""
    audit_record(action=AuditAction.USER_UPDATE, actor=admin_user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLogEntry.objects.all().delete()
