"""Exports: exactly the rows of the list, filters and sort applied; CSV for a French
spreadsheet (BOM, « ; », 1234,56, 31/01/2026), XLSX with typed cells; both streamed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pigp.extranet import exports
from tests.extranet.conftest import urls
from tests.extranet.test_paiements import listed

FILTERS = [{}, {"etat": "payee", "tri": "-montant"}, {"q": "espaces", "tri": "tiers"}]


@pytest.fixture
def client_(data, logged, reader):
    return logged(reader)


def _numbers(data, pks):
    by_pk = {p.pk: p for p in data.mandats}
    return [by_pk[pk].id_pce for pk in pks]


@pytest.mark.parametrize("params", FILTERS)
def test_csv_equals_the_list(data, client_, params):
    response = client_.get(urls(data)["csv"], params)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == exports.HEADERS
    assert [r[0] for r in rows[1:]] == _numbers(data, listed(client_, data, **params))


def test_csv_writes_french_amounts_and_dates(data, client_):
    paid = data.mandats[0]
    body = b"".join(client_.get(urls(data)["csv"], {"numero": paid.id_pce}).streaming_content)
    [_, row] = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert row[5] == f"{paid.mt_ttc:.2f}".replace(".", ",")
    assert row[6] == "Payée"
    assert row[7] == paid.date_emission.strftime("%d/%m/%Y")
    assert row[9] == data.day_a.strftime("%d/%m/%Y")
    assert row[3] == paid.tiers.nom


@pytest.mark.parametrize("params", FILTERS)
def test_xlsx_equals_the_list(data, client_, params):
    response = client_.get(urls(data)["xlsx"], params)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment")
    content = b"".join(response.streaming_content)
    response.close()
    sheet = load_workbook(io.BytesIO(content))["Mandats"]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.cell(row=2, column=8).number_format == "DD/MM/YYYY"
    assert list(rows[0]) == exports.HEADERS
    assert [r[0] for r in rows[1:]] == _numbers(data, listed(client_, data, **params))
    by_number = {p.id_pce: p for p in data.mandats}
    for row in rows[1:]:
        piece = by_number[row[0]]
        assert Decimal(str(row[5])).quantize(Decimal("0.01")) == piece.mt_ttc
        assert row[7].date() == piece.date_emission
        assert (row[9].date() if row[9] else None) == piece.date_paiement


def test_rows_are_read_as_the_csv_is_sent(data, monkeypatch):
    """100 000 rows do not load at once: nothing is read before the first row is sent, then
    the iterator reads `CHUNK` rows at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pigp.extranet.queries.mandats import mandats_of

    monkeypatch.setattr(exports, "CHUNK", 2)
    qs = mandats_of(data.collectivite).order_by("pk")
    lines = exports.csv_lines(qs)
    with CaptureQueriesContext(connection) as queries:
        next(lines), next(lines)  # BOM and headers
    assert len(queries) == 0
    rows = b"".join(lines).decode().splitlines()
    assert rows[0].startswith(data.mandats[0].id_pce + ";")
    assert len(rows) == len(data.mandats)
