"""E-mail channel permission matrix (tests/permissions/mail.yaml): every role × object ×
action through the HTML views and the API; the original of a filed mail is shown to whoever
may see what it became on the ticket, and nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from relais.mail.choices import InboundStatus, UnknownSenders
from relais.mail.models import InboundMessage, Mailbox
from relais.mail.services import ingest
from tests.conftest import client_for
from tests.mail.conftest import build_mail
from tests.matrix import Action, Call, check_matrix, load_matrix

pytestmark = pytest.mark.django_db


@pytest.fixture
def box(category: Any) -> Mailbox:
    return Mailbox.objects.create(
        name="support",
        address="support@relais.test",
        host="imap.relais.test",
        username="support",
        category=category,
        unknown_senders=UnknownSenders.QUARANTINE,
    )


def test_mail_permission_matrix(users_by_role: dict[str, Any], box: Mailbox) -> None:
    def quarantined(_user: Any) -> InboundMessage:
        raw = build_mail(sender="inconnu@ailleurs.example")
        inbound = ingest(raw, mailbox=box).inbound
        assert inbound.status == InboundStatus.QUARANTINED
        return inbound

    def on(name: str, api: str | None = None, method: str = "POST") -> Action:
        return Action(
            html=Call(method, lambda m: reverse(f"mail:{name}", args=[m.pk])),
            api=Call(method, lambda m: f"/api/v1/mail/messages/{m.pk}/{api}") if api else None,
        )

    actions = {
        "inbound": {
            "list": Action(
                html=Call("GET", lambda _m: reverse("mail:list")),
                api=Call("GET", lambda _m: "/api/v1/mail/messages"),
                on_object=False,
                admin_only=True,
            ),
            "view": Action(
                html=Call("GET", lambda m: reverse("mail:detail", args=[m.pk])),
                api=Call("GET", lambda m: f"/api/v1/mail/messages/{m.pk}"),
            ),
            "raw": on("raw", method="GET"),
            "release": on("release", "release"),
            "discard": on("discard", "discard"),
            "replay": on("replay", "replay"),
        },
        "mailbox": {
            "list": Action(
                html=Call("GET", lambda _m: reverse("mail:mailboxes")),
                api=Call("GET", lambda _m: "/api/v1/mail/mailboxes"),
                on_object=False,
                admin_only=True,
            ),
            "edit": Action(
                html=Call("GET", lambda m: reverse("mail:mailbox_edit", args=[m.pk])),
                admin_only=True,
            ),
        },
    }
    outcome = check_matrix(
        matrix=load_matrix("mail"),
        people=users_by_role,
        objects={
            "inbound": {"quarantined": quarantined},
            "mailbox": {"box": lambda _user: box},
        },
        actions=actions,
    )
    assert outcome.failures == []
    assert outcome.cells >= 4 * 13


def test_the_mailbox_password_is_never_shown_back(admin_user: Any, box: Mailbox) -> None:
    from relais.mail.services import mailbox_save

    mailbox_save(
        mailbox=box, data={}, password="s3cret-imap-Passw0rd", actor=admin_user, request=None
    )
    box.refresh_from_db()
    assert "s3cret" not in box.password_sealed
    client = client_for(admin_user)
    page = client.get(reverse("mail:mailbox_edit", args=[box.pk])).content.decode()
    api = client.get("/api/v1/mail/mailboxes").content.decode()
    for text in (page, api):
        assert "s3cret-imap-Passw0rd" not in text and box.password_sealed not in text
    assert '"has_password": true' in api
    # Saving the form without a password keeps the stored one.
    sealed = box.password_sealed
    response = client.post(
        reverse("mail:mailbox_edit", args=[box.pk]),
        {
            "name": box.name,
            "address": box.address,
            "host": box.host,
            "port": 993,
            "security": "imaps",
            "username": box.username,
            "folder": "INBOX",
            "processed_folder": "",
            "unknown_senders": "contact",
            "category": box.category_id,
            "is_active": "on",
            "password": "",
        },
    )
    assert response.status_code == 302
    box.refresh_from_db()
    assert box.password_sealed == sealed and box.unknown_senders == "contact"


def test_the_original_of_a_filed_mail_follows_the_ticket_permissions(
    claire: Any, collaborator: Any, agent: Any, sophie: Any, ingest_mail: Any
) -> None:
    inbound = ingest_mail(
        build_mail(
            sender=claire.email, body="Bonjour\n\n> citation du fil\n", html="<p>Bonjour</p>"
        )
    ).inbound
    url = reverse("mail:original", args=[inbound.ticket.reference, inbound.pk])
    page = client_for(claire).get(url)
    assert page.status_code == 200 and "citation du fil" in page.content.decode()
    assert client_for(sophie).get(url).status_code == 200
    assert client_for(collaborator).get(url).status_code == 404
    other = reverse("mail:original", args=["INC-2026-999999", inbound.pk])
    assert client_for(claire).get(other).status_code == 404


def test_a_new_mailbox_is_created_through_the_service_or_refused_with_a_message(
    admin_user: Any, box: Mailbox
) -> None:
    from django.core.exceptions import ValidationError

    from relais.mail.services import mailbox_save

    fields = {"name": "Support", "address": "support@example.org", "host": "imap.example.org"}
    fields |= {"username": "support", "folder": "INBOX"}
    with pytest.raises(ValidationError) as refused:
        mailbox_save(mailbox=Mailbox(), data=fields, password="x", actor=admin_user)
    assert "category" in refused.value.message_dict
    assert not Mailbox.objects.filter(name="Support").exists()

    created = mailbox_save(
        mailbox=Mailbox(), data={**fields, "category": box.category}, password="x", actor=admin_user
    )
    assert Mailbox.objects.get(pk=created.pk).category_id == box.category_id
