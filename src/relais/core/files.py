"""The one way user files come in and go out (SECURITY.md D): ticket and e-mail attachments,
raw messages, knowledge-base images, receipts.

Coming in, `store_upload` checks the size before reading, names the file in storage at random
(nothing the sender chose reaches the file system), computes its SHA-256, decides its type
from its first bytes (never from the client's Content-Type nor from its extension alone) and
refuses anything outside the allow-list. Archives are stored as they are, never expanded.

Going out, `file_response` streams the file with a sniffed Content-Type, `nosniff`, a
sandboxing CSP and `Content-Disposition: attachment`; only raster images whose first bytes
are confirmed again at serving time may be shown inline. It does not check permissions:
the calling view must first fetch the owning object through the user's scoped queryset
(SECURITY.md D1) and answer 404 otherwise.

Request-size limits, outside this module:
- `DATA_UPLOAD_MAX_MEMORY_SIZE` caps the non-file part of a request (form fields, JSON
  bodies); file parts are not counted against it. File parts above
  `FILE_UPLOAD_MAX_MEMORY_SIZE` are spooled to a temporary file, not kept in memory, and
  `DATA_UPLOAD_MAX_NUMBER_FILES` caps how many a multipart body may carry.
- Django still receives the whole body before `store_upload` can refuse an oversized file,
  so the web server in front must cap the body: nginx `client_max_body_size` set to
  UPLOAD_MAX_BYTES + 1 MB (the margin is for the other fields and the multipart framing).
  A form that takes several files at once is then bounded by that total, not per file.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SNIFF_BYTES = 8 * 1024
MAX_FILENAME_LENGTH = 150
FALLBACK_FILENAME = "fichier"  # shown to French users when nothing usable is left
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")

OCTET_STREAM = "application/octet-stream"
HTML = "text/html"
XHTML = "application/xhtml+xml"
SVG = "image/svg+xml"
XML = "application/xml"
ZIP = "application/zip"
OLE = "application/x-ole-storage"  # Compound File Binary: .doc/.xls/.ppt/.msg, but also .msi

RejectionCode = Literal["too_large", "type_not_allowed", "empty", "bad_name"]

_REJECTION_MESSAGES: dict[str, str | Promise] = {
    "too_large": _("This file is too large."),
    "type_not_allowed": _("This type of file is not accepted."),
    "empty": _("This file is empty."),
    "bad_name": _("This file name is not valid."),
}


class UploadRejected(Exception):
    """An upload refused for a reason the sender can act on. `message` is lazily translated,
    ready for a form error or an API problem detail; `code` is stable for programs."""

    def __init__(self, code: RejectionCode, message: str | Promise | None = None) -> None:
        super().__init__(code)
        self.code: RejectionCode = code
        self.message: str | Promise = message or _REJECTION_MESSAGES[code]


def _too_large_text(max_bytes: int) -> str:
    # Formatted when displayed, so that the size is written in the reader's language.
    return gettext("This file is too large (%(limit)s at most).") % {
        "limit": filesizeformat(max_bytes)
    }


_too_large_message = lazy(_too_large_text, str)


@dataclass(frozen=True)
class StoredFile:
    storage_name: str  # "<folder>/<yyyy>/<mm>/<uuid4 hex>", relative to the storage root
    original_name: str  # normalised display name: escape it when rendering
    size: int
    sha256: str
    content_type: str  # from the first bytes, never from the client's declaration


# --- Names ----------------------------------------------------------------------------------

# Bidirectional embeddings, overrides and isolates, plus the invisible direction marks: they
# make "photo‮gpj.exe" display as "photoexe.jpg".
_BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
_MAX_EXTENSION_LENGTH = 16


def _drop_invisible(name: str) -> str:
    kept = []
    for char in name:
        if char in _BIDI_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            # Tabs and newlines separate words; NUL and other controls simply go.
            kept.append(" " if char.isspace() else "")
        elif category == "Cs":  # lone surrogates cannot be encoded in a header
            continue
        else:
            kept.append(char)
    return "".join(kept)


def normalize_filename(name: str) -> str:
    """The name shown to people and offered on download; never used as a storage path.

    Directories are dropped (`../../etc/passwd` → `passwd`, backslashes too), controls
    (NUL included) and bidirectional overrides removed, the text NFC-normalised, runs of
    whitespace collapsed, leading and trailing dots trimmed, and the length capped at
    150 characters keeping the extension. Markup stays as text: escaping is the
    template's job. Never empty: "fichier" when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = _drop_invisible(name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split()).rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= _MAX_EXTENSION_LENGTH and " " not in extension:
        stem = stem.lstrip(". ") or FALLBACK_FILENAME
        room = MAX_FILENAME_LENGTH - len(extension) - 1
        stem = stem[:room].rstrip(". ") or FALLBACK_FILENAME
        return f"{stem}.{extension}"
    name = name.lstrip(". ")[:MAX_FILENAME_LENGTH].rstrip(". ")
    return name or FALLBACK_FILENAME


def _extension(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


# --- Types ----------------------------------------------------------------------------------

_OFFICE_ZIP_BY_EXTENSION = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    # Zips that run when opened: never labelled as a plain archive.
    "jar": "application/java-archive",
    "apk": "application/vnd.android.package-archive",
}
_OLE_BY_EXTENSION = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "msg": "application/vnd.ms-outlook",
}
# Text whose extension makes a browser or a desktop render it as markup.
_MARKUP_BY_EXTENSION = {
    "html": HTML,
    "htm": HTML,
    "shtml": HTML,
    "xhtml": XHTML,
    "xht": XHTML,
    "svg": SVG,
    "svgz": SVG,
    "xml": XML,
    "xsl": XML,
    "xslt": XML,
}
# Magic-byte answers that are the same format as an allowed type under another name.
_MAGIC_ALIASES = {"image/apng": "image/png"}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Tags with which browsers recognise HTML when sniffing (WHATWG MIME Sniffing, 7.1).
_HTML_START = re.compile(
    rb"<(!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    rb"|img|svg|object|embed|meta|link|base|form|frameset|frame)(?=[\s>/])|<!--",
    re.IGNORECASE,
)
_MARKUP_START = re.compile(rb"<[a-z!?/]", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")


def _markup_type(head: bytes) -> str | None:
    """The markup type when the content opens like HTML, SVG or XML, after any BOM and
    whitespace: what a browser would render whatever the file is called."""
    start = head
    while True:
        stripped = start.lstrip(b" \t\r\n\x0b\x0c")
        for bom in _BOMS:
            if stripped.startswith(bom):
                stripped = stripped[len(bom) :]
        if stripped == start:
            break
        start = stripped
    if not _MARKUP_START.match(start):
        return None
    lowered = head.lower()
    if b"<svg" in lowered:
        return SVG
    if b"http://www.w3.org/1999/xhtml" in lowered:
        return XHTML
    if _HTML_START.match(start) or b"<html" in lowered or b"<script" in lowered:
        return HTML
    return XML


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        # Not final: the 8 KiB window may cut a multi-byte character in two.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def _text_charset(head: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def sniff_content_type(head: bytes, filename: str) -> str:
    """The type of a file from its first bytes (up to 8 KiB); the name only chooses between
    formats the bytes already establish (an office zip, an OLE document, CSV or plain text).

    Magic bytes win, so a PNG followed by HTML is a PNG (and is served with `nosniff` and a
    sandbox). Otherwise content that opens like markup is "text/html", "image/svg+xml",
    "application/xhtml+xml" or "application/xml" whatever its name, so HTML named `x.png` is
    caught. Other text (no NUL, valid UTF-8 or cp1252) is "text/csv", "message/rfc822" or
    "text/plain" by extension, except that a markup extension keeps its markup type. The
    rest is "application/octet-stream".
    """
    extension = _extension(filename)
    if not head:
        return OCTET_STREAM
    if head.startswith(_ZIP_MAGIC):
        kind = filetype.guess(head)
        if extension in _OFFICE_ZIP_BY_EXTENSION:
            return _OFFICE_ZIP_BY_EXTENSION[extension]
        return kind.mime if kind is not None else ZIP
    if head.startswith(_OLE_MAGIC):
        kind = filetype.guess(head)
        if kind is not None:
            return str(kind.mime)
        return _OLE_BY_EXTENSION.get(extension, OLE)
    kind = filetype.guess(head)
    if kind is not None:
        return _MAGIC_ALIASES.get(kind.mime, str(kind.mime))
    markup = _markup_type(head)
    if markup is not None:
        return markup
    if _is_text(head):
        if extension in _MARKUP_BY_EXTENSION:
            return _MARKUP_BY_EXTENSION[extension]
        if extension == "csv":
            return "text/csv"
        if extension == "eml" and _HEADER_LINE.match(head.lstrip(b"\r\n")):
            return "message/rfc822"
        return "text/plain"
    return OCTET_STREAM


# --- Storing --------------------------------------------------------------------------------

_FOLDER = re.compile(r"[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*")
_STORAGE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*/\d{4}/\d{2}/[0-9a-f]{32}")


def _check_storage_name(storage_name: str) -> None:
    if not _STORAGE_NAME.fullmatch(storage_name):
        raise ValueError(f"not a name store_upload produced: {storage_name!r}")


class _MeasuredUpload(File):
    """Streams the upload into storage while counting and hashing it, and stops as soon as
    it grows past the limit (should the declared size have been wrong).

    A one-way stream: storages read it either by `chunks()` (the file system) or by `read()`
    (django-storages' S3 upload), once, from the start; both pass through the counter. It
    says it cannot seek so that nothing rewinds it behind the digest's back."""

    def __init__(self, uploaded: UploadedFile, max_bytes: int) -> None:
        super().__init__(uploaded.file, name=None)
        uploaded.seek(0)
        self._source = uploaded
        self._max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.bytes_read = 0

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._source.read(-1 if size is None else size)
        if not isinstance(chunk, bytes):
            raise TypeError("uploads must be opened in binary mode")
        self.bytes_read += len(chunk)
        if self.bytes_read > self._max_bytes:
            raise UploadRejected("too_large", _too_large_message(self._max_bytes))
        self.digest.update(chunk)
        return chunk

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        while chunk := self.read(chunk_size or self.DEFAULT_CHUNK_SIZE):
            yield chunk


def check_upload(
    *,
    head: bytes,
    size: int | None,
    filename: str,
    max_bytes: int | None = None,
    allowed_types: tuple[str, ...] | None = None,
) -> str:
    """The checks `store_upload` makes before writing, for callers that must sort files
    first (an e-mail's attachments: the refused ones are listed, the others kept). Returns
    the sniffed type or raises `UploadRejected`. `head` is the file's first SNIFF_BYTES."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    allowed = settings.UPLOAD_ALLOWED_TYPES if allowed_types is None else allowed_types
    if size is not None and size > limit:
        raise UploadRejected("too_large", _too_large_message(limit))
    if not head:
        raise UploadRejected("empty")
    content_type = sniff_content_type(head[:SNIFF_BYTES], normalize_filename(filename))
    if content_type not in allowed:
        raise UploadRejected("type_not_allowed")
    return content_type


def store_upload(
    uploaded: UploadedFile,
    *,
    folder: str,
    max_bytes: int | None = None,
    allowed_types: tuple[str, ...] | None = None,
) -> StoredFile:
    """Check and store one uploaded file; raise `UploadRejected` and store nothing when it
    is too large, empty or of a type outside `allowed_types`.

    `folder` is chosen by the calling code ("attachments", "kb/images"), never by the user.
    Limits default to settings.UPLOAD_MAX_BYTES and settings.UPLOAD_ALLOWED_TYPES. The file
    lands at `<folder>/<yyyy>/<mm>/<uuid4 hex>` with the storage's modes (0640 files, 0750
    directories). A caller whose transaction then fails removes it with `delete_stored`.
    """
    if not _FOLDER.fullmatch(folder):
        raise ValueError(f"folder must be a fixed lowercase path, got {folder!r}")
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    original_name = normalize_filename(uploaded.name or "")
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    content_type = check_upload(
        head=head,
        size=uploaded.size,
        filename=original_name,
        max_bytes=limit,
        allowed_types=allowed_types,
    )

    storage_name = f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    measured = _MeasuredUpload(uploaded, limit)
    try:
        saved_name = default_storage.save(storage_name, measured)
    except BaseException:
        # A 122-bit random name is ours alone: whatever was written under it is a fragment.
        default_storage.delete(storage_name)
        raise
    return StoredFile(
        storage_name=saved_name,
        original_name=original_name,
        size=measured.bytes_read,
        sha256=measured.digest.hexdigest(),
        content_type=content_type,
    )


def storage_walk(folder: str = "") -> Iterator[str]:
    """Every file name under `folder` in the default storage, through the storage API (a
    local volume or an S3 bucket alike), folders depth-first, names sorted."""
    try:
        folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(names):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_walk(f"{folder}/{sub}" if folder else sub)


def sweep_orphans(*, folder: str, referenced: Callable[[str], bool], older_than: timedelta) -> int:
    """Remove the files of `folder` that no row references any more (an upload whose
    transaction rolled back, a deleted object), once older than `older_than`; returns how many.
    `referenced(storage_name)` asks the owning app."""
    if not _FOLDER.fullmatch(folder):
        return 0
    limit = timezone.now() - older_than
    removed = 0
    for storage_name in storage_walk(folder):
        if not _STORAGE_NAME.fullmatch(storage_name) or referenced(storage_name):
            continue
        if default_storage.get_modified_time(storage_name) > limit:
            continue
        delete_stored(storage_name)
        removed += 1
    return removed


def delete_stored(storage_name: str) -> None:
    """Remove a stored file; a file already gone is not an error."""
    _check_storage_name(storage_name)
    default_storage.delete(storage_name)


# --- Serving --------------------------------------------------------------------------------

_STREAM_BLOCK_SIZE = 64 * 1024


def file_response(
    stored: StoredFile | tuple[str, str, str], *, inline: bool = False
) -> FileResponse:
    """Stream a stored file, given as a `StoredFile` or as (storage_name, original_name,
    content_type) read back from a model. Raises Http404 when the file is missing.

    Content-Disposition is `attachment` unless `inline` is asked for a raster image
    (INLINE_TYPES) whose first bytes, read again now, still say so. Every response carries
    `nosniff`, `Content-Security-Policy: sandbox; default-src 'none'`,
    `Cross-Origin-Resource-Policy: same-origin` and `Cache-Control: private, no-store`.
    """
    if isinstance(stored, StoredFile):
        storage_name, original_name, content_type = (
            stored.storage_name,
            stored.original_name,
            stored.content_type,
        )
    else:
        storage_name, original_name, content_type = stored
    _check_storage_name(storage_name)
    try:
        handle = default_storage.open(storage_name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc

    show_inline = False
    header_type = content_type
    if (inline and content_type in INLINE_TYPES) or content_type.startswith("text/"):
        head = handle.read(SNIFF_BYTES)
        handle.seek(0)
        show_inline = inline and sniff_content_type(head, original_name) == content_type
        if content_type.startswith("text/"):
            header_type = f"{content_type}; charset={_text_charset(head)}"

    response = FileResponse(
        handle,
        as_attachment=not show_inline,
        filename=normalize_filename(original_name),
        content_type=header_type,
    )
    response.block_size = _STREAM_BLOCK_SIZE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
