"""Reception keeps the invoice numbers a mandat pays (PES_Aller LigneDePiece/Facture)."""

from __future__ import annotations

import pytest

from pigp.formats.pes import read_pes_aller
from pigp.formats.pes import records as r
from pigp.helios.models import FacturePiece, Piece
from pigp.helios.reception import ingest
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)


def test_reception_keeps_each_mandat_invoice_numbers(sicoval, tmp_path):
    path = tmp_path / "FACT_1.xml"
    flux = receive_generated(sicoval, path, seed=11, pieces=4, lignes=2, domaine="mixte")
    expected = {
        rec.id_pce: rec.factures
        for rec in read_pes_aller(path)
        if isinstance(rec, r.Piece) and rec.domaine == "depense"
    }
    assert len(expected) == 4 and all(len(f) == 2 for f in expected.values())
    mandats = Piece.objects.filter(bordereau__flux=flux, domaine="depense")
    kept = {p.id_pce: tuple(f.numero for f in p.factures.order_by("id")) for p in mandats}
    assert kept == expected
    assert set(FacturePiece.objects.values_list("collectivite_id", flat=True)) == {sicoval.pk}
    assert not FacturePiece.objects.filter(piece__domaine="recette").exists()

    count = FacturePiece.objects.count()
    assert ingest(flux).skipped
    assert FacturePiece.objects.count() == count == 8
