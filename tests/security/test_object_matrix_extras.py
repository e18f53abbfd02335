"""SECURITY.md A2 for the object types the app matrices (tests/permissions/*.yaml) do not
hold: saved views of the queue, and audit-log entries. (Export files: the personal-data
archive is tests/core/test_privacy.py::test_the_link_is_for_administrators_and_expires; the
report and asset exports are streamed, never stored.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from relais.accounts.choices import Role
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.core.services import audit_record
from relais.tickets.models import SavedView
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_saved_views_are_their_owners_only(agent, collaborator):
    colleague = UserFactory(role=Role.AGENT)
    SavedView.objects.create(owner=agent, name="Mes urgences", query="priority=P1")

    # Another agent does not see it in the queue, and saving the same name makes their own.
    page = client_for(colleague).get(reverse("tickets:queue"))
    assert page.status_code == 200
    assert "Mes urgences" not in page.content.decode()
    client_for(colleague).post(
        reverse("tickets:saved_view_create"), {"name": "Mes urgences", "query": "status=new"}
    )
    assert SavedView.objects.get(owner=agent).query == "priority=P1"
    assert SavedView.objects.get(owner=colleague).query == "status=new"
    assert "Mes urgences" in client_for(agent).get(reverse("tickets:queue")).content.decode()

    # A collaborator has no queue and no views.
    refused = client_for(collaborator).post(
        reverse("tickets:saved_view_create"), {"name": "x", "query": ""}
    )
    assert refused.status_code == 404
    assert not SavedView.objects.filter(owner=collaborator).exists()


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.AGENT, Role.SUPERVISOR, Role.ADMIN])
def test_audit_log_entries_are_read_by_administrators_and_changed_by_no_one(role):
    person = UserFactory(role=role)
    entry = audit_record(action=AuditAction.LOGIN_SUCCESS, actor=person, target=person)
    client = client_for(person)
    listing = client.get(reverse("admin:core_auditlogentry_changelist"))
    detail = client.get(reverse("admin:core_auditlogentry_change", args=[entry.pk]))
    change = client.post(
        reverse("admin:core_auditlogentry_change", args=[entry.pk]), {"actor_label": "forged"}
    )
    delete = client.post(
        reverse("admin:core_auditlogentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    if role == Role.ADMIN:
        assert (listing.status_code, detail.status_code) == (200, 200)
        assert (change.status_code, delete.status_code) == (403, 403)
    else:  # Django's admin sends everyone else to its login page
        assert {r.status_code for r in (listing, detail, change, delete)} == {302}
    entry.refresh_from_db()
    assert entry.actor_label == person.email
    assert AuditLogEntry.objects.filter(pk=entry.pk).exists()
