"""Server-side SVG charts: line, bar, stacked bar, and horizontal bars for named categories
(DESIGN.md: accessible, printable, no JS).

A chart is computed here as plain geometry and drawn by the template `core/chart.html`
(`{% include "core/chart.html" with chart=… %}`): an `<svg role="img">` with a `<title>` and a
`<desc>`, colours from CSS classes (`chart-s0`…`chart-s5`, no inline style, so the strict CSP
holds). The figures themselves are always shown next to the chart as a data table by the page
that uses it; the chart is the picture, the table is the text alternative.

Labels are never replaced by numbers: a label too long for its room is cut with an ellipsis
and the full text is the label's `<title>` (the tooltip). Names (categories, services,
campaigns, directions) use the horizontal charts, which keep 200 px on the left for them.
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
CHAR_WIDTH = 6.2  # about the average width of a character at 11 px
# Horizontal bars: the names on the left, one row per name, the value after the bar.
H_LEFT = 200
H_RIGHT = 56
H_ROW = 24
H_BAR = 16
H_BOTTOM = 22

_ids = itertools.count(1)


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    full: str = ""  # the whole text when `text` was cut


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


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
    labels: list[Label]  # the categories (under the bars, or left of horizontal ones)
    ticks: list[Label]  # the value axis
    grid: list[Line]
    width: int = WIDTH
    height: int = HEIGHT
    values: list[Label] = field(default_factory=list)  # printed after horizontal bars


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


def shorten(text: str, room: float) -> tuple[str, str]:
    """The text as drawn in `room` pixels, and the full text when it had to be cut."""
    limit = max(int(room / CHAR_WIDTH), 4)
    if len(text) <= limit:
        return text, ""
    return text[: limit - 1].rstrip() + "…", text


def _label(x: float, y: float, text: str, room: float, anchor: str = "middle") -> Label:
    shown, full = shorten(text, room)
    return Label(x, y, shown, anchor, full)


def _axes(
    top: float, labels: Sequence[str], slot: float
) -> tuple[list[Label], list[Label], list[Line]]:
    plot_h = HEIGHT - TOP - BOTTOM
    ticks, grid = [], []
    for i in range(5):
        value = top * i / 4
        y = round(HEIGHT - BOTTOM - plot_h * i / 4, 1)
        ticks.append(Label(LEFT - 6, round(y + 4, 1), _fmt(value), "end"))
        grid.append(Line(LEFT, y, WIDTH - RIGHT, y))
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    x_labels = [
        _label(round(LEFT + slot * (i + 0.5), 1), HEIGHT - BOTTOM + 16, text, slot * step)
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
                    f"{labels[i]} — {name} : {_fmt(value)}"
                    if name
                    else f"{labels[i]} : {_fmt(value)}",
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


def stacked_hbar(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> Chart:
    """One horizontal bar per label (a name, written on its left), series stacked left to
    right, the total after the bar. The chart grows with the number of names."""
    _check(labels, series)
    totals = [sum(values[i] for _n, values in series) for i in range(len(labels))]
    top = nice_max(max(totals, default=0))
    height = TOP + H_ROW * max(len(labels), 1) + H_BOTTOM
    baseline = height - H_BOTTOM
    plot_w = WIDTH - H_LEFT - H_RIGHT

    def x(value: float) -> float:
        return round(H_LEFT + plot_w * value / top, 1)

    base = [0.0] * len(labels)
    shapes = []
    for index, (name, values) in enumerate(series):
        rects = []
        for i, value in enumerate(values):
            y = TOP + H_ROW * i + (H_ROW - H_BAR) / 2
            tip = (
                f"{labels[i]} — {name} : {_fmt(value)}" if name else f"{labels[i]} : {_fmt(value)}"
            )
            rects.append(Rect(x(base[i]), y, round(x(base[i] + value) - x(base[i]), 1), H_BAR, tip))
            base[i] += value
        shapes.append(Series(str(name), f"chart-s{index % PALETTE}", rects=rects))
    names = [
        _label(H_LEFT - 6, TOP + H_ROW * i + H_ROW / 2 + 4, text, H_LEFT - 10, "end")
        for i, text in enumerate(labels)
    ]
    after = [
        Label(x(total) + 4, TOP + H_ROW * i + H_ROW / 2 + 4, _fmt(total), "start")
        for i, total in enumerate(totals)
    ]
    ticks: list[Label] = []
    grid: list[Line] = []
    for i in range(5):
        at = x(top * i / 4)
        ticks.append(Label(at, baseline + 15, _fmt(top * i / 4)))
        grid.append(Line(at, TOP, at, baseline))
    return Chart(
        "hbar",
        title,
        description,
        f"chart-{next(_ids)}",
        shapes,
        names,
        ticks,
        grid,
        height=height,
        values=after,
    )


def hbar(
    *, title: str, description: str, labels: Sequence[str], values: Sequence[float], name: str = ""
) -> Chart:
    """One horizontal bar per name: for categories, services, directions…"""
    return stacked_hbar(
        title=title, description=description, labels=labels, series=[(name, values)]
    )
