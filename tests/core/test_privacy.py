"""Personal data (RGPD): an administrator exports everything about a person through an
expiring link, or erases it by pseudonymisation that keeps ticket numbers and the audit trail."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from relais.accounts.models import User
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry, OutboxMessage, PersonalDataExport
from relais.core.privacy import exports_purge
from relais.mail.models import Correspondent, InboundMessage
from relais.mail.services import ingest
from relais.monitoring.models import Subscription
from relais.tickets.models import Category, Ticket
from relais.tickets.services import TicketDraft, ticket_open, ticket_reply
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


@pytest.fixture
def person(collaborator: User, django_capture_on_commit_callbacks: Any) -> User:
    """A colleague with a ticket (and a screenshot), a reply, a mail, a status subscription."""
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_open(
            actor=collaborator,
            draft=TicketDraft(
                category=category,
                title="Le VPN se déconnecte",
                description="Depuis ce matin, toutes les 10 minutes.",
                attachments=[SimpleUploadedFile("capture.png", PNG, content_type="image/png")],
            ),
        )
        ticket_reply(ticket=ticket, actor=collaborator, body="Toujours coupé ce soir.")
        ingest(
            f"From: {collaborator.display_name} <{collaborator.email}>\r\n"
            "To: support@relais.test\r\nSubject: Imprimante\r\n"
            "Message-ID: <rgpd-1@client.example>\r\n\r\nEn panne.\r\n".encode()
        )
    Subscription.objects.create(email=collaborator.email.upper())
    return collaborator


def _export_link(admin: User, person: User) -> str:
    page = client_for(admin).post(f"/annuaire/{person.pk}/donnees/export/")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index("/annuaire/donnees/telecharger/")
    return html[start : html.index('"', start)]


def test_an_administrator_exports_everything_about_a_person(person, admin_user):  # type: ignore[no-untyped-def]
    link = _export_link(admin_user, person)
    response = client_for(admin_user).get(link)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("personal-data.json"))
    text = json.dumps(data, ensure_ascii=False)
    assert data["profile"]["email"] == person.email
    reference = Ticket.objects.get(requester=person, title="Le VPN se déconnecte").reference
    assert reference in text and "Toujours coupé ce soir." in text
    assert "rgpd-1@client.example" in text  # the mail that came from their address
    assert "monitoring.Subscription" in data["relations"]
    assert "argon2" not in text and "password" not in data["profile"]  # no secret
    assert [name for name in archive.namelist() if name.endswith("capture.png")]
    assert AuditLogEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORT).count() == 1


def test_the_link_is_for_administrators_and_expires(person, admin_user, supervisor):  # type: ignore[no-untyped-def]
    link = _export_link(admin_user, person)
    assert client_for(supervisor).get(link).status_code == 404
    assert Client().get(link).status_code == 302  # to the login page
    assert (
        client_for(admin_user).get(link.replace("telecharger/", "telecharger/x")).status_code == 404
    )
    export = PersonalDataExport.objects.get()
    PersonalDataExport.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(admin_user).get(link).status_code == 404
    assert exports_purge() == 1
    assert not default_storage.exists(export.storage_name)


@pytest.mark.parametrize("role", ["collaborator", "agent", "supervisor"])
def test_only_administrators_export_or_erase(person, role, request):  # type: ignore[no-untyped-def]
    viewer = person if role == "collaborator" else request.getfixturevalue(role)
    client = client_for(viewer)
    assert client.post(f"/annuaire/{person.pk}/donnees/export/").status_code in (403, 404)
    erased = client.post(f"/annuaire/{person.pk}/donnees/effacer/", {"confirm": person.email})
    assert erased.status_code in (403, 404)
    person.refresh_from_db()
    assert person.is_active and not PersonalDataExport.objects.exists()


def test_erasure_pseudonymises_and_keeps_tickets_and_the_audit_trail(person, admin_user):  # type: ignore[no-untyped-def]
    address = person.email
    ticket = Ticket.objects.get(requester=person, title="Le VPN se déconnecte")
    raw = InboundMessage.objects.get(sender=address)
    audit_before = set(AuditLogEntry.objects.values_list("pk", flat=True))
    client = client_for(admin_user)

    refused = client.post(f"/annuaire/{person.pk}/donnees/effacer/", {"confirm": "autre@x.fr"})
    assert refused.status_code == 302
    person.refresh_from_db()
    assert person.email == address  # a wrong confirmation changes nothing

    client.post(f"/annuaire/{person.pk}/donnees/effacer/", {"confirm": address.upper()})
    person.refresh_from_db()
    assert person.email.endswith("@relais.invalid") and address not in person.display_name
    assert not person.is_active and not person.has_usable_password()
    assert person.phone == "" and person.org_unit is None
    assert Ticket.objects.get(pk=ticket.pk).reference == ticket.reference  # numbers stay
    assert Ticket.objects.get(pk=ticket.pk).requester_id == person.pk
    raw.refresh_from_db()
    assert raw.sender == person.email and raw.original_text == "" and raw.raw_purged_at
    assert not Correspondent.objects.filter(address__iexact=address).exists()
    assert not Subscription.objects.filter(email__iexact=address).exists()
    for message in OutboxMessage.objects.all():  # acknowledgements sent to them
        assert address not in json.dumps(message.payload)
    # The audit trail is whole, plus the erasure itself.
    assert audit_before < set(AuditLogEntry.objects.values_list("pk", flat=True))
    assert AuditLogEntry.objects.filter(action=AuditAction.PERSONAL_DATA_ERASE).exists()
    # The former address no longer logs in.
    response = Client().post("/connexion/", {"username": address, "password": "x" * 16})
    assert response.status_code == 200 and "_auth_user_id" not in response.client.session


def test_an_administrator_cannot_erase_themselves(admin_user):  # type: ignore[no-untyped-def]
    response = client_for(admin_user).post(
        f"/annuaire/{admin_user.pk}/donnees/effacer/", {"confirm": admin_user.email}
    )
    assert response.status_code in (403, 404)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_the_command_line_exports_and_asks_before_erasing(person, tmp_path, capsys):  # type: ignore[no-untyped-def]
    output = tmp_path / "export.zip"
    call_command("privacy", "export", person.email, "--output", str(output))
    assert "personal-data.json" in zipfile.ZipFile(output).namelist()
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "erase", person.email)
    person.refresh_from_db()
    assert person.is_active
    with pytest.raises(CommandError, match="Nobody has the address"):
        call_command("privacy", "erase", "personne@nulle.part", "--yes")
    call_command("privacy", "erase", person.email, "--yes")
    person.refresh_from_db()
    assert not person.is_active
