"""SVG charts drawn on the server: bar, stacked bar, horizontal bar and line charts.

No chart service and no JavaScript: each function returns one self-contained `<svg>`
element as a string (wrap it in `markupsafe.Markup` to put it in a template). Every
text that comes from data is XML-escaped; each chart carries `role="img"`, a `<title>`
and a `<desc>` for screen readers (the title is also drawn at the top), and each bar
or point a `<title>` tooltip with its label and value. Only presentation attributes are used (no `style`), so a strict
Content-Security-Policy (`style-src 'self'`) does not strip anything.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

PALETTE = (
    "#2f6fde",
    "#e8590c",
    "#2b9348",
    "#c92a2a",
    "#7048e8",
    "#f08c00",
    "#0c8599",
    "#d6336c",
    "#5c940d",
    "#495057",
)
FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of values, one per label."""

    name: str
    values: Sequence[float]


@dataclass(frozen=True, slots=True)
class _Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


def nice_ticks(maximum: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values from 0 up to at least `maximum` (1, 2, 2.5 or 5 times a power of ten);
    with `integer` (counts) no step is below 1 and none is 2.5."""
    if maximum <= 0 or not math.isfinite(maximum):
        return [0.0, 1.0]
    raw = maximum / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * power for m in multiples if m * power >= raw)
    if integer:
        step = max(step, 1)
    top = math.ceil(maximum / step - 1e-9) * step
    return [round(i * step, 10) for i in range(round(top / step) + 1)]


def format_number(value: float) -> str:
    """1234 → '1234', 2.5 → '2.5', 0.333… → '0.33'."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    description: str = "",
    unit: str = "",
    empty_text: str = "—",
    width: int = 640,
    height: int = 280,
    color: str = PALETTE[0],
) -> str:
    """Vertical bars, one per label."""
    return stacked_bar_chart(
        title,
        labels,
        [Series(title, values)],
        description=description,
        unit=unit,
        empty_text=empty_text,
        width=width,
        height=height,
        colors=(color,),
        legend=False,
    )


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    description: str = "",
    unit: str = "",
    empty_text: str = "—",
    width: int = 640,
    height: int = 300,
    colors: Sequence[str] = PALETTE,
    legend: bool = True,
) -> str:
    """Vertical bars per label, each split into the series stacked on one another."""
    _check(labels, series)
    totals = [sum(float(s.values[i]) for s in series) for i in range(len(labels))]
    frame = _Frame(width, height, 48, 12, 36, 56 if legend and series else 40)
    svg = _Svg(title, description, width, height)
    if not labels or max(totals, default=0) <= 0:
        return svg.empty(empty_text)
    ticks = nice_ticks(max(totals), integer=_whole(s.values for s in series))
    svg.y_axis(frame, ticks, unit)
    slot = frame.plot_width / len(labels)
    bar = max(min(slot * 0.7, 48), 1.0)
    scale = frame.plot_height / ticks[-1]
    for i, label in enumerate(labels):
        x = frame.left + slot * i + (slot - bar) / 2
        base = frame.top + frame.plot_height
        for k, one in enumerate(series):
            value = float(one.values[i])
            if value <= 0:
                continue
            h = value * scale
            base -= h
            tip = (
                f"{label} · {one.name}: {format_number(value)}{unit}"
                if len(series) > 1
                else f"{label}: {format_number(value)}{unit}"
            )
            svg.rect(x, base, bar, h, colors[k % len(colors)], tip)
    svg.x_labels(frame, labels, slot)
    if legend and len(series) > 0:
        svg.legend(frame, [s.name for s in series], colors)
    return svg.done()


def horizontal_bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    description: str = "",
    unit: str = "",
    empty_text: str = "—",
    width: int = 640,
    color: str = PALETTE[0],
) -> str:
    """Horizontal bars, one row per label (long Chinese names stay readable)."""
    _check(labels, [Series(title, values)])
    row = 26
    height = max(row * len(labels) + 64, 104)
    frame = _Frame(width, height, 150, 56, 34, 30)
    svg = _Svg(title, description, width, height)
    if not labels or max((float(v) for v in values), default=0) <= 0:
        return svg.empty(empty_text)
    ticks = nice_ticks(max(float(v) for v in values), integer=_whole([values]))
    scale = frame.plot_width / ticks[-1]
    for tick in ticks:
        x = frame.left + tick * scale
        svg.line(x, frame.top, x, frame.top + frame.plot_height, "#e9ecef")
        svg.text(x, height - 10, format_number(tick), anchor="middle", size=11, fill="#495057")
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = frame.top + i * row + 4
        svg.text(frame.left - 6, y + row / 2, _clip(label, 12), anchor="end", size=12)
        w = float(value) * scale
        svg.rect(frame.left, y, max(w, 0.0), row - 8, color, f"{label}: {format_number(float(value))}{unit}")
        svg.text(frame.left + w + 4, y + row / 2, f"{format_number(float(value))}{unit}", size=11, fill="#495057")
    return svg.done()


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    description: str = "",
    unit: str = "",
    empty_text: str = "—",
    width: int = 640,
    height: int = 300,
    colors: Sequence[str] = PALETTE,
) -> str:
    """One polyline per series over the labels (days, for instance), with point markers."""
    _check(labels, series)
    frame = _Frame(width, height, 48, 16, 36, 56)
    svg = _Svg(title, description, width, height)
    peak = max((float(v) for s in series for v in s.values), default=0)
    if not labels or peak <= 0:
        return svg.empty(empty_text)
    ticks = nice_ticks(peak, integer=_whole(s.values for s in series))
    svg.y_axis(frame, ticks, unit)
    slot = frame.plot_width / len(labels)
    scale = frame.plot_height / ticks[-1]
    for k, one in enumerate(series):
        color = colors[k % len(colors)]
        points = [
            (frame.left + slot * i + slot / 2, frame.top + frame.plot_height - float(v) * scale)
            for i, v in enumerate(one.values)
        ]
        svg.polyline(points, color)
        for (x, y), label, value in zip(points, labels, one.values, strict=True):
            svg.circle(x, y, color, f"{label} · {one.name}: {format_number(float(value))}{unit}")
    svg.x_labels(frame, labels, slot)
    svg.legend(frame, [s.name for s in series], colors)
    return svg.done()


# ---------------------------------------------------------------------- drawing


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values for {len(labels)} labels")


def _whole(rows: Iterable[Sequence[float]]) -> bool:
    return all(float(v).is_integer() for row in rows for v in row)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Svg:
    def __init__(self, title: str, description: str, width: int, height: int) -> None:
        ident = f"chart{next(_ids)}"
        self.width, self.height = width, height
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMidYMid meet" font-family={quoteattr(FONT)} '
            f'aria-labelledby="{ident}-title {ident}-desc">',
            f'<title id="{ident}-title">{escape(title)}</title>',
            f'<desc id="{ident}-desc">{escape(description or title)}</desc>',
            f'<text x="8" y="16" font-size="14" font-weight="600" fill="#212529" aria-hidden="true">'
            f"{escape(title)}</text>",
        ]

    def empty(self, message: str) -> str:
        self.text(self.width / 2, self.height / 2, message, anchor="middle", size=14, fill="#868e96")
        return self.done()

    def done(self) -> str:
        return "".join([*self.parts, "</svg>"])

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        anchor: str = "start",
        size: int = 12,
        fill: str = "#212529",
        rotate: float | None = None,
    ) -> None:
        transform = f' transform="rotate({_n(rotate)} {_n(x)} {_n(y)})"' if rotate else ""
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" dominant-baseline="middle" '
            f'font-size="{size}" fill="{fill}"{transform}>{escape(value)}</text>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str) -> None:
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" stroke-width="1"/>'
        )

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str) -> None:
        self.parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}">'
            f"<title>{escape(tip)}</title></rect>"
        )

    def circle(self, x: float, y: float, fill: str, tip: str) -> None:
        self.parts.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{fill}"><title>{escape(tip)}</title></circle>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], stroke: str) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="2"/>')

    def y_axis(self, frame: _Frame, ticks: Sequence[float], unit: str) -> None:
        scale = frame.plot_height / ticks[-1]
        for tick in ticks:
            y = frame.top + frame.plot_height - tick * scale
            self.line(frame.left, y, frame.width - frame.right, y, "#e9ecef")
            self.text(frame.left - 6, y, format_number(tick) + unit, anchor="end", size=11, fill="#495057")
        bottom = frame.top + frame.plot_height
        self.line(frame.left, bottom, frame.width - frame.right, bottom, "#adb5bd")

    def x_labels(self, frame: _Frame, labels: Sequence[str], slot: float) -> None:
        every = max(1, math.ceil(len(labels) * 40 / max(frame.plot_width, 1)))
        rotate = -30.0 if slot * every < 64 else None
        y = frame.top + frame.plot_height + 14
        for i, label in enumerate(labels):
            if i % every:
                continue
            x = frame.left + slot * i + slot / 2
            self.text(x, y, _clip(label, 10), anchor="end" if rotate else "middle", size=11, rotate=rotate)

    def legend(self, frame: _Frame, names: Sequence[str], colors: Sequence[str]) -> None:
        x, y = float(frame.left), float(self.height - 12)
        for k, name in enumerate(names):
            label = _clip(name, 12)
            self.parts.append(
                f'<rect x="{_n(x)}" y="{_n(y - 5)}" width="10" height="10" fill="{colors[k % len(colors)]}"/>'
            )
            self.text(x + 14, y, label, size=11)
            x += 24 + 12 * len(label)
            if x > self.width - 60:
                break
