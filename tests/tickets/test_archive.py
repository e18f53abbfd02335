"""The intermediate archive (SECURITY.md H3): closed tickets leave the desk after
TICKET_ARCHIVE_YEARS and are anonymised after TICKET_RETENTION_YEARS, time-travelled with
freezegun; archived tickets are read only by archive readers (an audited grant), through HTML
and API, as tests/permissions/archive.yaml says; the job is idempotent and resumable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_delete
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

import relais.core.api  # noqa: F401  (builds the API schemas with the real datetime, before freezegun)
from relais.accounts.choices import Role, TokenScope
from relais.accounts.services import token_create
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.search.models import SearchEntry
from relais.tickets.choices import EventKind, LinkKind, TicketStatus
from relais.tickets.models import Ticket, TicketEvent, TicketFact
from relais.tickets.services import (
    ticket_link,
    ticket_reply,
    ticket_update,
    tickets_retention_run,
)
from relais.tickets.signals import ticket_anonymised
from tests.factories import UserFactory
from tests.matrix import load_matrix
from tests.tickets.conftest import open_ticket

pytestmark = pytest.mark.django_db

YEAR = timedelta(days=365)
CLOSED_AT = datetime(2020, 3, 2, 10, 0, tzinfo=UTC)


def html(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: Any) -> Client:
    secret = token_create(user=user, name="t", scope=TokenScope.WRITE).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _close(ticket: Ticket, agent: Any) -> Ticket:
    return ticket_update(
        ticket=ticket,
        actor=agent,
        changes={"status": TicketStatus.CLOSED},
        expected_version=None,
    )


@pytest.fixture
def horizons(settings: Any) -> None:
    settings.TICKET_ARCHIVE_YEARS = 2
    settings.TICKET_RETENTION_YEARS = 5


@pytest.fixture
def archive_reader(db: Any) -> Any:
    return UserFactory(role=Role.COLLABORATOR, reads_archive=True)


def test_a_closed_ticket_leaves_the_desk_at_n_years_and_is_anonymised_at_n_plus_m(  # type: ignore[no-untyped-def]
    horizons, requester, vpn_category, team_agent, archive_reader
):
    supervisor = UserFactory(role=Role.SUPERVISOR)
    with freeze_time(CLOSED_AT - timedelta(days=3)):
        ticket = open_ticket(requester, vpn_category, title="Le VPN de Mme Durand coupe")
        ticket_reply(ticket=ticket, actor=team_agent, body="Note interne", internal=True)
    with freeze_time(CLOSED_AT):
        _close(ticket, team_agent)
    ref = ticket.reference
    fact = TicketFact.objects.filter(ticket=ticket).values().get()

    with freeze_time(CLOSED_AT + 2 * YEAR - timedelta(days=1)):  # one day before N
        assert tickets_retention_run() == (0, 0)
        assert api(supervisor).get(f"/api/v1/tickets/{ref}").status_code == 200
        assert api(archive_reader).get(f"/api/v1/archive/tickets/{ref}").status_code == 404

    with freeze_time(CLOSED_AT + 2 * YEAR + timedelta(days=1)):  # N: archived
        assert tickets_retention_run() == (1, 0)
        assert tickets_retention_run() == (0, 0)  # idempotent
        for person in (requester, team_agent, supervisor):
            assert html(person).get(reverse("tickets:detail", args=[ref])).status_code == 404
            assert api(person).get(f"/api/v1/tickets/{ref}").status_code == 404
            listed = api(person).get("/api/v1/tickets", {"status": "closed"}).json()
            assert listed["count"] == 0 and listed["items"] == []
        assert not SearchEntry.objects.filter(kind="ticket", object_id=ticket.pk).exists()
        page = html(archive_reader).get(reverse("tickets:archive_detail", args=[ref]))
        assert page.status_code == 200
        assert "Le VPN de Mme Durand coupe" in page.text and "Note interne" in page.text
        body = api(archive_reader).get(f"/api/v1/archive/tickets/{ref}").json()
        assert body["reference"] == ref and body["title"] == "Le VPN de Mme Durand coupe"
        assert [m["body"] for m in body["messages"]] == ["Note interne"]
        assert body["history"][-1]["kind"] == EventKind.ARCHIVED
        reads = AuditLogEntry.objects.filter(action=AuditAction.ARCHIVE_READ)
        assert reads.count() == 2
        assert set(reads.values_list("actor_id", "object_id")) == {
            (archive_reader.pk, str(ticket.pk))
        }
        # A live ticket linked to it no longer lists the link (its history keeps the event).
        newer = open_ticket(requester, vpn_category, title="Encore le VPN")
        ticket_link(source=newer, target=ticket, actor=None, kind=LinkKind.RELATED)
        links = api(supervisor).get(f"/api/v1/tickets/{newer.reference}/links").json()
        assert links == []
        # Reports read the facts, which archiving leaves as they were.
        assert TicketFact.objects.filter(ticket=ticket).values().get() == fact

    with freeze_time(CLOSED_AT + 5 * YEAR - timedelta(days=1)):  # one day before N+M
        assert tickets_retention_run() == (0, 0)

    with freeze_time(CLOSED_AT + 5 * YEAR + timedelta(days=1)):  # N+M: "deleted"
        assert tickets_retention_run() == (0, 1)
        assert tickets_retention_run() == (0, 0)
        ticket.refresh_from_db()
        assert ticket.reference == ref and ticket.anonymised_at is not None
        assert "Durand" not in ticket.title and ticket.description == ""
        assert api(archive_reader).get(f"/api/v1/archive/tickets/{ref}").status_code == 404
        assert api(supervisor).get(f"/api/v1/tickets/{ref}").status_code == 404
        # The history's shape stays (opened, note, status, archived).
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ARCHIVED).count() == 1
        assert TicketFact.objects.filter(ticket=ticket).exists()


def _crash_on_call(number: int) -> Any:
    calls = {"n": 0}

    def receiver(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == number:
            raise RuntimeError("worker killed")

    return receiver


def _state() -> list[tuple[Any, ...]]:
    return list(
        Ticket.objects.order_by("pk").values_list(
            "reference", "archived_at", "anonymised_at", "title", "requester__email"
        )
    )


def test_a_run_that_crashes_half_way_is_finished_by_the_next_one(  # type: ignore[no-untyped-def]
    horizons, requester, vpn_category, team_agent
):
    """Five tickets closed six years ago, batches of two: a crash in the archive step (third
    search-entry removal) and then one in the anonymisation step (third ticket) leave whole
    batches done; the next run ends where an uninterrupted run ends."""
    with freeze_time(CLOSED_AT):
        tickets = [open_ticket(requester, vpn_category, title=f"PC {i}") for i in range(5)]
        for ticket in tickets:
            _close(ticket, team_agent)
    later = CLOSED_AT + 6 * YEAR

    crash = _crash_on_call(3)
    post_delete.connect(crash, sender=SearchEntry, dispatch_uid="crash")
    try:
        with freeze_time(later), pytest.raises(RuntimeError):
            tickets_retention_run(batch=2)
    finally:
        post_delete.disconnect(dispatch_uid="crash", sender=SearchEntry)
    assert Ticket.objects.filter(archived_at__isnull=False).count() == 2  # one whole batch

    crash = _crash_on_call(3)
    ticket_anonymised.connect(crash, dispatch_uid="crash")
    try:
        with freeze_time(later), pytest.raises(RuntimeError):
            tickets_retention_run(batch=2)
    finally:
        ticket_anonymised.disconnect(dispatch_uid="crash")
    assert Ticket.objects.filter(archived_at__isnull=False).count() == 5
    assert Ticket.objects.filter(anonymised_at__isnull=False).count() == 2

    with freeze_time(later):
        assert tickets_retention_run(batch=2) == (0, 3)
        assert tickets_retention_run(batch=2) == (0, 0)
    # The state of one uninterrupted run: every ticket archived and anonymised, once.
    assert _state() == [
        (t.reference, later, later, "Demande anonymisée", "anonyme@relais.invalid") for t in tickets
    ]
    assert TicketEvent.objects.filter(kind=EventKind.ARCHIVED).count() == 5
    assert not SearchEntry.objects.filter(kind="ticket").exists()


def test_the_archive_reader_grant_is_given_by_an_administrator_and_audited(  # type: ignore[no-untyped-def]
    db,
):
    admin = UserFactory(role=Role.ADMIN)
    supervisor = UserFactory(role=Role.SUPERVISOR)
    person = UserFactory(role=Role.COLLABORATOR)
    url = reverse("accounts:archive_reader_set", args=[person.pk])

    assert html(supervisor).post(url, {"granted": "1"}).status_code == 403
    assert html(person).post(url, {"granted": "1"}).status_code == 404
    person.refresh_from_db()
    assert not person.reads_archive
    assert html(person).get(reverse("tickets:archive_list")).status_code == 404

    assert html(admin).post(url, {"granted": "1"}, REMOTE_ADDR="192.0.2.7").status_code == 302
    person.refresh_from_db()
    assert person.reads_archive
    entry = AuditLogEntry.objects.get(action=AuditAction.PERMISSION_CHANGE)
    assert (entry.actor_id, entry.object_id, entry.ip_address) == (
        admin.pk,
        str(person.pk),
        "192.0.2.7",
    )
    assert entry.changes == {"reads_archive": [False, True]}
    assert html(person).get(reverse("tickets:archive_list")).status_code == 200

    html(admin).post(url, {"granted": "0"})
    person.refresh_from_db()
    assert not person.reads_archive
    assert AuditLogEntry.objects.filter(action=AuditAction.PERMISSION_CHANGE).count() == 2
    assert html(person).get(reverse("tickets:archive_list")).status_code == 404


def test_archive_pages_have_bounded_queries(  # type: ignore[no-untyped-def]
    horizons, requester, vpn_category, team_agent, archive_reader
):
    with freeze_time(CLOSED_AT):
        tickets = [open_ticket(requester, vpn_category, title=f"PC {i}") for i in range(3)]
        for ticket in tickets:
            ticket_reply(ticket=ticket, actor=team_agent, body="Réponse")
            _close(ticket, team_agent)
    with freeze_time(CLOSED_AT + 3 * YEAR):
        tickets_retention_run()
    client = html(archive_reader)
    client.get(reverse("tickets:archive_list"))  # warm the session and the desk snapshot

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries(reverse("tickets:archive_list"))
    for i in range(3, 8):
        with freeze_time(CLOSED_AT):
            ticket = open_ticket(requester, vpn_category, title=f"PC {i}")
            _close(ticket, team_agent)
    with freeze_time(CLOSED_AT + 3 * YEAR):
        tickets_retention_run()
    assert queries(reverse("tickets:archive_list")) == few <= 8
    detail = reverse("tickets:archive_detail", args=[tickets[0].reference])
    assert queries(detail) <= 10


def _allowed(spec: Any, name: str) -> bool:
    return spec == "all" or (isinstance(spec, list) and name in spec)


def test_archive_matrix_through_html_and_api(  # type: ignore[no-untyped-def]
    horizons, requester, vpn_category, team_agent, archive_reader
):
    """tests/permissions/archive.yaml, cell by cell, through the HTML pages and the API."""
    people = {
        "requester": requester,
        "team_agent": team_agent,
        "supervisor": UserFactory(role=Role.SUPERVISOR),
        "admin": UserFactory(role=Role.ADMIN),
        "archive_reader": archive_reader,
        "admin_reader": UserFactory(role=Role.ADMIN, reads_archive=True),
    }
    with freeze_time(CLOSED_AT):
        archived = open_ticket(requester, vpn_category, title="Ticket archivé")
        deleted = open_ticket(requester, vpn_category, title="Ticket effacé")
        _close(archived, team_agent)
        _close(deleted, team_agent)
    with freeze_time(CLOSED_AT + 6 * YEAR):
        tickets_retention_run()  # both archived, `deleted` anonymised
    Ticket.objects.filter(pk=archived.pk).update(anonymised_at=None, title="Ticket archivé")
    live = open_ticket(requester, vpn_category, title="Ticket récent")
    _close(live, team_agent)
    objects = {"live": live, "archived": archived, "deleted": deleted}
    matrix = load_matrix("archive")["ticket"]
    failures: list[str] = []
    cells = 0

    def check(who: str, action: str, name: str, channel: str, ok: bool, status: int) -> None:
        nonlocal cells
        cells += 1
        if not ok:
            failures.append(f"{who} {action} {name} via {channel}: {status}")

    for who, user in people.items():
        web, rest = html(user), api(user)
        desk_rows = {
            r["reference"]
            for r in rest.get("/api/v1/tickets", {"status": "closed"}).json()["items"]
        }
        # The desk's queue of closed tickets, and the person's own finished requests.
        desk_page = web.get(reverse("tickets:portal"), {"etat": "terminees"}).text
        if user.is_staff_member:
            desk_page += web.get(reverse("tickets:queue"), {"status": "closed"}).text
        archive_rows = rest.get("/api/v1/archive/tickets")
        archive_page = web.get(reverse("tickets:archive_list"))
        for name, ticket in objects.items():
            ref = ticket.reference
            for action, spec in matrix.items():
                allowed = _allowed(spec.get(who), name)
                if action == "desk_list":
                    check(who, action, name, "api", (ref in desk_rows) == allowed, 200)
                    check(who, action, name, "html", (ref in desk_page) == allowed, 200)
                elif action == "desk_view":
                    for channel, response in (
                        ("html", web.get(reverse("tickets:detail", args=[ref]))),
                        ("api", rest.get(f"/api/v1/tickets/{ref}")),
                        ("api history", rest.get(f"/api/v1/tickets/{ref}/history")),
                    ):
                        status = response.status_code
                        check(
                            who,
                            action,
                            name,
                            channel,
                            status < 400 if allowed else status == 404,
                            status,
                        )
                elif action == "desk_write" and name != "live":
                    for channel, response in (
                        (
                            "html",
                            web.post(reverse("tickets:reply", args=[ref]), {"body": "Et alors ?"}),
                        ),
                        (
                            "api",
                            rest.post(
                                f"/api/v1/tickets/{ref}/replies",
                                {"body": "Et alors ?"},
                                content_type="application/json",
                            ),
                        ),
                    ):
                        status = response.status_code
                        check(
                            who,
                            action,
                            name,
                            channel,
                            status < 400 if allowed else status == 404,
                            status,
                        )
                elif action == "search":
                    found = rest.get("/api/v1/search", {"q": ticket.title, "kind": "ticket"})
                    refs = {hit["title"].split(" · ")[0] for hit in found.json()["results"]}
                    check(who, action, name, "api", (ref in refs) == allowed, found.status_code)
                elif action == "archive_list":
                    if archive_rows.status_code == 200:
                        listed = {r["reference"] for r in archive_rows.json()["items"]}
                        check(who, action, name, "api", (ref in listed) == allowed, 200)
                        check(who, action, name, "html", (ref in archive_page.text) == allowed, 200)
                    else:
                        check(who, action, name, "api", not allowed, archive_rows.status_code)
                        check(
                            who,
                            action,
                            name,
                            "html",
                            not allowed and archive_page.status_code == 404,
                            archive_page.status_code,
                        )
                elif action == "archive_view":
                    for channel, response in (
                        ("html", web.get(reverse("tickets:archive_detail", args=[ref]))),
                        ("api", rest.get(f"/api/v1/archive/tickets/{ref}")),
                    ):
                        status = response.status_code
                        check(
                            who,
                            action,
                            name,
                            channel,
                            status == 200 if allowed else status == 404,
                            status,
                        )
    assert Ticket.objects.get(pk=archived.pk).messages.count() == 0  # nothing written
    assert not failures, "\n".join(failures)
    assert cells >= 150
