"""The spend report's chart: horizontal bars of net points per group, drawn as inline SVG by the server.

Horizontal bars keep long team names and Chinese labels readable; the geometry is worked out here and
the template only writes it down (and escapes the labels).
"""

import math
import unicodedata
from dataclasses import dataclass

WIDTH = 960
LABEL_WIDTH = 220  # labels end just left of the bars
VALUE_WIDTH = 90  # room right of the longest bar for its figure
ROW_HEIGHT = 30
BAR_HEIGHT = 18
TOP = 8
AXIS_HEIGHT = 26  # tick labels under the bars
FONT_SIZE = 12
# The same chart drawn for a phone (shown below 640 px by studio.css): at 360 units it is drawn about 1:1 on a
# 390 px screen, where the wide one would be shrunk to a third and its 12 px labels to 4 px.
PHONE = {"width": 360, "label_width": 110, "value_width": 56}


@dataclass(frozen=True)
class Bar:
    label: str  # shortened to fit, with the whole label in `title`
    title: str
    value: int
    y: int
    width: float
    x: int = LABEL_WIDTH  # where the bars start

    @property
    def text_y(self) -> float:
        return round(self.y + BAR_HEIGHT / 2 + FONT_SIZE * 0.35, 1)

    @property
    def value_x(self) -> float:
        return round(self.x + self.width + 6, 1)


@dataclass(frozen=True)
class Tick:
    value: int
    x: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[Tick]
    height: int
    axis_y: int  # where the bars end and the tick labels begin
    width: int = WIDTH
    bar_x: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 8
    bar_height: int = BAR_HEIGHT

    @property
    def tick_label_y(self) -> int:
        return self.axis_y + 16


def spend_chart(rows, *, width: int = WIDTH, label_width: int = LABEL_WIDTH, value_width: int = VALUE_WIDTH) -> Chart:
    """Bars of `row.net` per row, on a scale that starts at zero and ends at a round number."""
    plot_width = width - label_width - value_width
    largest = max((row.net for row in rows), default=0)
    step = _tick_step(largest)
    top = step * max(1, math.ceil(largest / step))
    scale = plot_width / top
    bars = [
        Bar(
            label=_fit(row.label, label_width - 16),
            title=row.label,
            value=row.net,
            y=TOP + index * ROW_HEIGHT,
            width=round(max(row.net, 0) * scale, 1),
            x=label_width,
        )
        for index, row in enumerate(rows)
    ]
    axis_y = TOP + len(rows) * ROW_HEIGHT
    values = range(0, top + 1, step) if largest > 0 else [0]  # no scale to show when nothing was spent
    ticks = [Tick(value=value, x=round(label_width + value * scale, 1)) for value in values]
    return Chart(bars=bars, ticks=ticks, height=axis_y + AXIS_HEIGHT, axis_y=axis_y, width=width, bar_x=label_width,
                 label_x=label_width - 8)  # fmt: skip


def _tick_step(largest: int) -> int:
    """A round step (1, 2 or 5 × 10ⁿ) that puts at most five ticks under the largest bar."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * 5 >= largest:
                return step * factor
        step *= 10


def _fit(text: str, width: float) -> str:
    """Cut a label to about `width` pixels of 12 px text (CJK characters count twice), ending in “…”."""
    if _text_width(text) <= width:
        return text
    while text and _text_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _text_width(text: str) -> float:
    return sum(FONT_SIZE if unicodedata.east_asian_width(c) in "WF" else FONT_SIZE * 0.6 for c in text)
