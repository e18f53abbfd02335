"""A client retrying an API write with the same Idempotency-Key gets one effect (SECURITY.md,
issue 11's fault drill: "the same request retried with the same Idempotency-Key creates one
ticket")."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from relais.accounts.choices import TokenScope
from relais.accounts.services import token_create
from relais.core.models import IdempotencyKey
from relais.core.services import idempotency_keys_purge
from relais.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    secret = token_create(user=user, name="t", scope=TokenScope.WRITE).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _open(client: Client, category_id: int, key: str | None, title: str = "VPN coupé"):  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/tickets",
        data={"category_id": category_id, "title": title, "description": "Depuis ce matin."},
        content_type="application/json",
        headers=headers,
    )


def test_a_retried_creation_makes_one_ticket_and_answers_the_same(requester, vpn_category):  # type: ignore[no-untyped-def]
    client = _client(requester)
    first = _open(client, vpn_category.pk, "3f0c-retry-1")
    again = _open(client, vpn_category.pk, "3f0c-retry-1")
    assert first.status_code == again.status_code == 201
    assert json.loads(again.content)["reference"] == json.loads(first.content)["reference"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Ticket.objects.count() == 1
    # Without the header, or with another key, each request is its own.
    assert _open(client, vpn_category.pk, None).status_code == 201
    assert _open(client, vpn_category.pk, "3f0c-retry-2").status_code == 201
    assert Ticket.objects.count() == 3


def test_the_same_key_for_another_request_is_refused(requester, vpn_category):  # type: ignore[no-untyped-def]
    client = _client(requester)
    assert _open(client, vpn_category.pk, "k-1").status_code == 201
    other = _open(client, vpn_category.pk, "k-1", title="Imprimante en panne")
    assert other.status_code == 422
    assert json.loads(other.content)["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(requester, vpn_category):  # type: ignore[no-untyped-def]
    client = _client(requester)
    refused = _open(client, vpn_category.pk, "k-2", title="")
    assert refused.status_code == 422  # the title is required
    fixed = client.post(
        "/api/v1/tickets",
        data={"category_id": vpn_category.pk, "title": "VPN", "description": "Coupé."},
        content_type="application/json",
        headers={"Idempotency-Key": "k-2"},
    )
    assert fixed.status_code == 201


def test_keys_belong_to_their_credential(requester, team_agent, vpn_category):  # type: ignore[no-untyped-def]
    # Another person's key never replays someone else's response.
    assert _open(_client(requester), vpn_category.pk, "shared").status_code == 201
    theirs = _open(_client(team_agent), vpn_category.pk, "shared")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Ticket.objects.count() == 2


def test_keys_are_forgotten_after_a_day(requester, vpn_category):  # type: ignore[no-untyped-def]
    assert _open(_client(requester), vpn_category.pk, "old").status_code == 201
    assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="concurrent writers: the PostgreSQL run",
)
def test_two_copies_sent_at_the_same_moment_make_one_ticket():  # type: ignore[no-untyped-def]
    # A transactional test may run after a flush of the seeded data: it brings its own.
    from relais.accounts.choices import Role
    from relais.tickets.models import Category
    from tests.factories import UserFactory

    requester = UserFactory(role=Role.COLLABORATOR)
    category = Category.objects.create(name="Concurrence", default_type="incident")
    secret = token_create(user=requester, name="t", scope=TokenScope.WRITE).secret
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send() -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        barrier.wait()
        try:
            statuses.append(_open(client, category.pk, "same-moment").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.count() == 1
    assert set(statuses) <= {201, 409} and 201 in statuses
