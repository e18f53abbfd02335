"""Server-side SVG charts: geometry, accessible names and no inline style."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

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
