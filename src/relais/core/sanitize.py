"""The only place where user text becomes trusted HTML: Markdown rendered, then sanitised
with nh3 (an allow-list of tags, attributes and URL schemes). `mark_safe` is banned
elsewhere."""

from __future__ import annotations

import threading
from functools import lru_cache

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align", "scope"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _local_images_only(tag: str, attribute: str, value: str) -> str | None:
    """Images come from Relais itself (a path on this site): a remote image would let its
    host follow who reads what (SECURITY.md B3). Other attributes pass unchanged."""
    if tag == "img" and attribute == "src":
        return value if value.startswith("/") and not value.startswith(("//", "/\\")) else None
    return value


def sanitize_html(html: str) -> SafeString:
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_local_images_only,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308  (nh3 output is the allow-list, by construction)


MEMO_MAX_LENGTH = 4000  # only ordinary messages are memoised, so memory stays bounded


def render_markdown(text: str) -> SafeString:
    """Markdown → sanitised HTML. Pure in its input, so ordinary-sized texts are memoised: a
    ticket page shows the same messages to every reader, and rendering costs ~2 ms each."""
    text = text or ""
    if len(text) <= MEMO_MAX_LENGTH:
        return _render_memoised(text)
    return _render(text)


@lru_cache(maxsize=2048)
def _render_memoised(text: str) -> SafeString:
    return _render(text)


_converters = threading.local()


def _converter() -> markdown_lib.Markdown:
    """One Markdown converter per thread, reset between documents: building one (its
    extensions, processors and patterns) costs more than most conversions."""
    converter: markdown_lib.Markdown | None = getattr(_converters, "markdown", None)
    if converter is None:
        converter = markdown_lib.Markdown(
            extensions=["extra", "sane_lists", "nl2br"], output_format="html"
        )
        _converters.markdown = converter
    return converter


def _convert(text: str) -> str:
    converter = _converter()
    try:
        return converter.convert(text or "")
    finally:
        converter.reset()


def _render(text: str) -> SafeString:
    return sanitize_html(_convert(text))


def markdown_to_text(text: str) -> str:
    """The readable text of a Markdown document (for search and snippets): rendered, tags
    dropped, entities decoded, whitespace collapsed."""
    import html as html_lib

    rendered = nh3.clean(_convert(text), tags=set())  # nl2br's <br> go with the other tags
    return " ".join(html_lib.unescape(rendered).split())
