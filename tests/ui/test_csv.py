"""`ui.csv`: French cells, and rows sent by batches that join into the whole file."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pigp.ui import csv as ui_csv


def test_french_cells() -> None:
    assert ui_csv.french(Decimal("1234.5")) == "1234,50"
    assert ui_csv.french(datetime.date(2026, 1, 31)) == "31/01/2026"
    assert ui_csv.french(datetime.datetime(2026, 1, 31, 10, 0)) == "31/01/2026"
    assert ui_csv.french(None) == "" and ui_csv.french("été") == "été" and ui_csv.french(3) == "3"


@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_a_date_is_written_day_month_year(day: datetime.date) -> None:
    assert ui_csv.french(day) == f"{day:%d/%m/%Y}"


def test_rows_come_in_batches_that_make_the_whole_file(monkeypatch) -> None:
    monkeypatch.setattr(ui_csv, "BATCH_BYTES", 40)
    rows = [(f"n° {n}", Decimal(n) / 4, datetime.date(2026, 1, 1 + n % 28)) for n in range(50)]
    parts = list(ui_csv.csv_lines(["Numéro", "Montant", "Date"], rows))
    assert parts[0] == "\ufeff".encode() and parts[1] == "Numéro;Montant;Date\r\n".encode()
    body = b"".join(parts[2:]).decode().split("\r\n")
    assert body[:2] == ["n° 0;0,00;01/01/2026", "n° 1;0,25;02/01/2026"]
    assert len(body) == 51 and body[-1] == ""  # every row, each ended by CRLF
    assert 2 < len(parts) - 2 < 50  # batched: fewer chunks than rows, more than one
