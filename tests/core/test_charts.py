"""Server-side SVG charts: geometry, accessible names and no inline style."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from relais.core import charts


def test_nice_axis_maximum() -> None:
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 11, 240, 999)] == [1, 1, 5, 10, 20, 250, 1000]


def test_line_chart_points_and_template() -> None:
    chart = charts.line(
        title="Ouvertes & résolues",
        description="<3 tickets>",
        labels=["01/10", "02/10"],
        series=[("Ouvertes", [0, 4]), ("Résolues", [2, 2])],
    )
    assert chart.series[0].points == "194.0,204.0 486.0,48.8"
    html = render_to_string("core/chart.html", {"chart": chart})
    assert 'role="img"' in html
    assert "<title id=" in html and "Ouvertes &amp; résolues" in html
    assert "&lt;3 tickets&gt;" in html
    assert "style=" not in html


def test_stacked_bars_stack_and_carry_a_tooltip() -> None:
    chart = charts.stacked_bar(
        title="t", description="d", labels=["P1"], series=[("a", [3]), ("b", [2])]
    )
    first, second = chart.series[0].rects[0], chart.series[1].rects[0]
    assert second.y + second.height == pytest.approx(first.y)
    assert first.tip == "P1 — a : 3"


def test_series_must_match_the_labels() -> None:
    with pytest.raises(ValueError, match="2 values for 1 labels"):
        charts.bar(title="t", description="d", labels=["x"], values=[1, 2])


def test_horizontal_bars_write_the_names_cut_with_the_full_text_in_a_title() -> None:
    long_name = "Applications métier › Gestion locative <Ikos> & quittancement des loyers"
    chart = charts.hbar(
        title="Catégories",
        description="d",
        labels=["VPN", long_name, "Messagerie"],
        values=[12, 7.5, 0],
    )
    # Given three names, the chart is three rows high and each bar starts at the names' edge
    assert chart.height == charts.TOP + 3 * charts.H_ROW + charts.H_BOTTOM
    bars = chart.series[0].rects
    assert [r.x for r in bars] == [charts.H_LEFT] * 3
    assert bars[0].width > bars[1].width > bars[2].width == 0
    assert bars[1].tip == f"{long_name} : 7.5"
    names = chart.labels
    assert (names[0].text, names[0].full, names[0].anchor) == ("VPN", "", "end")
    assert names[1].text.endswith("…") and len(names[1].text) <= (charts.H_LEFT - 10) / 6.2
    assert long_name.startswith(names[1].text[:-1]) and names[1].full == long_name
    with translation.override("fr"):
        html = render_to_string("core/chart.html", {"chart": chart})
    # Then the names are in the picture (escaped), the cut one with its whole text as a title
    assert ">VPN</text>" in html
    escaped = "Applications métier › Gestion locative &lt;Ikos&gt; &amp; quittancement des loyers"
    assert f"<title>{escaped}</title>" in html
    assert "<Ikos>" not in html
    assert [v.text for v in chart.values] == ["12", "7.5", "0"]
    # And the coordinates are SVG numbers whatever the language (no decimal comma)
    assert re.search(r'<rect x="200(\.0)?" y="[0-9.]+" width="[0-9.]+" height="16', html)
    assert "," not in "".join(re.findall(r' (?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', html))


def test_vertical_labels_are_cut_to_their_slot() -> None:
    chart = charts.bar(
        title="t",
        description="d",
        labels=["Portail", "Un canal au nom vraiment beaucoup trop long pour sa place"],
        values=[1, 2],
    )
    assert chart.labels[0].text == "Portail"
    assert chart.labels[1].text.endswith("…")
    assert chart.labels[1].full.startswith("Un canal")
