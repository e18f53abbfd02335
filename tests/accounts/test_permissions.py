"""The accounts permission matrix, through HTML and API (tests/permissions/accounts.yaml)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relais.accounts.choices import Role, TokenScope
from relais.accounts.services import token_create
from relais.core.choices import OutboxStatus
from relais.core.models import OutboxMessage
from relais.core.services import email_enqueue
from tests.conftest import client_for
from tests.factories import OrgUnitFactory, UserFactory
from tests.matrix import Action, Call, check_matrix, load_matrix

pytestmark = pytest.mark.django_db

ACTIONS = {
    "user": {
        "view": Action(
            html=Call("GET", lambda u: reverse("accounts:user_detail", args=[u.pk])),
            api=Call("GET", lambda u: f"/api/v1/users/{u.pk}"),
        ),
        "list": Action(
            html=Call("GET", lambda _o: reverse("accounts:user_list")),
            api=Call("GET", lambda _o: "/api/v1/users"),
            on_object=False,
        ),
        "reset_otp": Action(
            html=Call("POST", lambda u: reverse("accounts:otp_reset", args=[u.pk])),
            admin_only=True,
        ),
    },
    "api_token": {
        "revoke": Action(
            html=Call("POST", lambda t: reverse("accounts:token_revoke", args=[t.pk])),
            api=Call("DELETE", lambda t: f"/api/v1/tokens/{t.pk}"),
        ),
        "list": Action(
            html=Call("GET", lambda _o: reverse("accounts:tokens")),
            api=Call("GET", lambda _o: "/api/v1/tokens"),
            on_object=False,
        ),
    },
    "org_unit": {
        "list": Action(api=Call("GET", lambda _o: "/api/v1/org-units"), on_object=False),
    },
    "outbox_message": {
        "list": Action(
            html=Call("GET", lambda _o: reverse("core:outbox")), on_object=False, admin_only=True
        ),
        "requeue": Action(
            html=Call("POST", lambda m: reverse("core:outbox_requeue", args=[m.pk])),
            admin_only=True,
        ),
    },
}


def dead_message(_actor: object) -> OutboxMessage:
    message = email_enqueue(to=["x@relais.test"], subject="s", text="t")
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DEAD)
    return message


def test_accounts_permission_matrix():
    people = {role: UserFactory(role=role) for role in Role.values}
    stranger = UserFactory(role=Role.COLLABORATOR)
    OrgUnitFactory()
    objects = {
        "user": {"self": lambda actor: actor, "other": lambda _actor: stranger},
        "api_token": {
            "own": lambda actor: token_create(user=actor, name="own").token,
            "other": lambda _actor: token_create(user=stranger, name="other").token,
        },
        "org_unit": {"any": lambda _actor: None},
        "outbox_message": {"dead": dead_message},
    }

    outcome = check_matrix(
        matrix=load_matrix("accounts"), people=people, objects=objects, actions=ACTIONS
    )

    assert not outcome.failures, "\n".join(outcome.failures)
    assert outcome.cells == 68


def test_a_refused_revoke_changes_nothing():
    owner = UserFactory(role=Role.AGENT)
    other = UserFactory(role=Role.AGENT)
    token = token_create(user=owner, name="script", scope=TokenScope.READ).token

    response = client_for(other).post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
