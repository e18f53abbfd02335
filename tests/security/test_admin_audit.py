"""SECURITY.md H4 for Django's admin: reference data changed there (categories, SLA targets,
desk settings…) writes a security-log row, from one hook in the admin site
(relais.core.admin_site), whatever the model."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from relais.core.admin_site import AuditedAdmin
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.tickets.models import Category, DeskSettings
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.44"


def admin_rows() -> list[AuditLogEntry]:
    return list(AuditLogEntry.objects.filter(action=AuditAction.ADMIN_CHANGE).order_by("pk"))


def test_every_model_of_the_admin_is_audited():
    assert admin.site._registry  # Relais' own admins and third-party ones alike
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdmin)
    ]
    assert unaudited == []


def test_desk_settings_and_categories_changed_in_the_admin_are_in_the_security_log(admin_user):
    client = client_for(admin_user)
    client.defaults["REMOTE_ADDR"] = ADDRESS
    settings_row = DeskSettings.load()

    # A change: the field's value before and after.
    response = client.post(
        reverse("admin:tickets_desksettings_change", args=[settings_row.pk]),
        {"reopen_days": 10, "auto_close_days": 3, "sla_warning_percent": 75},
    )
    assert response.status_code == 302
    (change,) = admin_rows()
    assert (change.actor, change.ip_address) == (admin_user, ADDRESS)
    assert (change.object_type, change.object_id) == ("tickets.desksettings", str(settings_row.pk))
    assert change.changes == {"operation": "change", "fields": {"auto_close_days": [7, 3]}}

    # An addition, then a deletion through the list's bulk action.
    response = client.post(
        reverse("admin:tickets_category_add"),
        {"name": "Imprimantes 3D (essai)", "default_type": "incident", "position": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    category = Category.objects.get(name="Imprimantes 3D (essai)")
    added = admin_rows()[-1]
    assert added.object_id == str(category.pk)
    assert added.changes["operation"] == "add"
    assert added.changes["fields"]["name"] == [None, "Imprimantes 3D (essai)"]

    response = client.post(
        reverse("admin:tickets_category_changelist"),
        {"action": "delete_selected", "_selected_action": [category.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Category.objects.filter(pk=category.pk).exists()
    deleted = admin_rows()[-1]
    assert (deleted.object_id, deleted.changes) == (
        str(category.pk),
        {"operation": "delete", "fields": {}},
    )
    assert len(admin_rows()) == 3


def test_secrets_and_texts_changed_in_the_admin_are_not_copied_into_the_log(admin_user):
    from relais.core.admin_site import field_change
    from relais.reports.models import ScheduledReport

    assert field_change(Category, "smtp_password", "old", "new") == ["[redacted]", "[redacted]"]
    assert field_change(Category, "api_token", "a", "b") == ["[redacted]", "[redacted]"]
    # A long text says that it changed, not what it says.
    assert field_change(ScheduledReport, "extra_addresses", "a@x", "b@x") == [
        "[changed]",
        "[changed]",
    ]
