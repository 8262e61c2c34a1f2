"""The invoice number of a mandat in the État des paiements: the « N° de facture » filter, the
search box, the mandat's page and the exports; bounded query counts with the filter."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pigp.extranet import exports, views
from pigp.extranet.queries.mandats import Search, classify
from pigp.helios.models import FacturePiece
from tests.extranet.conftest import urls
from tests.extranet.test_paiements import _count, listed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FA000123", Search("facture", "FA000123")),
        ("  2024-0042 ", Search("facture", "2024-0042")),
        ("F/2025/117", Search("facture", "F/2025/117")),
        ("123", Search("numero", "123")),  # digits alone stay a mandat number
        ("12,50", Search("montant", Decimal("12.50"))),
        ("2024.12", Search("montant", Decimal("2024.12"))),
        ("B2B", Search("nom", "B2B")),  # fewer than three digits: a name
        ("ATELIER 2024", Search("nom", "ATELIER 2024")),  # two words: a name
        ("FR7630001007941234567890185", Search("iban", "FR7630001007941234567890185")),
        ("FACTURE-TROP-LONGUE-2024", Search("nom", "FACTURE-TROP-LONGUE-2024")),  # > 20
    ],
)
def test_search_box_recognises_an_invoice_number_only_where_it_is_not_something_else(
    text, expected
):
    assert classify(text) == expected


@pytest.fixture
def client_(data, logged, reader):
    return logged(reader)


def _numero(piece) -> str:
    return piece.factures.get().numero


def test_filter_and_search_find_the_mandat_paying_the_invoice(data, client_):
    m = data.mandats
    numero = _numero(m[2])
    assert numero.startswith("FA")
    # The other collectivité's mandat paying an invoice of the same number stays out of sight.
    FacturePiece.objects.create(
        piece=data.other_mandat, collectivite=data.other_mandat.collectivite, numero=numero
    )
    assert listed(client_, data, facture=numero) == [m[2].pk]
    assert listed(client_, data, facture=f" {numero.lower()} ") == [m[2].pk]
    assert listed(client_, data, facture="FA999999X") == []
    assert listed(client_, data, facture=numero, etat="rejetee") == []
    assert listed(client_, data, q=numero) == [m[2].pk]
    page = client_.get(urls(data)["paiements"], {"q": numero}).content.decode()
    assert f"Recherche par numéro de facture : « {numero} »" in page
    # The filter sits in « Plus de filtres », opened when set.
    assert 'name="facture"' in page


@pytest.mark.parametrize("user", ["entitled", "reader", "comptable"])
def test_mandat_page_shows_its_invoice_number(data, logged, request, user):
    client = logged(request.getfixturevalue(user))
    mandat = data.mandats[0]
    numero = _numero(mandat)
    page = client.get(urls(data)["mandat"]).content.decode()
    assert "Facture payée" in page
    link = f"/extranet/collectivites/{data.collectivite.pk}/paiements/?facture={numero}"
    assert f'<a href="{link}"' in page


@pytest.mark.parametrize("user", ["outsider_extranet", "juge"])
def test_mandat_page_hides_the_invoice_outside_the_perimeter(data, logged, request, user):
    client = logged(request.getfixturevalue(user))
    response = client.get(urls(data)["mandat"])
    assert response.status_code == 404
    assert _numero(data.mandats[0]) not in response.content.decode()


def test_exports_carry_the_invoice_numbers(data, client_):
    m = data.mandats
    # A mandat paying two invoices lists both, in the order they came.
    FacturePiece.objects.create(piece=m[1], collectivite=data.collectivite, numero="ZZ-0001")
    expected = {
        p.id_pce: ", ".join(p.factures.order_by("id").values_list("numero", flat=True)) for p in m
    }
    assert expected[m[1].id_pce].endswith(", ZZ-0001")
    body = b"".join(client_.get(urls(data)["csv"]).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-1] == "N° de facture" == exports.HEADERS[-1]
    assert {r[0]: r[-1] for r in rows[1:]} == expected
    response = client_.get(urls(data)["xlsx"], {"facture": "zz-0001"})
    content = b"".join(response.streaming_content)
    response.close()
    sheet = load_workbook(io.BytesIO(content))["Mandats"]
    [header, row] = list(sheet.iter_rows(values_only=True))
    assert header[-1] == "N° de facture"
    assert (row[0], row[-1]) == (m[1].id_pce, expected[m[1].id_pce])


def test_query_counts_with_the_invoice_filter_do_not_grow(data, client_, monkeypatch):
    numero = _numero(data.mandats[0])
    counts = []
    for size in (1, 50):
        monkeypatch.setattr(views, "PAGE_SIZE", size)
        counts.append(_count(client_, urls(data)["paiements"], {"facture": numero, "q": numero}))
    # The page read by its ids, then its rows; one for the ledger's versions.
    assert counts[0] == counts[1] <= 15
