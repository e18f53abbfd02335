"""What the person wrote, without the quoted history and the signature below it.

Our own mails start with a "reply above this line" marker, which is the surest cut. Then
mail-parser-reply finds the headers that French and English clients put above a quote
("Le … a écrit :", "De : … Envoyé : …", "On … wrote:", "-----Original Message-----"), the
"> " quotes and the usual signatures. The stored reply is that text; the original stays on the
inbound message ("show the original"). When the cut leaves nothing, the whole text is kept:
a reply is never stored empty.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from mailparser_reply.parser import EmailMessage

# Written at the top of every ticket mail we send, in the recipient's language.
REPLY_MARKER = _("##- Reply above this line -##")
# Any language's marker: the hyphen-hash frame is ours.
_MARKER_LINE = re.compile(r"^.*##-[^\n]{3,80}-##.*$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^\s*(?:envoy[ée] (?:de|depuis) mon \w+|sent from my \w+|"
    r"obtenir outlook pour \w+|get outlook for \w+|t[ée]l[ée]charger outlook pour \w+)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_HEADER = re.compile(
    r"^\s*-{2,}\s*(?:forwarded message|message transf[ée]r[ée]|original message"
    r"|message d'origine)\s*-{2,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def _latest(text: str) -> str:
    """The newest reply without its signature; hyphen lists ("- redémarré") are content."""
    parsed = EmailMessage(text=text, languages=["fr", "en"], keep_hyphen_lists=True).read()
    if not parsed.replies:
        return ""
    latest = parsed.replies[0]
    return latest.body or latest.full_body


def extract_reply(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        return ""
    marker = _MARKER_LINE.search(text)
    if marker:
        text = text[: marker.start()]
        # The client's "On … wrote:" line sits just above our marker: drop the quote header.
    try:
        reply = _latest(text)
    except Exception:
        reply = text
    reply = _SENT_FROM.sub("", reply)
    reply = reply.strip()
    return reply or text.strip()


def is_forward(text: str) -> bool:
    return bool(_FORWARD_HEADER.search(text or ""))
