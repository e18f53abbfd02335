"""The database goes away under a running Relais (fault drill b, SECURITY.md I1): requests fail
fast with a 503 (a page or a JSON body, with Retry-After, never a 500 nor a hang), /readyz
says not ready, nothing half-done stays behind, and Relais serves again as soon as the
database is back, without being restarted.

The fault is real but local: the test's connections go through a TCP relay (tests/tcpproxy.py)
that is cut (open connections reset, new ones refused: what clients see while PostgreSQL
restarts) and restored. The shared PostgreSQL server itself is never stopped; the scripted
drill with a real `pg_ctl restart` of a throwaway cluster under load is
scripts/drills/postgres_restart.py (results in docs/operations.md, "Fault drills").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import TokenScope
from relais.accounts.services import token_create
from relais.core import faults
from relais.core.files import storage_walk
from relais.core.models import OutboxMessage
from relais.tickets.choices import Level
from relais.tickets.models import Attachment, Ticket
from relais.tickets.services import attachments_sweep_orphans
from tests.tcpproxy import TcpProxy

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="cuts a network connection to the database server (PostgreSQL run)",
    ),
]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


@pytest.fixture
def database_link() -> Iterator[TcpProxy]:
    """Every new connection of this process to the database goes through a relay the test
    can cut."""
    params = connection.settings_dict
    saved = params["HOST"], params["PORT"]
    proxy = TcpProxy(saved[0] or "127.0.0.1", int(saved[1] or 5432))
    proxy.start()
    connection.close()
    params["HOST"], params["PORT"] = "127.0.0.1", str(proxy.port)
    try:
        yield proxy
    finally:
        faults.disarm()
        proxy.restore()
        connection.close()
        params["HOST"], params["PORT"] = saved
        proxy.stop()
        connection.close()


def _web(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    secret = token_create(user=user, name="t", scope=TokenScope.WRITE).secret
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_requests_fail_fast_with_503_while_the_database_is_down_and_recover_after(
    database_link: TcpProxy, requester
) -> None:
    web, api, anonymous = _web(requester), _api(requester), Client(raise_request_exception=False)
    assert web.get(reverse("tickets:portal")).status_code == 200
    assert api.get("/api/v1/tickets").status_code == 200

    database_link.cut()
    started = time.monotonic()
    page = web.get(reverse("tickets:portal"))
    assert page.status_code == 503
    assert page["Retry-After"] == "10"
    assert "Service momentanément indisponible" in page.content.decode()
    listing = api.get("/api/v1/tickets")
    assert listing.status_code == 503
    assert listing["Retry-After"] == "10"
    assert listing.json()["code"] == "unavailable"
    ready = anonymous.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "error"
    assert time.monotonic() - started < 5  # refused at once, not a hang

    database_link.restore()  # the same process, not restarted
    assert web.get(reverse("tickets:portal")).status_code == 200
    assert api.get("/api/v1/tickets").status_code == 200
    assert anonymous.get("/readyz").json()["checks"]["database"] == "ok"


def test_database_lost_before_the_commit_of_a_new_ticket_leaves_nothing_and_a_retry_works(
    database_link: TcpProxy, requester, vpn_category
) -> None:
    """SECURITY.md I1 through the form: two attachments stored, the database lost after
    validation and before the commit."""
    web = _web(requester)
    form = {
        "category": vpn_category.pk,
        "title": "VPN coupé",
        "description": "Depuis 9 h",
        "impact": Level.LOW,
        "urgency": Level.HIGH,
    }

    def post():  # type: ignore[no-untyped-def]
        files = [
            SimpleUploadedFile("erreur.txt", b"Erreur 809", "text/plain"),
            SimpleUploadedFile("capture.png", PNG, "image/png"),
        ]
        return web.post(
            reverse("tickets:new") + f"?categorie={vpn_category.pk}",
            {**form, "attachments": files},
        )

    faults.arm("ticket_open.before_commit", action=database_link.cut)
    failed = post()
    assert failed.status_code == 503
    database_link.restore()
    assert not Ticket.objects.exists()
    assert not OutboxMessage.objects.exists()  # no notification for a ticket that is not
    orphans = list(storage_walk("attachments"))
    assert len(orphans) == 2  # written before the commit failed

    retried = post()
    assert retried.status_code == 302
    ticket = Ticket.objects.get()
    assert sorted(
        Attachment.objects.filter(ticket=ticket).values_list("original_name", flat=True)
    ) == [
        "capture.png",
        "erreur.txt",
    ]
    # The failed attempt's files are orphans: the daily sweep removes them (past 24 h).
    assert attachments_sweep_orphans(older_than=timedelta(seconds=-60)) == 2
    assert sorted(storage_walk("attachments")) == sorted(
        Attachment.objects.values_list("storage_name", flat=True)
    )


def test_an_api_write_lost_with_the_database_is_retried_with_its_key_into_one_ticket(
    database_link: TcpProxy, requester, vpn_category
) -> None:
    api = _api(requester)

    def create():  # type: ignore[no-untyped-def]
        return api.post(
            "/api/v1/tickets",
            data={"category_id": vpn_category.pk, "title": "Imprimante", "description": "HS"},
            content_type="application/json",
            headers={"Idempotency-Key": "8d6c0f3e-retry"},
        )

    faults.arm("ticket_open.before_commit", action=database_link.cut)
    failed = create()
    assert failed.status_code == 503
    assert failed.json()["code"] == "unavailable"
    database_link.restore()
    assert not Ticket.objects.exists()

    first = create()
    assert first.status_code == 201
    replayed = create()
    assert replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json()["reference"] == first.json()["reference"]
    assert Ticket.objects.count() == 1
