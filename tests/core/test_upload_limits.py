"""SECURITY.md D3: a multipart request carrying 1,000 files is refused with a plain 400 that
says the limit (HTML and API), and nothing is written: no ticket, no attachment, no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import TokenScope
from relais.accounts.models import User
from relais.accounts.services import token_create
from relais.tickets.choices import Level
from relais.tickets.models import Attachment, Category, Ticket, TicketMessage
from relais.tickets.services import TicketDraft, ticket_open
from tests.conftest import client_for
from tests.tickets.conftest import requester, vpn_category, vpn_team  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

FILES = 1000


def thousand_files() -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.txt", b"x", "text/plain") for i in range(FILES)]


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_form_with_a_thousand_files_is_a_clear_400_and_writes_nothing(
    requester: User,  # noqa: F811
    vpn_category: Category,  # noqa: F811
) -> None:
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES < FILES
    response = client_for(requester).post(
        reverse("tickets:new") + f"?categorie={vpn_category.pk}",
        {
            "category": vpn_category.pk,
            "title": "Mille fichiers",
            "description": "x",
            "impact": Level.LOW,
            "urgency": Level.LOW,
            "attachments": thousand_files(),
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert (
        f"Trop de fichiers dans une même requête : {settings.DATA_UPLOAD_MAX_NUMBER_FILES} au plus"
        in response.content.decode()
    )
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == []


def test_an_api_upload_of_a_thousand_files_is_a_clear_400_and_writes_nothing(
    requester: User,  # noqa: F811
    vpn_category: Category,  # noqa: F811
) -> None:
    ticket = ticket_open(
        actor=requester,
        draft=TicketDraft(category=vpn_category, title="VPN", description="Coupé"),
    )
    messages = TicketMessage.objects.count()
    token = token_create(user=requester, name="t", scope=TokenScope.WRITE).secret
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        data={"files": thousand_files(), "body": "Les journaux"},
    )
    assert response.status_code == 400, response.content[:300]
    assert json.loads(response.content)["code"] == "too_many_parts"
    assert not Attachment.objects.exists() and TicketMessage.objects.count() == messages
    assert stored_files() == []
