"""Uploads and file serving (SECURITY.md D2, D3): types from magic bytes, markup refused,
random storage names, limits, filename hygiene and the headers that keep a file from running
in the application's origin. Every file is built byte by byte here; nothing is mocked."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import Http404, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.urls import path
from django.utils import translation

from relais.core.files import (
    INLINE_TYPES,
    StoredFile,
    UploadRejected,
    delete_stored,
    file_response,
    normalize_filename,
    sniff_content_type,
    store_upload,
)

SANDBOX = "sandbox; default-src 'none'"
STORAGE_NAME = re.compile(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, decodable RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF_WITH_JAVASCRIPT = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R"
    b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def read_body(response: StreamingHttpResponse) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def assert_protective_headers(response: HttpResponseBase) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private, no-store"


def assert_refused(uploaded: UploadedFile, code: str, **kwargs: Any) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        store_upload(uploaded, folder="attachments", **kwargs)
    assert caught.value.code == code
    assert stored_files() == []
    return caught.value


# --- Dangerous types (D2) -------------------------------------------------------------------


def test_svg_with_script_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert sniff_content_type(svg, "x.svg") == "image/svg+xml"
    assert_refused(upload("x.svg", svg, "image/svg+xml"), "type_not_allowed")


def test_svg_behind_an_xml_declaration_is_recognised_and_refused():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    assert sniff_content_type(svg, "logo.svg") == "image/svg+xml"
    assert_refused(upload("logo.svg", svg), "type_not_allowed")


@pytest.mark.parametrize(
    ("name", "content", "sniffed"),
    [
        ("x.html", HTML_PAGE, "text/html"),
        (
            "x.xhtml",
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
            b"<script>alert(1)</script></html>",
            "application/xhtml+xml",
        ),
        (
            "x.xml",
            b'<?xml version="1.0"?><?xml-stylesheet href="evil.xsl"?><note>hi</note>',
            "application/xml",
        ),
    ],
)
def test_markup_files_are_refused(name, content, sniffed):
    assert sniff_content_type(content, name) == sniffed
    assert_refused(upload(name, content, "text/plain"), "type_not_allowed")


@pytest.mark.parametrize(
    "content",
    [
        HTML_PAGE,
        b"\xef\xbb\xbf \r\n\t<HTML><body>hello</body></HTML>",
        b"   <script>alert(1)</script>",
        b"<!-- note --><p>hello</p>",
        b"<iframe src=javascript:alert(1)>",
    ],
)
def test_html_content_named_png_is_refused(content):
    assert sniff_content_type(content, "x.png") == "text/html"
    assert_refused(upload("x.png", content, "image/png"), "type_not_allowed")


def test_client_declared_png_on_html_is_ignored():
    uploaded = upload("capture.png", HTML_PAGE, content_type="image/png")
    rejected = assert_refused(uploaded, "type_not_allowed")
    with translation.override("en"):
        assert str(rejected.message) == "This type of file is not accepted."


def test_plain_text_named_html_keeps_its_markup_type_and_is_refused():
    assert sniff_content_type(b"just words, no tags", "notes.html") == "text/html"
    assert sniff_content_type(b"just words, no tags", "notes.svg") == "image/svg+xml"
    assert_refused(upload("notes.html", b"just words, no tags"), "type_not_allowed")


def test_png_html_polyglot_is_stored_as_png_and_served_as_attachment():
    polyglot = png_bytes() + HTML_PAGE

    stored = store_upload(upload("x.png", polyglot, "text/html"), folder="attachments")

    assert stored.content_type == "image/png"
    response = file_response(stored)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="x.png"'
    assert_protective_headers(response)
    assert read_body(response) == polyglot


def test_png_html_polyglot_is_inline_only_when_asked_and_then_sandboxed():
    stored = store_upload(upload("x.png", png_bytes() + HTML_PAGE), folder="attachments")

    response = file_response(stored, inline=True)

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="x.png"'
    assert_protective_headers(response)


def test_real_png_is_served_inline_when_asked():
    image = png_bytes(3, 2)
    stored = store_upload(upload("capture écran.png", image), folder="attachments")

    response = file_response(stored, inline=True)

    assert stored.content_type == "image/png"
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline; filename*=utf-8''capture%20%C3%A9cran.png"
    assert response["Content-Length"] == str(len(image))
    assert_protective_headers(response)
    assert read_body(response) == image


def test_pdf_is_served_as_attachment_even_if_inline_requested():
    stored = store_upload(upload("facture.pdf", PDF_WITH_JAVASCRIPT), folder="attachments")

    response = file_response(stored, inline=True)

    assert stored.content_type == "application/pdf"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture.pdf"'
    assert_protective_headers(response)


def test_inline_is_refused_when_the_stored_bytes_no_longer_match_the_recorded_type():
    stored = store_upload(upload("facture.pdf", PDF_WITH_JAVASCRIPT), folder="attachments")
    relabelled = (stored.storage_name, "facture.png", "image/png")

    response = file_response(relabelled, inline=True)

    assert response["Content-Disposition"] == 'attachment; filename="facture.png"'


def test_text_is_served_with_an_explicit_charset():
    utf8 = store_upload(upload("journal.txt", "Délai dépassé\n".encode()), folder="attachments")
    legacy = store_upload(
        upload("export.csv", "Nom;Libellé\nDupont;Réseau\n".encode("cp1252")),
        folder="attachments",
    )

    assert file_response(utf8)["Content-Type"] == "text/plain; charset=utf-8"
    assert file_response(legacy)["Content-Type"] == "text/csv; charset=windows-1252"


def test_cp1252_csv_is_accepted_as_csv():
    content = "Nom;Prénom;Service\nDurand;Hélène;Comptabilité\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    stored = store_upload(upload("agents.csv", content, "application/vnd.ms-excel"), folder="kb")

    assert stored.content_type == "text/csv"
    assert stored.original_name == "agents.csv"


def test_office_zip_is_named_by_extension_and_never_expanded():
    document = docx_bytes()

    stored = store_upload(upload("compte-rendu.docx", document), folder="attachments")

    assert stored.content_type == DOCX
    assert sniff_content_type(document, "archive.zip") == DOCX  # its content says so too
    assert sniff_content_type(b"PK\x03\x04" + b"\x00" * 60, "photos.zip") == "application/zip"
    assert sniff_content_type(b"not a zip at all", "fake.docx") == "text/plain"
    assert [p.name for p in stored_files()] == [stored.storage_name.rsplit("/", 1)[1]]


@pytest.mark.parametrize(
    ("content", "name", "sniffed"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.jpg", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anim.gif", "image/gif"),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00", "img.webp", "image/webp"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "setup.pdf", "application/x-msdownload"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "outil.msi",
            "application/x-ole-storage",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "message.msg",
            "application/vnd.ms-outlook",
        ),
        (b"PK\x03\x04" + b"\x00" * 60, "tool.jar", "application/java-archive"),
        (b"From: a@example.org\r\nSubject: hi\r\n\r\nbody", "message.eml", "message/rfc822"),
        (b"\x00\x01\x02\x03binary", "data.bin", "application/octet-stream"),
    ],
)
def test_sniffing_trusts_bytes_and_uses_the_name_only_to_refine(content, name, sniffed):
    assert sniff_content_type(content, name) == sniffed


# --- Limits (D3) ----------------------------------------------------------------------------


def test_file_one_byte_over_the_configured_limit_is_too_large():
    content = b"%PDF-1.4\n" + b"0" * (settings.UPLOAD_MAX_BYTES + 1 - 9)
    assert len(content) == settings.UPLOAD_MAX_BYTES + 1
    assert_refused(upload("gros.pdf", content), "too_large")


def test_too_large_message_states_the_limit():
    content = b"%PDF-1.4\n" + b"0" * (1025 - 9)
    rejected = assert_refused(upload("gros.pdf", content), "too_large", max_bytes=1024)
    with translation.override("en"):
        assert str(rejected.message) == "This file is too large (1.0\xa0KB at most)."


def test_file_exactly_at_the_limit_is_accepted():
    content = b"%PDF-1.4\n" + b"0" * (1024 - 9)
    stored = store_upload(upload("juste.pdf", content), folder="attachments", max_bytes=1024)
    assert stored.size == 1024


def test_default_limit_comes_from_settings(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    content = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024 - 8)
    rejected = assert_refused(upload("rapport.pdf", content), "too_large")
    with translation.override("en"):
        assert str(rejected.message) == "This file is too large (2.0\xa0MB at most)."


def test_a_file_larger_than_declared_is_stopped_while_writing_and_leaves_nothing():
    content = b"%PDF-1.4\n" + b"0" * 200_000
    lying = UploadedFile(io.BytesIO(content), name="x.pdf", content_type="application/pdf", size=10)

    assert_refused(lying, "too_large", max_bytes=100_000)


def test_empty_file_is_refused():
    rejected = assert_refused(upload("vide.txt", b""), "empty")
    with translation.override("en"):
        assert str(rejected.message) == "This file is empty."


def test_types_outside_the_given_allow_list_are_refused():
    assert_refused(upload("notes.txt", b"hello"), "type_not_allowed", allowed_types=("image/png",))


# --- Names (D3) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png"),
        ("facture\u202egnp.exe", "facturegnp.exe"),
        ("a\u2066b\u2069c\u200f.txt", "abc.txt"),
        ("rapport.pdf\x00.png", "rapport.pdf.png"),
        ("  compte\t\n rendu   final .docx ", "compte rendu final.docx"),
        ("Cafe\u0301.txt", "Café.txt"),
        ("", "fichier"),
        ("..", "fichier"),
        ("dossier/sous-dossier/", "fichier"),
        ("\x00\x01\u202e", "fichier"),
        (".htaccess", "fichier.htaccess"),
        ("archive.", "archive"),
    ],
)
def test_filenames_are_normalised(raw, normalised):
    assert normalize_filename(raw) == normalised
    assert normalize_filename(normalised) == normalised


def test_long_filename_is_capped_at_150_characters_keeping_the_extension():
    name = normalize_filename("é" * 296 + ".pdf")
    assert name == "é" * 146 + ".pdf"
    assert len(name) == 150
    assert len(normalize_filename("x" * 300)) == 150


def test_stored_name_has_no_user_controlled_part():
    stored = store_upload(
        upload("../../etc/<img src=x onerror=alert(1)>.png", png_bytes()), folder="attachments"
    )

    assert STORAGE_NAME.fullmatch(stored.storage_name)
    assert stored.original_name == "<img src=x onerror=alert(1)>.png"
    (only,) = stored_files()
    assert only == Path(settings.MEDIA_ROOT) / stored.storage_name
    assert only.read_bytes() == png_bytes()


def test_two_uploads_of_the_same_name_get_distinct_storage_names():
    first = store_upload(upload("a.txt", b"one"), folder="attachments")
    second = store_upload(upload("a.txt", b"two"), folder="attachments")
    assert first.storage_name != second.storage_name
    assert len(stored_files()) == 2


def test_folder_must_be_a_fixed_path():
    for folder in ("../outside", "/abs", "Attachments", "a//b", ""):
        with pytest.raises(ValueError):
            store_upload(upload("a.txt", b"hello"), folder=folder)
    assert stored_files() == []


# --- Storage (D3, I5) -----------------------------------------------------------------------


def test_files_are_0640_and_directories_0750():
    stored = store_upload(upload("a.txt", b"hello"), folder="attachments")

    root = Path(settings.MEDIA_ROOT)
    path = root / stored.storage_name
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    directory = path.parent
    while True:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o750, directory
        if directory == root:
            break
        directory = directory.parent


def test_sha256_and_size_match_the_content():
    content = os.urandom(200_000)  # several chunks
    stored = store_upload(upload("dump.zip", b"PK\x03\x04" + content), folder="attachments")

    assert stored.size == len(content) + 4
    assert stored.sha256 == hashlib.sha256(b"PK\x03\x04" + content).hexdigest()
    stored_bytes = (Path(settings.MEDIA_ROOT) / stored.storage_name).read_bytes()
    assert hashlib.sha256(stored_bytes).hexdigest() == stored.sha256


def test_delete_stored_removes_the_file_and_only_takes_names_it_made():
    stored = store_upload(upload("a.txt", b"hello"), folder="attachments")

    delete_stored(stored.storage_name)
    delete_stored(stored.storage_name)  # already gone: no error

    assert stored_files() == []
    with pytest.raises(ValueError):
        delete_stored("../settings.py")


def test_missing_file_is_a_404():
    gone = StoredFile(
        storage_name="attachments/2026/01/" + "0" * 32,
        original_name="a.txt",
        size=1,
        sha256="0" * 64,
        content_type="text/plain",
    )
    with pytest.raises(Http404):
        file_response(gone)


# --- Through the middleware stack ----------------------------------------------------------


def serve(request: HttpRequest) -> HttpResponseBase:
    stored = (request.GET["name"], request.GET["original"], request.GET["type"])
    return file_response(stored, inline=request.GET.get("inline") == "1")


urlpatterns = [path("file/", serve)]


@pytest.mark.django_db
@pytest.mark.urls("tests.core.test_files")
def test_site_middleware_keeps_the_file_headers():
    polyglot = store_upload(upload("x.png", png_bytes() + HTML_PAGE), folder="attachments")
    query = {
        "name": polyglot.storage_name,
        "original": polyglot.original_name,
        "type": polyglot.content_type,
    }

    attachment = Client().get("/file/", query)
    inline = Client().get("/file/", {**query, "inline": "1"})

    assert attachment.status_code == 200
    assert attachment["Content-Disposition"] == 'attachment; filename="x.png"'
    assert inline["Content-Disposition"] == 'inline; filename="x.png"'
    for response in (attachment, inline):
        assert_protective_headers(response)
        assert response["Content-Type"] == "image/png"


def test_configured_allow_list_has_the_inline_images_and_no_markup():
    allowed = set(settings.UPLOAD_ALLOWED_TYPES)
    assert set(INLINE_TYPES) <= allowed
    assert allowed.isdisjoint(
        {"text/html", "application/xhtml+xml", "image/svg+xml", "application/xml", "text/xml"}
    )
