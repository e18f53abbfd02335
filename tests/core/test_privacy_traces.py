"""SECURITY.md H2: after an erasure, the person's name and address are nowhere: not in a stored
file (attachments, raw .eml, exports, unzipped), not in the cache, and never in the log output
of what they did (logs are not rewritten, so they must not hold them in the first place)."""

from __future__ import annotations

import contextlib
import io
import logging
import pickle
import zipfile
from collections.abc import Iterator
from email.header import Header
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from relais.accounts.models import User
from relais.core.privacy import personal_data_erase, personal_data_export
from relais.mail.services import ingest
from relais.tickets.models import Category
from relais.tickets.services import TicketDraft, ticket_open, ticket_reply
from tests.conftest import client_for
from tests.core.test_redis import redis_mode, redis_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


class Everything(logging.Handler):
    """Every record any logger emits, formatted with its extra fields."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def file_texts(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every stored file's bytes, and each member of the ZIPs among them."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)


def cache_texts() -> list[str]:
    """What the cache holds, keys and values, readable."""
    backend = getattr(cache, "_cache", None)
    if isinstance(backend, dict):  # LocMemCache
        # The test's own cache, written by the code under test.
        return [f"{key} {pickle.loads(value)!r}" for key, value in list(backend.items())]  # noqa: S301
    client = cache._cache.get_client(None)  # type: ignore[attr-defined]
    texts = []
    for key in client.scan_iter(match=f"{cache.key_prefix}*"):
        value = client.get(key)
        with contextlib.suppress(Exception):
            value = pickle.loads(value)  # noqa: S301 (the test's own cache)
        texts.append(f"{key!r} {value!r}")
    return texts


def test_no_trace_of_an_erased_person_in_files_cache_or_logs(
    agent: User,
    admin_user: User,
    all_logs: Everything,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = agent  # an agent: the desk's lists of people (cached) name them
    person.display_name = "Ophélie Tracemoi"
    person.phone = "+33 1 23 45 67 89"
    person.save()
    address, name = person.email, person.display_name
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    with django_capture_on_commit_callbacks(execute=True):
        # What the person does: a ticket with a screenshot, a reply, a mail, a failed and a
        # good login; what the desk sees of them: the queue (its cached filter lists) and
        # their directory page; an export of their data for the DPO.
        ticket = ticket_open(
            actor=person,
            draft=TicketDraft(
                category=category,
                title="Imprimante du 3e",
                description="Bourrage papier.",
                attachments=[SimpleUploadedFile("capture.png", PNG, content_type="image/png")],
            ),
        )
        ticket_reply(ticket=ticket, actor=person, body="Toujours en panne.")
        ingest(
            f"From: {Header(name, 'utf-8').encode()} <{address}>\r\nTo: support@relais.test\r\n"
            f"Subject: Badge\r\nMessage-ID: <h2-trace@client.example>\r\n\r\n"
            f"Bonjour, Tracemoi ({address}), tel. {person.phone}\r\n".encode()
        )
        Client().post("/connexion/", {"username": address, "password": "pas le bon"})
        desk = client_for(admin_user)
        assert desk.get("/demandes/").status_code == 200
        assert desk.get(f"/demandes/{ticket.reference}/").status_code == 200
        assert name in client_for(admin_user).get(f"/annuaire/{person.pk}/").content.decode()
        personal_data_export(person=person, actor=admin_user)
        assert any(name.encode() in data for _p, data in file_texts(Path(settings.MEDIA_ROOT)))
        assert any(name in text for text in cache_texts()), cache_texts()  # lists name them

        personal_data_erase(person=person, actor=admin_user)

    needles = [address, address.lower(), name, "Tracemoi", person.phone or "+33 1 23 45 67 89"]
    stored = [
        f"{path}: {needle}"
        for path, data in file_texts(Path(settings.MEDIA_ROOT))
        for needle in needles
        if needle.encode() in data or needle.encode("utf-16-le") in data
    ]
    assert stored == []
    cached = [f"{text[:80]}: {n}" for text in cache_texts() for n in needles if n in text]
    assert cached == []
    logged = [f"{line[:120]}: {n}" for line in all_logs.lines for n in needles if n in line]
    assert logged == []


@pytest.mark.parametrize("backend", ["local memory", "redis"])
def test_cached_lists_of_people_are_dropped_by_prefix(backend: str, request: Any) -> None:
    if backend == "redis":
        request.getfixturevalue("redis_mode")
    from django.core.cache import caches

    from relais.core.cache import delete_prefixed
    from relais.core.privacy import PEOPLE_CACHE_PREFIXES

    store = caches["default"]
    store.set("choices:abc", [("1", "Ophélie Tracemoi")])
    store.set("template.cache.ticket_filters.d41d8", "<option>Ophélie Tracemoi</option>")
    store.set("monitoring:banner", [])
    assert delete_prefixed(PEOPLE_CACHE_PREFIXES) == 2
    assert store.get("choices:abc") is None
    assert store.get("template.cache.ticket_filters.d41d8") is None
    assert store.get("monitoring:banner") == []
