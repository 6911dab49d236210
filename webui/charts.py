"""Charts as inline SVG, drawn on the server.

No chart library and no JavaScript: the report must print, work offline in a county office, and
pass a strict Content-Security-Policy.  Each chart carries ``role="img"`` with a ``<title>`` and a
``<desc>`` that reads out its figures, for screen readers; the page shows the same figures as
tables too.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720
FONT = 12
BAR = 14  # height of one bar of a horizontal bar chart
GROUP_GAP = 12
LABELLED_POINTS = 12  # months of a line chart labelled one by one (in 720 px)
# Colour-blind-safe (Okabe-Ito), dark enough to print on a grey-scale office printer.
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#E69F00")

Series = tuple[str, Sequence[int | float]]


def text_width(text: str, size: int = FONT) -> float:
    """About how wide ``text`` is drawn: Chinese characters are square, Latin ones narrower."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def ticks(top: float, count: int = 4) -> list[int]:
    """Round axis values from 0 to at least ``top``: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)))
    return [i * step for i in range(math.ceil(top / step) + 1)]


def _text(x: float, y: float, content: object, *, anchor: str = "start", css: str = "",
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}"{extra}>'
            f"{escape(content)}</text>")


def _frame(chart_id: str, title: str, height: float, series: Sequence[Series],
           categories: Sequence[str], body: list[str]) -> Markup:
    """The ``<svg>`` around ``body``: accessible name, description and legend."""
    described = "; ".join(
        f"{category}: " + ", ".join(f"{name} {values[i]}" for name, values in series)
        for i, category in enumerate(categories))
    legend, x = [], 0.0
    for index, (name, _values) in enumerate(series):
        legend.append(f'<rect x="{x:.1f}" y="4" width="12" height="12" '
                      f'fill="{PALETTE[index % len(PALETTE)]}"/>')
        legend.append(_text(x + 16, 14, name, css="legend"))
        x += 16 + text_width(name) + 20
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(described)}</desc>'
        f'<g class="legend">{"".join(legend)}</g>{"".join(body)}</svg>')


def bar_chart(chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series],
              axis_label: str) -> Markup:
    """Horizontal grouped bars, one group per category: long place names stay readable and a
    township with thirty villages only makes the chart taller."""
    left = min(260.0, max(60.0, max((text_width(c) for c in categories), default=0) + 12))
    right, top = 40.0, 30.0
    group = BAR * len(series) + GROUP_GAP
    plot_height = max(group * len(categories), group)
    height = top + plot_height + 44
    scale_values = ticks(max((v for _n, values in series for v in values), default=0))
    span = WIDTH - left - right

    def x_of(value: float) -> float:
        return left + span * value / scale_values[-1]

    body = []
    for value in scale_values:  # grid and x axis labels
        x = x_of(value)
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_height}" '
                    'class="grid"/>')
        body.append(_text(x, top + plot_height + 16, value, anchor="middle", css="tick"))
    body.append(_text(left + span / 2, height - 6, axis_label, anchor="middle", css="axis"))
    for row, category in enumerate(categories):
        y0 = top + row * group + GROUP_GAP / 2
        body.append(_text(left - 6, y0 + BAR * len(series) / 2 + FONT / 3, category,
                          anchor="end", css="category"))
        for index, (_name, values) in enumerate(series):
            y, value = y0 + index * BAR, values[row]
            body.append(f'<rect x="{left}" y="{y:.1f}" width="{x_of(value) - left:.1f}" '
                        f'height="{BAR - 2}" fill="{PALETTE[index % len(PALETTE)]}"/>')
            body.append(_text(x_of(value) + 4, y + BAR - 4, value, css="value"))
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_height}" '
                'class="axis-line"/>')
    return _frame(chart_id, title, height, series, categories, body)


def line_chart(chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series],
               axis_label: str, category_label: str = "") -> Markup:
    """Lines over evenly spaced categories (months), each point labelled with its value."""
    left, right, top, bottom, height = 56.0, 32.0, 34.0, 54.0, 310.0
    plot_height = height - top - bottom
    scale_values = ticks(max((v for _n, values in series for v in values), default=0))
    step = (WIDTH - left - right) / max(len(categories) - 1, 1)

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / scale_values[-1])

    body = []
    for value in scale_values:  # grid and y axis labels
        y = y_of(value)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                    'class="grid"/>')
        body.append(_text(left - 6, y + FONT / 3, value, anchor="end", css="tick"))
    # A year of months fits with every label and value; a longer period labels every n-th month
    # and leaves the values to the table beside the chart.
    every = max(1, math.ceil(len(categories) / LABELLED_POINTS))
    for index, category in enumerate(categories):
        if index % every == 0:
            body.append(_text(left + index * step, top + plot_height + 30, category,
                              anchor="middle", css="category"))
    if category_label:
        body.append(_text((left + WIDTH - right) / 2, height - 4, category_label,
                          anchor="middle", css="axis"))
    middle = top + plot_height / 2
    body.append(_text(14, middle, axis_label, anchor="middle", css="axis",
                      extra=f' transform="rotate(-90 14 {middle:.1f})"'))
    for number, (_name, values) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [(left + i * step, y_of(v)) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>')
        # Values above the first series' points and below the second's, so equal ones differ.
        offset = -7 if number % 2 == 0 else 15
        for (x, y), value in zip(points, values, strict=True):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
            if every == 1:
                body.append(_text(x, y + offset, value, anchor="middle", css="value"))
    return _frame(chart_id, title, height, series, categories, body)
