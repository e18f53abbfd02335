"""SECURITY.md D1: every stored file is served only by a view that checks who asks.

One file of each kind a person can store or be sent — a ticket attachment, an internal note's
attachment, an image shown inline on the ticket, a knowledge-base image (of a draft), the
raw .eml of a filed mail, a personal-data export archive, an asset's receipt — fetched by an
anonymous visitor, a collaborator who is not the requester and an agent outside the ticket's
team: through the app's URL (HTML and API), through `/media/…` and `MEDIA_URL` directly, and
through guessed storage paths. Relais has no avatars (nothing to store). The shipped nginx
configuration is read too: it must serve nothing from the disk."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import Role
from relais.assets.models import AssetModel, AssetType
from relais.assets.services.park import AssetData, asset_attach, asset_create, asset_move
from relais.core.privacy import personal_data_export
from relais.kb.services import ArticleDraft, article_create, article_image_add
from relais.mail.services import ingest
from relais.tickets.models import Category
from relais.tickets.services import TicketDraft, ticket_open, ticket_reply
from tests.conftest import api_client_for, client_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# What store_upload (and the mail and export writers) name files: nothing the sender chose.
STORAGE_NAME = re.compile(r"[a-z][a-z/_-]*/\d{4}/\d{2}/[0-9a-f]{32}")


def _mail(sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@relais.test"
    message["Subject"] = "Imprimante bloquée"
    message["Message-ID"] = "<d1-files@client.example>"
    message.set_content("Bonjour, l'imprimante du 2e étage est bloquée.")
    return message.as_bytes()


@pytest.fixture
def files() -> dict[str, Any]:
    """One stored file of each kind, written through the services; the people around them."""
    team = TeamFactory(name="Réseau", code="reseau")
    other_team = TeamFactory(name="Applications", code="applications")
    category = Category.objects.create(name="Accès réseau", team=team)
    requester = UserFactory(role=Role.COLLABORATOR)
    team_agent = UserFactory(role=Role.AGENT)
    team.members.add(team_agent)
    other_agent = UserFactory(role=Role.AGENT)
    other_team.members.add(other_agent)
    admin = UserFactory(role=Role.ADMIN)
    ticket = ticket_open(
        actor=requester,
        draft=TicketDraft(
            category=category,
            title="Le VPN coupe",
            description="Voir la capture.",
            attachments=[SimpleUploadedFile("capture.png", PNG, content_type="image/png")],
        ),
    )
    assert ticket.team_id == team.pk
    ticket_reply(
        ticket=ticket,
        actor=team_agent,
        body="Journal du pare-feu",
        internal=True,
        attachments=[
            SimpleUploadedFile("pare-feu.txt", b"deny 10.1.2.3", content_type="text/plain")
        ],
    )
    public, internal = ticket.attachments.order_by("pk")
    draft = article_create(
        draft=ArticleDraft(title="Nouveau VPN", body="En préparation."), actor=team_agent
    )
    image = article_image_add(
        article=draft,
        actor=team_agent,
        upload=SimpleUploadedFile("schema.png", PNG, content_type="image/png"),
    )
    inbound = ingest(_mail(requester.email)).inbound
    export = personal_data_export(person=requester, actor=admin)
    model = AssetModel.objects.create(
        asset_type=AssetType.objects.create(name="Portable", kind="laptop"),
        manufacturer="Dell",
        name="Latitude 5440",
    )
    laptop = asset_create(actor=team_agent, data=AssetData(model=model, serial_number="D1-42"))
    asset_move(actor=team_agent, asset=laptop, state="prepared")
    asset_move(actor=team_agent, asset=laptop, state="assigned", holder=requester)
    receipt = asset_attach(
        actor=team_agent,
        asset=laptop,
        upload=SimpleUploadedFile("bon-de-livraison.pdf", PDF, content_type="application/pdf"),
    )
    # kind: (app URL, storage name, the person who may fetch it, does the other agent may)
    kinds = {
        "ticket attachment": (
            reverse("tickets:attachment", args=[public.pk]),
            public.storage_name,
            requester,
            False,
        ),
        "inline image": (
            reverse("tickets:attachment", args=[public.pk]) + "?inline=1",
            public.storage_name,
            requester,
            False,
        ),
        "internal note attachment": (
            reverse("tickets:attachment", args=[internal.pk]),
            internal.storage_name,
            team_agent,
            False,
        ),
        # Drafts are the desk's: every agent may read them (tests/permissions/kb.yaml).
        "knowledge-base image (draft)": (
            reverse("kb:image", args=[image.pk]),
            image.storage_name,
            team_agent,
            True,
        ),
        "raw .eml": (
            reverse("mail:raw", args=[inbound.pk]),
            inbound.raw_name,
            admin,
            False,
        ),
        "personal-data export": (
            reverse("accounts:personal_data_download", args=[export.token]),
            export.export.storage_name,
            admin,
            False,
        ),
        # Receipts are the desk's and the holder's (every agent is the desk).
        "asset receipt": (
            reverse("assets:attachment", args=[receipt.pk]),
            receipt.storage_name,
            requester,
            True,
        ),
    }
    return {
        "kinds": kinds,
        "ticket": ticket,
        "attachments": (public, internal),
        "requester": requester,
        "collaborator": UserFactory(role=Role.COLLABORATOR),
        "other_agent": other_agent,
        "admin": admin,
    }


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_every_file_kind_is_served_only_to_whom_the_matrix_allows(files: dict[str, Any]) -> None:
    outsiders = {
        "collaborator": client_for(files["collaborator"]),
        "other agent": client_for(files["other_agent"]),
    }
    for kind, (url, storage_name, allowed, agents_may) in files["kinds"].items():
        content = (Path(settings.MEDIA_ROOT) / storage_name).read_bytes()
        assert content, kind
        got = client_for(allowed).get(url)
        assert got.status_code == 200 and _body(got) == content, kind
        assert got["X-Content-Type-Options"] == "nosniff", kind
        anonymous = Client().get(url)
        assert anonymous.status_code == 302, kind
        assert anonymous["Location"].startswith(reverse("accounts:login")), kind
        for who, client in outsiders.items():
            expected = 200 if who == "other agent" and agents_may else 404
            response = client.get(url)
            assert response.status_code == expected, (kind, who)
            if expected == 404:
                assert content not in _body(response), (kind, who)

    # The API's route to a ticket's files: the same answer.
    ticket = files["ticket"]
    for attachment in files["attachments"]:
        url = f"/api/v1/tickets/{ticket.reference}/attachments/{attachment.pk}/content"
        assert Client().get(url).status_code == 401
        for person in ("collaborator", "other_agent"):
            assert api_client_for(files[person]).get(url).status_code == 404, person
    public = files["attachments"][0]
    url = f"/api/v1/tickets/{ticket.reference}/attachments/{public.pk}/content"
    assert api_client_for(files["requester"]).get(url).status_code == 200


def test_storage_names_are_random_and_no_url_reaches_the_storage(files: dict[str, Any]) -> None:
    media = Path(settings.MEDIA_ROOT)
    stored = {kind: name for kind, (_u, name, _a, _m) in files["kinds"].items()}
    originals = ("capture", "pare-feu", "schema", "bon-de-livraison", "donnees", "message")
    for kind, name in stored.items():
        assert STORAGE_NAME.fullmatch(name), (kind, name)
        assert not any(word in name for word in originals), (kind, name)
        assert (media / name).is_file(), kind

    clients = {"anonymous": Client(), "administrator": client_for(files["admin"])}
    for kind, name in stored.items():
        content = (media / name).read_bytes()
        folder = name.split("/", 1)[0]
        paths = [
            f"/media/{name}",
            f"{settings.MEDIA_URL}{name}",
            f"/{name}",
            f"/static/../media/{name}",
            f"/static/%2e%2e/media/{name}",
            f"/static/..%2fmedia/{name}",
            f"/static/%2e%2e%2f%2e%2e%2fmedia%2f{quote(name, safe='')}",
            f"/static/{name}",
            f"/media/{quote(name, safe='')}",
            f"/media/{folder}/",
            f"{settings.MEDIA_URL}{folder}/",
            f"/static/../../{media.name}/{name}",
        ]
        for who, client in clients.items():
            for path in paths:
                response = client.get(path)
                assert content not in _body(response), (kind, who, path)
                if who == "anonymous" and response.status_code == 302:
                    assert response["Location"].startswith(reverse("accounts:login")), path
                else:
                    assert response.status_code == 404, (kind, who, path, response.status_code)


def _nginx_blocks(text: str) -> list[tuple[str, str]]:
    """(location pattern, body) for each `location` block of an nginx file, comments removed."""
    text = re.sub(r"#[^\n]*", "", text)
    blocks = []
    for match in re.finditer(r"location\s+([^{]+)\{", text):
        depth, start = 1, match.end()
        end = start
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        blocks.append((match.group(1).strip(), text[start : end - 1]))
    return blocks


def test_the_shipped_web_server_serves_nothing_from_the_disk() -> None:
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    code = re.sub(r"#[^\n]*", "", config)
    # No directive that maps a URL to files: everything goes to the application.
    for directive in ("root", "alias", "try_files", "autoindex", "sendfile_max_chunk"):
        assert not re.search(rf"(^|[;{{\s]){directive}\s", code), directive
    media_root = "/srv/relais-media"  # deploy/relais.env.example's RELAIS_MEDIA_ROOT
    assert media_root in (ROOT / "deploy" / "relais.env.example").read_text()
    assert media_root not in code and "media" not in code.lower()
    blocks = _nginx_blocks(config)
    assert [pattern for pattern, _body in blocks] == ["/", "= /metrics"]
    for pattern, body in blocks:
        assert "proxy_pass http://relais_web;" in body, pattern
