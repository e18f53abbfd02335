"""Server-side SVG charts: line, bar and stacked bar (DESIGN.md: accessible, printable, no JS).

A chart is computed here as plain geometry and drawn by the template `core/chart.html`
(`{% include "core/chart.html" with chart=… %}`): an `<svg role="img">` with a `<title>` and a
`<desc>`, colours from CSS classes (`chart-s0`…`chart-s5`, no inline style, so the strict CSP
holds). The figures themselves are always shown next to the chart as a data table by the page
that uses it; the chart is the picture, the table is the text alternative.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 240
LEFT = 48  # room for the y-axis ticks
RIGHT = 8
TOP = 10
BOTTOM = 36  # room for the x-axis labels
MAX_X_LABELS = 8
PALETTE = 6

_ids = itertools.count(1)


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    tip: str


@dataclass
class Series:
    name: str
    css: str
    points: str = ""  # polyline points, for a line chart
    rects: list[Rect] = field(default_factory=list)


@dataclass
class Chart:
    kind: str
    title: str
    description: str
    uid: str
    series: list[Series]
    x_labels: list[Label]
    y_ticks: list[Label]
    grid: list[float]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM


def nice_max(value: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value:,.0f}".replace(",", " ")


def _axes(
    top: float, labels: Sequence[str], slot: float
) -> tuple[list[Label], list[Label], list[float]]:
    plot_h = HEIGHT - TOP - BOTTOM
    ticks, grid = [], []
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        ticks.append(Label(LEFT - 6, round(y + 4, 1), _fmt(value)))
        grid.append(round(y, 1))
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    x_labels = [
        Label(round(LEFT + slot * (i + 0.5), 1), HEIGHT - BOTTOM + 16, text)
        for i, text in enumerate(labels)
        if i % step == 0
    ]
    return ticks, x_labels, grid


def _y(value: float, top: float) -> float:
    plot_h = HEIGHT - TOP - BOTTOM
    return round(HEIGHT - BOTTOM - plot_h * (value / top), 1)


def _check(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> None:
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")


def line(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> Chart:
    """One polyline per series over the labels (days, weeks…)."""
    _check(labels, series)
    top = nice_max(max((v for _n, values in series for v in values), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    ticks, x_labels, grid = _axes(top, labels, slot)
    shapes = []
    for index, (name, values) in enumerate(series):
        points = " ".join(
            f"{round(LEFT + slot * (i + 0.5), 1)},{_y(v, top)}" for i, v in enumerate(values)
        )
        shapes.append(Series(str(name), f"chart-s{index % PALETTE}", points=points))
    return Chart("line", title, description, f"chart-{next(_ids)}", shapes, x_labels, ticks, grid)


def stacked_bar(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> Chart:
    """One bar per label, each series stacked on the previous ones."""
    _check(labels, series)
    totals = [sum(values[i] for _n, values in series) for i in range(len(labels))]
    top = nice_max(max(totals, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = round(max(slot * 0.7, 1), 1)
    base = [0.0] * len(labels)
    shapes = []
    for index, (name, values) in enumerate(series):
        rects = []
        for i, value in enumerate(values):
            y_top, y_bottom = _y(base[i] + value, top), _y(base[i], top)
            rects.append(
                Rect(
                    round(LEFT + slot * i + (slot - bar_w) / 2, 1),
                    y_top,
                    bar_w,
                    round(y_bottom - y_top, 1),
                    f"{labels[i]} — {name} : {_fmt(value)}",
                )
            )
            base[i] += value
        shapes.append(Series(str(name), f"chart-s{index % PALETTE}", rects=rects))
    ticks, x_labels, grid = _axes(top, labels, slot)
    return Chart("bar", title, description, f"chart-{next(_ids)}", shapes, x_labels, ticks, grid)


def bar(
    *, title: str, description: str, labels: Sequence[str], values: Sequence[float], name: str = ""
) -> Chart:
    """One bar per label."""
    return stacked_bar(title=title, description=description, labels=labels, series=[(name, values)])
