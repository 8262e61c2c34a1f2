"""The invoice numbers a mandat pays (LigneDePiece/InfoLignePce/Facture) on the reader's records."""

from __future__ import annotations

import io

from lxml import etree

from pigp.formats.pes import records as r
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.reader import read_pes_aller

from .conftest import VALID_FLOW


def _pieces(content: bytes) -> list[r.Piece]:
    return [rec for rec in read_pes_aller(io.BytesIO(content)) if isinstance(rec, r.Piece)]


def test_each_line_carries_the_invoice_number_of_the_flow() -> None:
    out = io.BytesIO()
    generate_pes_aller(out, domaine="mixte", pieces=3, lignes=2, seed=7)
    content = out.getvalue()
    in_file = [
        el.get("V")
        for el in etree.fromstring(content).iter("Facture")
        if el.getparent() is not None and el.getparent().tag == "InfoLignePce"
    ]
    mandats = [p for p in _pieces(content) if p.domaine == "depense"]
    read = [lg.facture for p in mandats for lg in p.lignes]
    assert len(read) == 6
    assert read == in_file
    assert all(f and f.startswith("FA") for f in read)
    assert mandats[0].factures == tuple(dict.fromkeys(lg.facture for lg in mandats[0].lignes))
    titres = [p for p in _pieces(content) if p.domaine == "recette"]
    assert titres
    assert all(p.factures == () for p in titres)


def test_piece_lists_an_invoice_once_in_the_order_of_its_lines() -> None:
    def ligne(facture: str | None) -> r.Ligne:
        return r.Ligne(
            id_ligne="1",
            nature="6064",
            fonction=None,
            operation=None,
            cod_prod_loc=None,
            libelle=None,
            mod_regl=None,
            mt_ht=None,
            mt_tva=None,
            pj_refs=(),
            tiers=(),
            facture=facture,
        )

    piece = r.Piece(
        domaine="depense",
        id_bord="1",
        exercice="2025",
        id_pce="1",
        typ_pce="01",
        nat_pce="01",
        objet=None,
        dte_ech=None,
        pj_refs=(),
        lignes=(ligne("F-2"), ligne(None), ligne("F-1"), ligne("F-2")),
        index=1,
    )
    assert piece.factures == ("F-2", "F-1")


def test_a_flow_without_invoice_numbers_reads_none() -> None:
    content = VALID_FLOW.read_bytes()
    assert b"<Facture " not in content
    pieces = _pieces(content)
    assert pieces
    assert all(lg.facture is None for p in pieces for lg in p.lignes)
