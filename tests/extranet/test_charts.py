"""The server-side SVG chart: well-formed, accessible, one step per day, French axes."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

from pigp.extranet import charts

NS = {"svg": "http://www.w3.org/2000/svg"}
D = datetime.date


def _svg(points, **kwargs) -> ET.Element:
    return ET.fromstring(
        charts.balance_chart(points, title="Solde <test>", desc="Détail & co", **kwargs)
    )


def test_a_step_per_day_with_french_axes_and_a_text_alternative():
    points = [
        (D(2026, 1, 1), Decimal("1000.00")),
        (D(2026, 2, 15), Decimal("-250.50")),
        (D(2026, 4, 3), Decimal("12345.67")),
    ]
    svg = _svg(points, ident="t", end=D(2026, 6, 30))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "t-title t-desc"
    assert svg.find("svg:title", NS).text == "Solde <test>"
    assert svg.find("svg:desc", NS).text == "Détail & co"
    [path] = svg.findall("svg:path", NS)
    d = path.get("d")
    assert d.startswith("M") and d.count("V") == len(points) - 1
    labels = [t.text for t in svg.findall("svg:text", NS)]
    # Amount ticks, French style, zero among them; month starts as dates.
    euro = "\u00a0€"
    assert {f"-5\u202f000,00{euro}", f"0,00{euro}", f"15\u202f000,00{euro}"} <= set(labels)
    assert {"01/01/2026", "01/03/2026", "01/06/2026"} <= set(labels)


def test_the_line_ends_at_the_end_of_the_period_and_goes_down_when_the_balance_does():
    points = [(D(2026, 3, 1), Decimal("100")), (D(2026, 3, 2), Decimal("50"))]
    svg = _svg(points, end=D(2026, 3, 31), width=400)
    d = svg.find("svg:path", NS).get("d")
    start_y = float(d[1:].split("H")[0].split(",")[1])
    second_y = float(d.split("V")[1].split("H")[0])
    assert second_y > start_y  # SVG's y grows downwards: a lower balance
    assert d.endswith("H384.0")  # 400 wide, 16 of right margin


def test_sparkline_has_no_axes_and_an_empty_series_no_chart():
    points = [(D(2026, 3, 1), Decimal("100")), (D(2026, 3, 2), Decimal("-50"))]
    svg = _svg(points, sparkline=True, width=300, height=60)
    assert svg.findall("svg:text", NS) == []
    assert len(svg.findall("svg:line", NS)) == 1  # the zero line
    assert charts.balance_chart([], title="t", desc="d") == ""


def test_ticks():
    assert charts.amount_ticks(Decimal("0"), Decimal("95")) == [Decimal(v) for v in (0, 50, 100)]
    assert charts.date_ticks(D(2026, 3, 5), D(2026, 3, 20)) == [D(2026, 3, 5), D(2026, 3, 20)]
    assert len(charts.date_ticks(D(2024, 1, 1), D(2026, 12, 31))) <= 6
    assert charts.euros(Decimal("-1234567.5")) == "-1\u202f234\u202f567,50\u00a0€"
