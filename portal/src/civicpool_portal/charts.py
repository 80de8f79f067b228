"""Bar charts drawn on the server as SVG: no script, no assets, readable without colour (values are printed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 170
BAR_AREA = 360
VALUE_WIDTH = 130
BAR_HEIGHT = 16
GAP = 6
GROUP_GAP = 12


@dataclass(frozen=True)
class Bar:
    y: int
    width: int
    series: int
    text: str


@dataclass(frozen=True)
class Group:
    label: str
    y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    groups: list[Group]
    series: list[str]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(rows: Sequence[tuple[str, Sequence[tuple[int, str]]]], series: Sequence[str] = ()) -> Chart:
    """Horizontal bars, one group per row, one bar per series: rows are (label, [(value, shown text), ...])."""
    largest = max((value for _, values in rows for value, _ in values), default=0) or 1
    groups, y = [], 0
    for label, values in rows:
        bars = []
        for index, (value, text) in enumerate(values):
            bars.append(Bar(y + index * (BAR_HEIGHT + GAP), max(0, round(BAR_AREA * value / largest)), index, text))
        groups.append(Group(label, y, bars))
        y += len(values) * (BAR_HEIGHT + GAP) + GROUP_GAP
    return Chart(groups, list(series), LABEL_WIDTH + BAR_AREA + VALUE_WIDTH, max(y, BAR_HEIGHT))
