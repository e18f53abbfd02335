"""Ticket attachments in an S3-compatible bucket (RELAIS_STORAGE=s3), against a real S3
server on loopback (tests/s3.py): uploads land in the bucket under random names, private, and
come back only through the permission-checked download view and API endpoint; the orphan sweep
works on the bucket as on a local volume."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relais.accounts.choices import TokenScope
from relais.accounts.services import token_create
from relais.core.files import storage_walk
from relais.tickets.choices import Level
from relais.tickets.models import Attachment, Ticket
from relais.tickets.services import attachments_sweep_orphans
from tests.factories import UserFactory
from tests.s3 import S3Server

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    secret = token_create(user=user, name="t", scope=TokenScope.WRITE).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _content(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_an_attachment_uploaded_through_the_form_is_stored_in_the_bucket_and_downloaded(
    s3_bucket: str, s3_server: S3Server, requester, vpn_category, team_agent
) -> None:
    response = _client(requester).post(
        reverse("tickets:new") + f"?categorie={vpn_category.pk}",
        {
            "category": vpn_category.pk,
            "title": "Écran noir",
            "description": "Capture jointe",
            "impact": Level.LOW,
            "urgency": Level.LOW,
            "attachments": [SimpleUploadedFile("capture.png", PNG, "image/png")],
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(ticket__title="Écran noir")
    # In the bucket under its random name, with the checksum computed while uploading.
    assert s3_server.keys(s3_bucket) == [attachment.storage_name]
    assert attachment.storage_name.startswith(f"attachments/{timezone.now():%Y/%m}/")
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    # No ACL was granted to anybody else: the owner alone.
    acl = s3_server.client().get_object_acl(Bucket=s3_bucket, Key=attachment.storage_name)
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]
    assert "URI" not in acl["Grants"][0]["Grantee"]

    url = reverse("tickets:attachment", args=[attachment.pk])
    # Served by Relais from the bucket (streamed, never a redirect to a pre-signed URL).
    for user in (requester, team_agent):
        download = _client(user).get(url + "?inline=1")
        assert download.status_code == 200
        assert _content(download) == PNG
        assert download["Content-Type"] == "image/png"
        assert download["Content-Disposition"].startswith("inline")
        assert download["X-Content-Type-Options"] == "nosniff"
    # Someone else: the same 404 as a missing file.
    assert _client(UserFactory()).get(url).status_code == 404


def test_an_attachment_posted_through_the_api_is_stored_in_the_bucket_and_downloaded(
    s3_bucket: str, s3_server: S3Server, ticket: Ticket, requester, team_agent
) -> None:
    upload = _api(requester).post(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        data={"files": [SimpleUploadedFile("journal.txt", "Erreur 691 à 9 h".encode())]},
    )
    assert upload.status_code == 201, upload.content
    attachment_id = upload.json()["attachments"][0]["id"]
    attachment = Attachment.objects.get(pk=attachment_id)
    assert s3_server.keys(s3_bucket) == [attachment.storage_name]

    path = f"/api/v1/tickets/{ticket.reference}/attachments/{attachment_id}/content"
    download = _api(team_agent).get(path)
    assert download.status_code == 200
    assert _content(download) == "Erreur 691 à 9 h".encode()
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"].startswith("attachment")
    assert _api(UserFactory()).get(path).status_code == 404
    assert _api(requester).get(path.replace(str(attachment_id), "999999")).status_code == 404


def test_orphans_in_the_bucket_are_swept_and_referenced_files_kept(
    s3_bucket: str, s3_server: S3Server, ticket: Ticket, requester
) -> None:
    _api(requester).post(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        data={"files": [SimpleUploadedFile("a.txt", b"kept")]},
    )
    kept = Attachment.objects.get(ticket=ticket).storage_name
    orphan = default_storage.save(f"attachments/2020/01/{'0' * 32}", io.BytesIO(b"lost"))
    assert sorted(storage_walk("attachments")) == sorted([kept, orphan])
    # Younger than the grace period: both stay.
    assert attachments_sweep_orphans(older_than=timedelta(hours=24)) == 0
    # Past it (the files are seconds old; a negative grace puts them in the past).
    assert attachments_sweep_orphans(older_than=timedelta(seconds=-60)) == 1
    assert s3_server.keys(s3_bucket) == [kept]
