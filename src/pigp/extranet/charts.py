"""Charts drawn on the server as SVG: no script, no CDN, readable by a screen reader through
`role="img"`, `<title>` and `<desc>` (the page puts the same numbers in a table beside it).

Pure Python (no Django): a chart is a string of SVG the template includes as it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

Point = tuple[datetime.date, Decimal]

BLUE = "#000091"  # DSFR « bleu France »
GREY = "#666666"


def euros(amount: Decimal) -> str:
    """« 1 234,56 € »: narrow no-break spaces between thousands, a no-break space before €."""
    return f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def _nice_step(span: Decimal, ticks: int) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals."""
    raw = span / ticks
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10  # pragma: no cover - the loop always returns


def amount_ticks(low: Decimal, high: Decimal, ticks: int = 4) -> list[Decimal]:
    """Round values covering [low, high], zero among them when the range crosses it."""
    if high <= low:
        high = low + 1
    step = _nice_step(high - low, ticks)
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    values = []
    value = first
    while value < high + step:
        values.append(value)
        value += step
    return values


def date_ticks(first: datetime.date, last: datetime.date, most: int = 6) -> list[datetime.date]:
    """The first day of months within [first, last], thinned to at most `most`; the ends when
    the span is shorter than a month."""
    months = []
    day = datetime.date(first.year, first.month, 1)
    if day < first:
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    if len(months) < 2:
        return [first, last] if first != last else [first]
    every = -(-len(months) // most)
    return months[::every]


@dataclass(frozen=True)
class Frame:
    """Where the plot sits in the picture, and its value range."""

    width: int
    height: int
    first: datetime.date
    last: datetime.date
    low: Decimal
    high: Decimal
    left: int
    right: int
    top: int
    bottom: int

    def x(self, day: datetime.date) -> float:
        span = max((self.last - self.first).days, 1)
        return self.left + (self.width - self.left - self.right) * (day - self.first).days / span

    def y(self, value: Decimal) -> float:
        share = float((self.high - value) / (self.high - self.low))
        return self.top + (self.height - self.top - self.bottom) * share


def _step_path(frame: Frame, points: Sequence[Point], end: datetime.date) -> str:
    """A step line: a balance holds from its day until the next one (one `V` per later day)."""
    day, value = points[0]
    parts = [f"M{frame.x(day):.1f},{frame.y(value):.1f}"]
    for day, value in points[1:]:
        parts.append(f"H{frame.x(day):.1f}V{frame.y(value):.1f}")
    parts.append(f"H{frame.x(end):.1f}")
    return "".join(parts)


def balance_chart(
    points: Sequence[Point],
    *,
    title: str,
    desc: str,
    ident: str = "chart",
    end: datetime.date | None = None,
    width: int = 720,
    height: int = 260,
    sparkline: bool = False,
) -> str:
    """The balances `points` (date order, one per day) as a step line from the first day to
    `end` (the last point's day by default). A sparkline has no axes. Empty without points.
    `ident` prefixes the ids of its title and description (unique in the page)."""
    if not points:
        return ""
    first, last = points[0][0], max(end or points[-1][0], points[-1][0])
    values = [v for _, v in points]
    if sparkline:
        low, high = min([*values, Decimal(0)]), max([*values, Decimal(0)])
        if high == low:
            high = low + 1
        frame = Frame(width, height, first, last, low, high, 2, 2, 2, 2)
        ticks: list[Decimal] = []
    else:
        ticks = amount_ticks(min([*values, Decimal(0)]), max([*values, Decimal(0)]))
        frame = Frame(width, height, first, last, ticks[0], ticks[-1], 120, 16, 10, 34)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'class="extranet-chart" focusable="false">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]
    if not sparkline:
        for tick in ticks:
            y = frame.y(tick)
            stroke = GREY if tick == 0 else "#dddddd"
            parts.append(
                f'<line x1="{frame.left}" y1="{y:.1f}" x2="{width - frame.right}" y2="{y:.1f}" '
                f'stroke="{stroke}" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                f'font-size="12" fill="#161616">{escape(euros(tick))}</text>'
            )
        base = height - frame.bottom
        parts.append(
            f'<line x1="{frame.left}" y1="{base}" x2="{width - frame.right}" y2="{base}" '
            f'stroke="{GREY}" stroke-width="1"/>'
        )
        for day in date_ticks(first, last):
            x = frame.x(day)
            parts.append(
                f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" stroke="{GREY}"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle" font-size="12" '
                f'fill="#161616">{day:%d/%m/%Y}</text>'
            )
    elif frame.low < 0 < frame.high:
        zero = frame.y(Decimal(0))
        parts.append(f'<line x1="0" y1="{zero:.1f}" x2="{width}" y2="{zero:.1f}" stroke="{GREY}"/>')
    parts.append(
        f'<path d="{_step_path(frame, points, last)}" fill="none" stroke="{BLUE}" '
        f'stroke-width="2"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
