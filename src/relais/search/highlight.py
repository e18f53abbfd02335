"""Snippets: a short window of an object's text around the query's words, matches marked.
Everything is escaped; the only markup is <mark>."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from relais.search import analysis

_WORD = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)


@lru_cache(maxsize=50_000)
def _word_terms(word: str) -> frozenset[str]:
    return frozenset(analysis.analyse(word))


def snippet(text: str, terms: Collection[str], *, width: int = 220) -> SafeString:
    """The part of `text` (about `width` characters) with the most query words, marked."""
    text = " ".join(text.split())
    matches = [m for m in _WORD.finditer(text) if _word_terms(m.group()) & set(terms)]
    if not matches:
        cut = text[:width]
        return format_html("{}{}", cut, "…" if len(text) > width else "")
    # The window starting at the match that has the most other matches within `width`.
    best = max(
        range(len(matches)),
        key=lambda i: sum(1 for m in matches[i:] if m.end() - matches[i].start() <= width),
    )
    start = max(0, matches[best].start() - 40)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < matches[best].start() else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > matches[best].end() else end
    pairs = []
    cursor = start
    for m in matches:
        if m.start() < start or m.end() > end:
            continue
        pairs.append((text[cursor : m.start()], m.group()))
        cursor = m.end()
    body = format_html_join("", "{}<mark>{}</mark>", pairs)
    return format_html(
        "{}{}{}{}",
        "…" if start > 0 else "",
        body,
        text[cursor:end],
        "…" if end < len(text) else "",
    )


def mark(title: str, terms: Collection[str]) -> SafeString:
    """`title` with the query's words marked."""
    pairs = []
    cursor = 0
    for m in _WORD.finditer(title):
        if _word_terms(m.group()) & set(terms):
            pairs.append((title[cursor : m.start()], m.group()))
            cursor = m.end()
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", pairs), title[cursor:])
