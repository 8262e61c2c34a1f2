"""Balance des comptes: the ledger in the DGFiP open-data columns, balanced, exported, guarded."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from pigp.extranet.queries import balance as bq
from pigp.extranet.views_balance import OPEN_DATA
from tests.extranet.conftest import ACTOR
from tests.extranet.test_access import ENTITLED, REFUSED


def url(data, suffix: str = "") -> str:
    return f"/extranet/collectivites/{data.collectivite.pk}/balance/{suffix}"


@pytest.fixture
def encaisse(data):
    """400,00 € recovered on the first titre."""
    from pigp.helios.money import recovery

    recovery.record_encaissement(
        data.titres[0], Decimal("400.00"), data.day_a, actor=ACTOR, reference="VIR-1"
    )
    return Decimal("400.00")


def by_nature(pieces) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for piece in pieces:
        for ligne in piece.lignes.all():
            sums[ligne.nature] = sums.get(ligne.nature, Decimal(0)) + ligne.mt_ht + ligne.mt_tva
    return sums


def test_the_ledger_in_the_open_data_columns(data, encaisse):
    from pigp.helios.models import Paiement

    taken = [*data.mandats[:3], data.mandats[4]]  # the rejected and the waiting one do not count
    result = bq.balance(data.mandats[0].exercice)
    accounts = {ligne.compte.numero: ligne for ligne in result.lignes}
    debits, credits = by_nature(taken), by_nature(data.titres)
    assert set(accounts) == set(debits) | set(credits) | {"401", "411", "515"}
    for nature, amount in debits.items():
        assert accounts[nature].mouvements.obnetdeb == amount
    for nature, amount in credits.items():
        assert accounts[nature].mouvements.obnetcre == amount
    paid = sum(p.montant for p in Paiement.objects.filter(piece__in=data.mandats))
    fournisseurs, redevables, tresor = (accounts[c].mouvements for c in ("401", "411", "515"))
    assert fournisseurs.obnetcre == sum(debits.values()) and fournisseurs.onbdeb == paid
    assert fournisseurs.sc == sum(debits.values()) - paid and fournisseurs.sd == 0
    assert redevables.obnetdeb == sum(credits.values()) and redevables.onbcre == encaisse
    assert (tresor.onbdeb, tresor.onbcre) == (encaisse, paid)
    assert all(ligne.mouvements.bedeb == ligne.mouvements.becre == 0 for ligne in result.lignes)
    assert accounts["401"].compte.libelle == "Fournisseurs"
    assert accounts["515"].compte.libelle == "Compte au Trésor"
    assert result.equilibree
    sd, sc = result.soldes
    assert sd == sc and sd == sum(c.soldes[0] for c in result.classes)
    # Subtotals: each chapter's columns add up to its class's.
    for classe in result.classes:
        assert (
            sum((ch.total.obnetdeb for ch in classe.chapitres), Decimal(0)) == classe.total.obnetdeb
        )


def test_the_page_and_its_exports(data, encaisse, logged, reader):
    client = logged(reader)
    with CaptureQueriesContext(connection) as before:
        page = client.get(url(data)).content.decode()
    assert "Équilibrée" in page and "Total général" in page and "Total classe 4" in page
    assert "Balances d'entrée (BE) non reprises" in page and "Fournisseurs" in page
    lignes = bq.balance(data.mandats[0].exercice).lignes

    body = b"".join(client.get(url(data, "export.csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == OPEN_DATA and rows[0][17:] == [
        "compte", "bedeb", "becre", "obnetdeb", "obnetcre", "onbdeb", "onbcre",
        "oobdeb", "oobcre", "sd", "sc",
    ]  # fmt: skip
    assert [r[17] for r in rows[1:]] == [ligne.compte.numero for ligne in lignes]
    row_401 = next(r for r in rows[1:] if r[17] == "401")
    m401 = next(ligne.mouvements for ligne in lignes if ligne.compte.numero == "401")
    assert row_401[0] == str(data.mandats[0].exercice.annee)
    assert row_401[1] == data.collectivite.siret and row_401[9] == data.collectivite.siret[:9]
    assert row_401[21] == f"{m401.obnetcre:.2f}".replace(".", ",") and row_401[
        27
    ] == f"{m401.sc:.2f}".replace(".", ",")

    response = client.get(url(data, "export.xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[0]) == OPEN_DATA and len(table) == len(lignes) + 1
    assert next(r for r in table[1:] if r[17] == "401")[21] == float(m401.obnetcre)

    # More pieces, payments and encaissements: the same number of queries.
    from pigp.helios.money import recovery

    recovery.record_encaissement(data.titres[1], Decimal("1.00"), data.day_a, actor=ACTOR)
    with CaptureQueriesContext(connection) as after:
        client.get(url(data))
    # 22: the ledger's version, and the computed balance looked up then stored.
    assert len(after) == len(before) <= 22


def test_who_sees_the_balance(data, logged, request):
    secret = "Total général"
    for name in ENTITLED:
        client = logged(request.getfixturevalue(name))
        for suffix in ("", "export.csv", "export.xlsx"):
            response = client.get(url(data, suffix))
            response.close()
            assert response.status_code == 200, (name, suffix)
    for name in REFUSED:
        client = logged(request.getfixturevalue(name))
        for suffix in ("", "export.csv", "export.xlsx"):
            response = client.get(url(data, suffix))
            assert response.status_code == 404, (name, suffix)
            assert secret not in response.content.decode()
    assert logged(request.getfixturevalue("entitled")).post(url(data)).status_code == 405


def test_the_balance_is_kept_and_follows_every_change_of_the_ledger(data, encaisse):

    from pigp.extranet.models import BalanceCalculee
    from pigp.helios.money import recovery

    exercice = data.mandats[0].exercice

    def redevables_recovered() -> Decimal:
        lignes = bq.balance(exercice).lignes
        return next(li.mouvements.onbcre for li in lignes if li.compte.numero == "411")

    with CaptureQueriesContext(connection) as computing:
        BalanceCalculee.objects.all().delete()
        assert redevables_recovered() == encaisse
    assert BalanceCalculee.objects.filter(exercice=exercice).exists()
    # The ledger has not changed since: read back, without the ledger's aggregates.
    with CaptureQueriesContext(connection) as reading:
        assert redevables_recovered() == encaisse
    assert len(reading) < len(computing)
    assert not any("helios_ligne" in q["sql"] for q in reading.captured_queries)
    # A new encaissement moves the ledger's version: computed again, with it.
    recovery.record_encaissement(
        data.titres[1], Decimal("25.00"), data.day_a, actor=ACTOR, reference="VIR-2"
    )
    assert redevables_recovered() == encaisse + Decimal("25.00")
