"""Streaming readers: records, Decimal amounts, PJ content, other PES messages."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from pigp.formats.pes import (
    PesFormatError,
    PesUnsafeXmlError,
    read_acquit,
    read_acquit_retour,
    read_pes_aller,
    read_retour,
)
from pigp.formats.pes import records as r

from .conftest import DATA


def test_records_of_the_hand_made_flow(valid_flow: bytes) -> None:
    recs = list(read_pes_aller(valid_flow))
    kinds = [type(x).__name__ for x in recs]
    assert kinds == [
        "FluxHeader",
        "DomaineHeader",
        "Bordereau",
        "Piece",
        "Piece",
        "BordereauEnd",
        "DomaineHeader",
        "Bordereau",
        "Piece",
        "BordereauEnd",
        "Pj",
    ]
    header = recs[0]
    assert isinstance(header, r.FluxHeader)
    assert header.libelle_col_bud == "COMMUNE DE TESTÉVILLE"  # ISO-8859-1 decoded
    bord = recs[2]
    assert isinstance(bord, r.Bordereau)
    assert bord.mt_bord_ht == Decimal("1250.50") and isinstance(bord.mt_bord_ht, Decimal)
    assert bord.mt_cumul_annuel == Decimal("10000.00")
    piece = recs[3]
    assert isinstance(piece, r.Piece)
    assert (piece.id_pce, piece.typ_pce, piece.nat_pce) == ("501", "01", "01")
    assert [lg.mt_ht for lg in piece.lignes] == [Decimal("1000.00"), Decimal("200.25")]
    assert piece.mt_ht == Decimal("1200.25")
    assert piece.pj_refs[0].id_unique == "PJTEST0001"
    tiers = piece.lignes[0].tiers[0]
    assert tiers.compte.iban == "FR7630003017020002010412521"
    assert tiers.adresse.adr2 == "1 RUE DES ÉCOLES"
    assert piece.line is not None and piece.path.endswith("Bordereau[1]/Piece[1]")
    titre = recs[8]
    assert titre.domaine == "recette" and titre.lignes[0].cod_prod_loc == "300"
    assert titre.lignes[0].tiers[0].prenom == "HÉLÈNE"
    end = recs[5]
    assert isinstance(end, r.BordereauEnd) and end.piece_count == 2 and not end.signed
    pj = recs[-1]
    assert isinstance(pj, r.Pj)
    assert (pj.id_unique, pj.nom_pj, pj.type_pj, pj.mime_type) == (
        "PJTEST0001",
        "facture_501.pdf",
        "003",
        "application/pdf",
    )
    expected = (DATA / "pj_facture_501.pdf").read_bytes()
    assert pj.content.size == len(expected) and pj.content.gzip
    assert pj.content.head == expected[:16]


def test_pj_content_is_written_to_a_sink(valid_flow: bytes) -> None:
    sinks: dict[int, io.BytesIO] = {}

    def sink(n: int) -> io.BytesIO:
        sinks[n] = io.BytesIO()
        return sinks[n]

    list(read_pes_aller(valid_flow, pj_sink=sink))
    assert sinks[1].getvalue() == (DATA / "pj_facture_501.pdf").read_bytes()


def test_reader_on_the_real_sample(samples: Path) -> None:
    recs = list(read_pes_aller(samples / "aller/sicoval_mandat_sur_marche.xml"))
    piece = next(x for x in recs if isinstance(x, r.Piece))
    assert piece.lignes[0].mt_ht == Decimal("55.22")
    assert piece.lignes[0].tiers[0].compte.bic == "SOGEFRPPXXX"
    bord = next(x for x in recs if isinstance(x, r.Bordereau))
    assert bord.mt_cumul_annuel == Decimal("45064101.79")


def test_signed_bordereau_is_flagged(samples: Path) -> None:
    recs = list(read_pes_aller(samples / "aller/signed_xades122_rsa_sha256.xml"))
    end = next(x for x in recs if isinstance(x, r.BordereauEnd))
    assert end.signed and end.xml_id == "BORD822933"


def test_reader_refuses_other_roots_and_doctype(samples: Path) -> None:
    with pytest.raises(PesFormatError, match="PES_ACQUIT"):
        list(read_pes_aller(samples / "acquit/acquit_ok.xml"))
    with pytest.raises((PesFormatError, PesUnsafeXmlError)):
        list(read_pes_aller(b'<?xml version="1.0"?><!DOCTYPE x><x/>'))


def test_reader_reports_malformed_xml(valid_flow: bytes) -> None:
    with pytest.raises(PesFormatError, match="mal formé"):
        list(read_pes_aller(valid_flow[:-30]))


def test_read_acquit_v2(samples: Path) -> None:
    ack = read_acquit(samples / "acquit/acquit_ko.xml")
    assert ack.version == 2 and ack.header.cod_col == "151"
    first = ack.elements[0]
    assert (first.domaine, first.etat, first.num_bord) == ("5", False, "140")
    err = first.pieces[0].lignes[0].erreurs[0]
    assert err.num_ano == "ERREUR_AUTRE" and err.libelle.startswith("1963 - Domiciliation")
    assert ack.elements[1].id_unique == "33230962700016DEP20191548337192073600"


def test_read_acquit_v1() -> None:
    data = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_ACQUIT xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour">
<Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="F1"/></Parametres>
<Emetteur><Sigle V="HELIOS"/><Adresse V="DGFIP"/></Emetteur></Enveloppe>
<EnTetePES><DteStr V="2025-01-02"/><IdPost V="034000"/><IdColl V="21340172201787"/>
<CodCol V="123"/><CodBud V="01"/></EnTetePES>
<ACQUIT><EnTeteAcquit><IdVer V="1"/></EnTeteAcquit>
<ElementACQUIT><DomaineAck V="5"/><EtatAck V="0"/><ExerciceBord V="2025"/><NumBord V="7"/>
<NumPiece V="12"/><NumAnoAck V="ERREUR_AUTRE"/><LibelleAnoAck V="motif"/></ElementACQUIT>
</ACQUIT></n:PES_ACQUIT>"""
    ack = read_acquit(data)
    assert ack.version == 1
    (el,) = ack.elements
    assert (el.num_bord, el.num_piece, el.etat) == ("7", "12", False)
    assert el.erreurs[0].num_ano == "ERREUR_AUTRE"


def test_read_retour(samples: Path) -> None:
    recs = list(read_retour(samples / "retour/simu_retour_depense.xml"))
    header, domaine, piece = recs
    assert header.cod_col == "221"  # CodColl in PES_Retour
    assert domaine.domaine == "depense" and domaine.nat_inf == "2"
    assert isinstance(piece, r.RetourPiece)
    assert (piece.id_bord, piece.id_pce, piece.etat) == ("1234567", "832", "01")
    assert piece.objet == "Test accent éÉÈÈêà"
    assert piece.lignes[0].mt_ht == Decimal("39724.75")


def test_read_acquit_retour(samples: Path) -> None:
    ack = read_acquit_retour(samples / "retour/acquit_retour_nonconforme.xml")
    (el,) = ack.elements
    assert el.domaine == "13" and el.typ_restit == "02"
    assert el.nom_fichier_retour.startswith("PES2R_DEP_P_710")


def test_read_retour_keeps_the_bordereau_of_every_piece() -> None:
    import datetime as dt

    from pigp.formats.pes.retour import (
        LineState,
        Payment,
        PieceState,
        RetourHeader,
        build_retour_recette,
    )

    header = RetourHeader("034000", "21340172201787", "123", "01")
    states = [
        PieceState(2025, 7, n, "02", lines=(LineState(1, "05", Decimal("10.00")),))
        for n in (1, 2, 3)
    ] + [
        PieceState(
            2025,
            8,
            9,
            "02",
            lines=(
                LineState(
                    1,
                    "05",
                    Decimal("5.50"),
                    payments=(Payment(dt.date(2025, 3, 2), Decimal("5.50"), "02"),),
                ),
            ),
        )
    ]
    data = build_retour_recette(states, header, when=dt.datetime(2025, 3, 14, tzinfo=dt.UTC))
    recs = list(read_retour(data))
    assert recs[1].domaine == "recette"
    pieces = [x for x in recs if isinstance(x, r.RetourPiece)]
    assert [(p.exercice, p.id_bord, p.id_pce) for p in pieces] == [
        ("2025", "7", "1"),
        ("2025", "7", "2"),
        ("2025", "7", "3"),
        ("2025", "8", "9"),
    ]
    assert all(p.domaine == "recette" for p in pieces)
    assert pieces[0].lignes[0].mt_ht == Decimal("10.00")
