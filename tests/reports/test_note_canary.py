"""SECURITY.md A4, the export channel: an internal note (its text and its attachment's name)
never reaches a CSV or XLSX download of any dashboard table, whoever downloads it, and the
requester gets no download at all."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from freezegun import freeze_time

from relais.reports.choices import DashboardKey
from relais.tickets.services import ticket_reply
from tests.conftest import client_for
from tests.reports.conftest import Desk

pytestmark = pytest.mark.django_db
QUERY = "period=custom&start=2026-10-01&end=2026-10-31"
CANARY = "CANARY-note-5e21"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


def download_text(content: bytes) -> str:
    """A CSV as text; an XLSX as the text of every part of its ZIP."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return content.decode("utf-8-sig", "replace")


def test_no_export_of_any_table_carries_an_internal_note(october: Desk) -> None:
    for name in list(october.tickets)[:3]:
        with freeze_time(datetime(2026, 10, 20, 10, tzinfo=timezone.get_fixed_timezone(0))):
            ticket_reply(
                ticket=october.fresh(name),
                actor=october.supervisor,
                body=f"Note interne {CANARY}",
                internal=True,
                attachments=[SimpleUploadedFile(f"{CANARY}.png", PNG, "image/png")],
            )
    staff = client_for(october.supervisor)
    links: set[str] = set()
    for key in DashboardKey.values:
        page = staff.get(f"/rapports/{key}/?{QUERY}")
        assert page.status_code == 200, key
        links |= set(re.findall(r'href="(/rapports/[^"]+/export/[^"?]+)', page.content.decode()))
    assert len(links) >= 10 and any(link.endswith(".xlsx") for link in links)
    requester = client_for(october.requester)
    for link in sorted(links):
        response = staff.get(f"{link}?{QUERY}")
        assert response.status_code == 200, link
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert CANARY not in download_text(content), link
        assert requester.get(f"{link}?{QUERY}").status_code in (403, 404), link
