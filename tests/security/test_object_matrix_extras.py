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
from tests.conftest import api_client_for, client_for
from tests.factories import UserFactory
from tests.matrix import Action, Call, check_matrix, load_matrix

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


def test_saved_view_matrix_by_id_through_html_and_api(users_by_role):
    """Retrieve, rename and delete one saved view by its id: the owner only, on both
    interfaces (tests/permissions/saved_views.yaml); then a refused rename or delete of
    another person's view changes nothing."""
    stranger = UserFactory(role=Role.AGENT)

    def own(user):  # type: ignore[no-untyped-def]
        return SavedView.objects.create(owner=user, name="Mes urgences", query="priority=P1")

    def other(user):  # type: ignore[no-untyped-def]
        return SavedView.objects.create(owner=stranger, name="Réseau", query="queue=team")

    html_page = Call("GET", lambda v: reverse("tickets:saved_view", args=[v.pk]))
    outcome = check_matrix(
        matrix=load_matrix("saved_views"),
        people=users_by_role,
        objects={"saved_view": {"own": own, "other": other}},
        actions={
            "saved_view": {
                "retrieve": Action(
                    html=html_page, api=Call("GET", lambda v: f"/api/v1/saved-views/{v.pk}")
                ),
                "rename": Action(
                    html=Call(
                        "POST",
                        lambda v: reverse("tickets:saved_view", args=[v.pk]),
                        {"name": "Renommée"},
                    ),
                    api=Call(
                        "PATCH", lambda v: f"/api/v1/saved-views/{v.pk}", {"name": "Renommée"}
                    ),
                ),
                "delete": Action(
                    html=Call("POST", lambda v: reverse("tickets:saved_view_delete", args=[v.pk])),
                    api=Call("DELETE", lambda v: f"/api/v1/saved-views/{v.pk}"),
                ),
            }
        },
    )
    assert not outcome.failures, "\n".join(outcome.failures)
    assert outcome.cells == 3 * 4 * 2 * 2

    theirs = other(None)
    agent = users_by_role[Role.AGENT]
    browser, api = client_for(agent), api_client_for(agent)
    assert (
        browser.post(reverse("tickets:saved_view", args=[theirs.pk]), {"name": "x"}).status_code
        == 404
    )
    assert (
        api.patch(
            f"/api/v1/saved-views/{theirs.pk}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert browser.post(reverse("tickets:saved_view_delete", args=[theirs.pk])).status_code == 404
    assert api.delete(f"/api/v1/saved-views/{theirs.pk}").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.owner_id, theirs.name, theirs.query) == (stranger.pk, "Réseau", "queue=team")
    # The API list is the caller's own views only.
    own(agent)
    assert [v["name"] for v in api.get("/api/v1/saved-views").json()] == ["Mes urgences"]
    assert (
        api_client_for(users_by_role[Role.COLLABORATOR]).get("/api/v1/saved-views").status_code
        == 404
    )


def test_renaming_a_saved_view_to_a_name_taken_is_refused(agent):
    SavedView.objects.create(owner=agent, name="Urgences", query="priority=P1")
    view = SavedView.objects.create(owner=agent, name="Réseau", query="queue=team")
    api = api_client_for(agent)
    response = api.patch(
        f"/api/v1/saved-views/{view.pk}", {"name": "Urgences"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"]
    page = client_for(agent).post(
        reverse("tickets:saved_view", args=[view.pk]), {"name": "Urgences"}
    )
    assert page.status_code == 400
    view.refresh_from_db()
    assert view.name == "Réseau"


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
