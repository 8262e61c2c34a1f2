"""État des restes à recouvrer (per exercice of origin and per debtor, with ageing buckets) and
the exports of the recouvrement list and of the restes: exactly what the lists show."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from pigp.extranet import views
from pigp.extranet.queries import recouvrement as rq
from pigp.extranet.queries import restes as restes_q
from tests.extranet.conftest import ACTOR
from tests.extranet.test_recouvrement import numbers

REFUSED = ["outsider_extranet", "other_comptable", "juge", "passerelle_only", "outsider"]


def restes_url(data, fmt: str = "") -> str:
    base = f"/extranet/collectivites/{data.collectivite.pk}/restes-a-recouvrer/"
    return f"{base}export.{fmt}" if fmt else base


def recouvrement_url(data, fmt: str) -> str:
    return f"/extranet/collectivites/{data.collectivite.pk}/recouvrement/export.{fmt}"


@pytest.fixture
def known(data):
    """Last year's titres, beside the data set's two of this year: Martin owes 300,00 taken in
    charge 400 days ago and 50,00 40 days ago; Bernard 1 000,00 10 days ago, of which 250,00
    were recovered; a titre of 20,00 without debtor, 200 days ago; a soldée titre is not due."""
    from pigp.helios.models import Piece
    from pigp.helios.money import recovery
    from tests.helios.test_payments_support import Ledger

    today = timezone.localdate()
    ago = lambda days: today - datetime.timedelta(days=days)  # noqa: E731
    ledger = Ledger(data.collectivite, annee=today.year - 1)
    martin = ledger.tiers("Martin", prenom="Anne")
    ledger.titre("300.00", tiers=martin, date_prise_en_charge=ago(400))
    ledger.titre("50.00", tiers=martin, date_prise_en_charge=ago(40))
    bernard = ledger.titre("1000.00", nom="Bernard", prenom="Luc", date_prise_en_charge=ago(10))
    recovery.record_encaissement(bernard, Decimal("250.00"), today, actor=ACTOR)
    ledger.piece("recette", "20.00", date_prise_en_charge=ago(200))
    solde = ledger.titre("70.00", nom="Soldé", date_prise_en_charge=ago(30))
    recovery.record_encaissement(solde, Decimal("70.00"), today, actor=ACTOR)
    return today.year - 1, [Piece.objects.get(pk=t.pk) for t in data.titres]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response, sheet: str) -> list[tuple]:
    content = b"".join(response.streaming_content)
    response.close()
    return list(load_workbook(io.BytesIO(content))[sheet].iter_rows(values_only=True))


def exported(client, url, data, params, sheet: str) -> tuple[list[list[str]], list[tuple]]:
    """The rows of the list's CSV and XLSX exports."""
    csv_ = csv_rows(client.get(url(data, "csv"), params))
    return csv_, xlsx_rows(client.get(url(data, "xlsx"), params), sheet)


def listed(client, data, **params) -> list[tuple[str, str]]:
    """The per-debtor list of the page: (debtor, number of titres), in order."""
    page = client.get(restes_url(data), params).content.decode()
    body = page[page.index("Restes à recouvrer par débiteur") :]
    return re.findall(
        r"<tr>\s*<td>(?:<a href=\"[^\"]+\">)?([^<]+)(?:</a>)?</td>\s*<td>(\d+)</td>", body
    )


def test_per_exercice_and_debtor_equal_the_sums(data, known, logged, reader):
    last_year, current = known
    client = logged(reader)
    page = client.get(restes_url(data)).content.decode()
    fr = lambda a: f"{Decimal(a):,.2f}".replace(",", "\u00a0").replace(".", ",")  # noqa: E731
    this_year = sum(t.reste_a_recouvrer for t in current)
    assert f"<td>{last_year + 1}</td><td>2</td><td>{fr(this_year)} €</td>" in page
    assert f"<td>{last_year}</td><td>4</td><td>{fr('1120.00')} €</td>" in page
    assert f'<th scope="row">Total</th><td>6</td><td>{fr(this_year + 1120)} €</td>' in page

    rows = {r[0]: r for r in csv_rows(client.get(restes_url(data, "csv")))[1:]}
    today = timezone.localdate()
    ago = lambda days: f"{today - datetime.timedelta(days=days):%d/%m/%Y}"  # noqa: E731
    # Débiteur, identifiant, titres, reste, plus ancienne, 0–30, 31–90, 91–365, > 365.
    assert rows["Martin Anne"][2:] == ["2", "350,00", ago(400), "", "50,00", "", "300,00"]
    assert rows["Bernard Luc"][2:] == ["1", "750,00", ago(10), "750,00", "", "", ""]
    assert rows["Débiteur non renseigné"][2:] == ["1", "20,00", ago(200), "", "", "20,00", ""]
    for titre in current:
        reste = f"{titre.reste_a_recouvrer:.2f}".replace(".", ",")
        assert rows[f"{titre.tiers.nom} {titre.tiers.prenom}".strip()][2:5] == ["1", reste, ago(0)]
    assert "Soldé" not in rows and len(rows) == 5


def test_sorted_by_amount_descending_filtered_and_sortable(data, known, logged, reader):
    last_year, _current = known
    client = logged(reader)
    assert listed(client, data, exercice=last_year) == [
        ("Bernard Luc", "1"),
        ("Martin Anne", "2"),
        ("Débiteur non renseigné", "1"),
    ]
    amounts = [
        Decimal(r[3].replace(",", ".")) for r in csv_rows(client.get(restes_url(data, "csv")))[1:]
    ]
    assert amounts == sorted(amounts, reverse=True)
    # By name, descending: the titre without debtor stays last.
    assert listed(client, data, exercice=last_year, tri="-tiers") == [
        ("Martin Anne", "2"),
        ("Bernard Luc", "1"),
        ("Débiteur non renseigné", "1"),
    ]
    most = listed(client, data, exercice=last_year, tri="-nombre")
    assert most[0] == ("Martin Anne", "2")


@pytest.mark.parametrize("params", [{}, {"tri": "nombre"}, {"exercice": "x", "tri": "-tiers"}])
def test_restes_exports_equal_the_list(data, known, logged, reader, params):
    client = logged(reader)
    shown = listed(client, data, **params)
    rows, sheet = exported(client, restes_url, data, params, "Restes")
    assert rows[0] == restes_q.HEADERS
    assert [(r[0], r[2]) for r in rows[1:]] == shown
    assert list(sheet[0]) == restes_q.HEADERS
    assert [(r[0], str(r[2])) for r in sheet[1:]] == shown
    for line, cells in zip(rows[1:], sheet[1:], strict=True):
        assert f"{Decimal(str(cells[3])):.2f}".replace(".", ",") == line[3]
        assert f"{cells[4]:%d/%m/%Y}" == line[4]


@pytest.mark.parametrize("params", [{}, {"tri": "-reste"}, {"stade": "aucun", "tri": "tiers"}])
def test_recouvrement_exports_equal_the_list(data, known, logged, reader, params):
    client = logged(reader)
    shown = numbers(client, data, **params)
    rows, sheet = exported(client, recouvrement_url, data, params, "Titres")
    assert rows[0] == rq.EXPORT_HEADERS and list(sheet[0]) == rq.EXPORT_HEADERS
    assert [r[0] for r in rows[1:]] == shown
    assert [r[0] for r in sheet[1:]] == shown
    bernard = next(r for r in rows[1:] if r[2] == "Bernard Luc")
    assert bernard[3:5] == ["1000,00", "750,00"] and bernard[7] == "10"


def test_access(data, logged, request):
    pages = [restes_url(data), restes_url(data, "csv"), restes_url(data, "xlsx")]
    pages += [recouvrement_url(data, "csv"), recouvrement_url(data, "xlsx")]
    for name in ["entitled", "reader", "comptable"]:
        client = logged(request.getfixturevalue(name))
        for page in pages:
            response = client.get(page)
            response.close()
            assert response.status_code == 200, (name, page)
            assert client.post(page).status_code == 405
    for name in REFUSED:
        client = logged(request.getfixturevalue(name))
        for page in pages:
            assert client.get(page).status_code == 404, (name, page)


def test_query_count_is_bounded(data, known, logged, comptable, monkeypatch):
    client = logged(comptable)
    counts = []
    for size in (1, 50):
        monkeypatch.setattr(views, "PAGE_SIZE", size)
        cache.clear()  # the cold page: what it computes, not what it kept (extranet.snapshots)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(restes_url(data)).status_code == 200
        counts.append(len(queries))
    # 18: the menu counts the exports ready; the debtors' names are read for the page only; one
    # reads the ledger's versions.
    assert counts[0] == counts[1] <= 18, counts
