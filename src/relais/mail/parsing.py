"""Reading one raw RFC 5322 message with the standard library (`email`, policy=default).

Everything here is pure: bytes in, a `ParsedMail` out, nothing stored. The decoding is lenient
because real mail is not: a declared charset that lies (us-ascii holding Latin-1 bytes,
ISO-8859-1 holding Windows-1252 quotes), an unknown charset name, a missing Content-Type or a
malformed address never make a message unreadable; what cannot be decoded is replaced, not
dropped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_WHITESPACE_RUN = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")

# Charsets that mail clients declare for text written in Windows-1252: decoding as cp1252 is
# the same for every byte they define and right for the curly quotes, the euro sign and œ.
_CP1252_SUPERSETS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", ""}


class _MemoisedHeaders(HeaderRegistry):
    """policy.default's header registry, remembering what it parsed: the parser and
    `get_content_type()` ask for the same Content-Type header again and again (two dozen
    times for an ordinary multipart message), and each full RFC 5322 parse costs ~0.1 ms.
    Header objects are immutable strings, so sharing them is safe."""

    MAX = 4096

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: str) -> BaseHeader:
        key = (name.lower(), value)
        header = self._memo.get(key)
        if header is None:
            if len(self._memo) >= self.MAX:
                self._memo.clear()
            header = self._memo[key] = super().__call__(name, value)
        return header


# policy.default, with the memoised registry: the same parsing, ten times faster.
POLICY = policy.default.clone(header_factory=_MemoisedHeaders())


@dataclass
class MailPart:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # without angle brackets
    inline: bool = False


@dataclass
class ParsedMail:
    message: Message
    message_id: str  # "<…>" as sent, or "" when absent
    in_reply_to: list[str]
    references: list[str]
    sender: str  # lowercase address, "" when unreadable
    sender_name: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str  # the readable text: the text/plain part, or the HTML part as text
    html: str  # the HTML part as sent (unsanitised: sanitise before showing it)
    attachments: list[MailPart] = field(default_factory=list)
    forwarded: list[ParsedMail] = field(default_factory=list)
    return_path: str | None = None  # None: no header; "": the empty envelope sender <>

    def header(self, name: str) -> str:
        return _header_text(self.message, name)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def message_key(raw: bytes, message_id: str) -> str:
    """The identity a message is processed once under: its Message-ID, or a hash of its bytes
    when it has none (or one too long to index)."""
    if message_id and len(message_id) <= 250:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def first_message_id(raw_headers: bytes) -> str:
    """The Message-ID read from the header block alone (cheap: no MIME parsing)."""
    head = raw_headers.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", head, re.I | re.M)
    if not match:
        return ""
    ids = _MSGID.findall(match.group(1).decode("ascii", "replace"))
    return ids[0] if ids else ""


def parse(raw: bytes) -> ParsedMail:
    message = message_from_bytes(raw, policy=POLICY)
    return _parse_message(message)


def _parse_message(message: Message) -> ParsedMail:
    sender_name, sender = _sender(message)
    return_path_header = _header_text(message, "Return-Path")
    return_path: str | None = None
    if message.get("Return-Path") is not None:
        return_path = parseaddr(return_path_header)[1].strip().lower()
    parsed = ParsedMail(
        message=message,
        message_id=next(iter(_ids(_header_text(message, "Message-ID"))), ""),
        in_reply_to=_ids(_header_text(message, "In-Reply-To")),
        references=_ids(_header_text(message, "References")),
        sender=sender,
        sender_name=sender_name,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        subject=_clean_line(_header_text(message, "Subject")),
        text="",
        html="",
        return_path=return_path,
    )
    texts: list[str] = []
    htmls: list[str] = []
    _walk(message, parsed, texts, htmls)
    parsed.html = "\n".join(htmls)
    parsed.text = "\n\n".join(t for t in texts if t.strip())
    if not parsed.text.strip() and parsed.html:
        parsed.text = html_to_text(parsed.html)
    parsed.text = _tidy(parsed.text)
    return parsed


def _walk(part: Message, parsed: ParsedMail, texts: list[str], htmls: list[str]) -> None:
    """Collect the readable body and the attachments. In a multipart/alternative, the plain
    text wins for the text and the HTML is kept for display."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        _attach_message(part, parsed)
        return
    if part.is_multipart():
        children: list[Message] = list(part.iter_parts()) if isinstance(part, EmailMessage) else []
        if not children:
            children = [p for p in (part.get_payload() or []) if isinstance(p, Message)]
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            rich = [c for c in children if c.get_content_type() == "text/html"]
            others = [c for c in children if c not in plain and c not in rich]
            if plain:
                texts.append(decode_text(plain[-1]))
            if rich:
                htmls.append(decode_text(rich[-1]))
            for child in others:  # multipart/related inside an alternative
                _walk(child, parsed, texts if not plain else [], htmls)
            return
        if ctype == "multipart/report":
            # Delivery reports: the human-readable part is the text; the rest is data.
            for child in children:
                _walk(child, parsed, texts, htmls)
            return
        for child in children:
            _walk(child, parsed, texts, htmls)
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part)
    is_attachment = disposition == "attachment" or (
        bool(filename) and ctype not in {"text/plain", "text/html"}
    )
    if ctype == "text/plain" and not is_attachment:
        texts.append(decode_text(part))
        return
    if ctype == "text/html" and not is_attachment:
        htmls.append(decode_text(part))
        return
    if ctype in {"message/delivery-status", "text/rfc822-headers", "message/rfc822-headers"}:
        return  # read by the bounce classifier from the message itself
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return
    content_id = _ids(_header_text(part, "Content-ID"))
    parsed.attachments.append(
        MailPart(
            filename=filename or _default_name(ctype),
            content_type=ctype,
            data=data,
            content_id=content_id[0][1:-1] if content_id else "",
            inline=disposition == "inline" or bool(content_id),
        )
    )


def _attach_message(part: Message, parsed: ParsedMail) -> None:
    """A forwarded message attached whole: read its text (for the ticket) and keep it as a
    .eml attachment."""
    inner = part.get_payload()
    inner_msg = inner[0] if isinstance(inner, list) and inner else inner
    if not isinstance(inner_msg, Message):
        return
    parsed.forwarded.append(_parse_message(inner_msg))
    parsed.attachments.append(
        MailPart(
            filename=_filename(part) or "message.eml",
            content_type="message/rfc822",
            data=inner_msg.as_bytes(policy=POLICY.clone(linesep="\r\n")),
        )
    )


def decode_text(part: Message) -> str:
    """The text of a part, decoded by its declared charset when that works, otherwise by the
    likeliest one; never raises."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        value = part.get_payload()
        return value if isinstance(value, str) else ""
    declared = (part.get_content_charset() or "").lower()
    if declared in _CP1252_SUPERSETS:
        try:
            return payload.decode("ascii")
        except UnicodeDecodeError:
            pass
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")
    try:
        return payload.decode(declared)
    except (LookupError, UnicodeDecodeError):
        pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def _header_text(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot read at all
        return ""
    if value is None:
        return ""
    try:
        return _unsurrogate(str(value))
    except Exception:
        return ""


def _unsurrogate(value: str) -> str:
    """Raw 8-bit bytes in a header (UTF-8 as RFC 6532 allows, or a legacy charset) come out
    of the parser as surrogate escapes, which no database or mail can store: read them as
    UTF-8, else as Windows-1252."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _clean_line(value: str) -> str:
    value = _unsurrogate(value)
    return _WHITESPACE_RUN.sub(" ", value.replace("\r", " ").replace("\n", " ")).strip()


def _ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _sender(message: Message) -> tuple[str, str]:
    for header in ("From", "Sender", "Reply-To"):
        raw = message.get(header)
        if raw is None:
            continue
        try:
            addresses = getattr(raw, "addresses", ())
            if addresses:
                first: Address = addresses[0]
                if first.addr_spec and "@" in first.addr_spec:
                    return (
                        _clean_line(first.display_name)[:200],
                        _unsurrogate(first.addr_spec).lower()[:254],
                    )
        except Exception:  # noqa: S110  (malformed header: try the plain parse)
            pass
        name, addr = parseaddr(_header_text(message, header))
        if addr and "@" in addr:
            return _clean_line(name)[:200], addr.lower()[:254]
    return "", ""


def _addresses(message: Message, name: str) -> list[str]:
    values = message.get_all(name) or []
    found: list[str] = []
    for _display, addr in getaddresses([_unsurrogate(str(v)) for v in values]):
        addr = addr.strip().lower()
        if addr and "@" in addr and addr not in found:
            found.append(addr[:254])
    return found


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return _clean_line(name or "")


def _default_name(content_type: str) -> str:
    extension = {
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
        "application/pdf": "pdf",
    }.get(content_type, "bin")
    return f"piece-jointe.{extension}"


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _TextExtractor(HTMLParser):
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
        | {"table", "ul", "ol", "hr", "section", "article", "header", "footer"}
    )
    SKIPPED = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(_WHITESPACE_RUN.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        return ""
    lines = [line.strip() for line in "".join(extractor.parts).split("\n")]
    return _tidy("\n".join(lines))
