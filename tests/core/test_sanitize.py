"""User Markdown becomes HTML without any way to run script (SECURITY.md B3 baseline)."""

from __future__ import annotations

import pytest

from relais.core.sanitize import MEMO_MAX_LENGTH, render_markdown


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
        '"><script>alert(1)</script>',
        "[x](JaVaScRiPt:alert(1))",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        "<iframe src=//evil.example></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_no_script_survives(text):
    html = str(render_markdown(text)).lower()
    for marker in (
        "<script",
        "onerror",
        "onbegin",
        "javascript:",
        "<iframe",
        "<svg",
        "data:text/html",
        "style=",
    ):
        assert marker not in html


def test_ordinary_markdown_is_kept():
    html = str(render_markdown("**Redémarrez** puis [la FAQ](https://intranet.example/faq)"))
    assert "<strong>Redémarrez</strong>" in html
    assert 'href="https://intranet.example/faq"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_long_texts_render_the_same_without_memoisation():
    text = "*x* " * (MEMO_MAX_LENGTH // 4 + 10)
    assert str(render_markdown(text)).count("<em>x</em>") == MEMO_MAX_LENGTH // 4 + 10


def test_one_message_s_definitions_never_reach_the_next():
    # The converter is reused between documents: abbreviations, footnotes and link
    # references defined by one author must not change how another author's text reads.
    render_markdown(
        "*[VPN]: Vraiment Pas Nécessaire\n\nLe VPN[^1] [ici][lien]\n\n[^1]: note\n\n[lien]: https://evil.example/"
    )
    html = str(render_markdown("Mon VPN[^1] ne marche pas, [ici][lien]"))
    assert "Vraiment" not in html and "<abbr" not in html
    assert "footnote" not in html
    assert "evil.example" not in html
