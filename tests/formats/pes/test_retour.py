"""PES_Retour writer: schema validity, naming, and read-back of states and amounts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pytest
from lxml import etree

from pigp.formats.pes.retour import (
    NS_RETOUR,
    ActeRecouvrement,
    Contentieux,
    LineState,
    Payment,
    PieceState,
    RetourError,
    RetourHeader,
    build_retour_depense,
    build_retour_recette,
    retour_filename,
)
from pigp.formats.pes.schemas import MessageKind, get_schema

WHEN = dt.datetime(2025, 3, 8, 18, 23, 9, tzinfo=dt.UTC)
HEADER = RetourHeader(
    id_post="044090", id_coll="21340172201787", cod_col="710", cod_bud="20", libelle_poste="SGC"
)
D = dt.date


def _depense_states() -> list[PieceState]:
    return [
        PieceState(  # pris en charge, payé en deux fois
            exercice=2025,
            id_bord=12,
            id_pce=101,
            etat="02",
            objet="Fournitures de bureau",
            date_pec=D(2025, 3, 3),
            lines=(
                LineState(
                    1,
                    "01",
                    Decimal("1200.00"),
                    payments=(
                        Payment(D(2025, 3, 5), Decimal("1000.00")),
                        Payment(D(2025, 3, 7), Decimal("200.00")),
                    ),
                ),
                LineState(2, "01", Decimal("35.50"), mt_tva=Decimal("7.10")),
            ),
        ),
        PieceState(  # rejeté : PJ absentes et domiciliation erronée
            exercice=2025,
            id_bord=12,
            id_pce=102,
            etat="04",
            obs_etat="01 09",
            commentaire="RIB du fournisseur à corriger ; facture manquante",
            date_rejet=D(2025, 3, 4),
            lines=(LineState(1, "02", Decimal("480.00"), obs_etat="09"),),
        ),
        PieceState(  # autre bordereau, mis en instance
            exercice=2025,
            id_bord=13,
            id_pce=140,
            etat="01",
            date_instance=D(2025, 3, 6),
            lines=(LineState(1, "16", Decimal("99.99")),),
        ),
    ]


def _read_back(data: bytes, domaine: str) -> list[tuple]:
    doc = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert doc.tag == f"{{{NS_RETOUR}}}PES_Retour"

    def v(el, path):
        found = el.find(path)
        return found.get("V") if found is not None else None

    info_tag = "InfoPiece" if domaine == "depense" else "BlocPiece"
    pay_tag, date_tag, amount_tag = (
        ("PaiementEmargement", "DtePay", "MtPay")
        if domaine == "depense"
        else ("EncaissementEmargement", "DteReco", "MtReco")
    )
    out = []
    for bord in doc.iterfind("*/Bordereau"):
        for piece in bord.iterfind("Piece"):
            info = piece.find(info_tag)
            lines = []
            for ldp in piece.iterfind("LigneDePiece"):
                ilp = ldp.find("BlocLignePiece/InfoLignePiece")
                payments = tuple(
                    (D.fromisoformat(v(p, date_tag)), Decimal(v(p, amount_tag)), v(p, "OrgEma"))
                    for p in ldp.iterfind(pay_tag)
                )
                tva = v(ilp, "MtTVA")
                lines.append(
                    (
                        int(v(ilp, "IdLigne")),
                        v(ilp, "EtatLigPce"),
                        Decimal(v(ilp, "MtHT")),
                        Decimal(tva) if tva else None,
                        v(ilp, "ObsEtat"),
                        payments,
                    )
                )
            out.append(
                (
                    int(v(bord, "BlocBordereau/Exer")),
                    int(v(bord, "BlocBordereau/IdBord")),
                    int(v(info, "IdPce")),
                    v(info, "EtatPce"),
                    v(info, "ObsEtat"),
                    v(info, "Commentaire"),
                    tuple(lines),
                )
            )
    return out


def _expected(states: list[PieceState]) -> list[tuple]:
    return [
        (
            s.exercice,
            s.id_bord,
            s.id_pce,
            s.etat,
            s.obs_etat,
            s.commentaire,
            tuple(
                (
                    ln.id_ligne,
                    ln.etat,
                    ln.mt_ht,
                    ln.mt_tva,
                    ln.obs_etat,
                    tuple((p.date, p.amount, p.org_ema) for p in ln.payments),
                )
                for ln in s.lines
            ),
        )
        for s in states
    ]


@pytest.fixture(scope="module")
def retour_schema():
    return get_schema("v5.17", MessageKind.RETOUR)


def test_depense_valid_and_reads_back(retour_schema):
    states = _depense_states()
    data = build_retour_depense(states, HEADER, when=WHEN)
    assert data.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    doc = etree.fromstring(data)
    retour_schema.assertValid(doc)
    assert _read_back(data, "depense") == _expected(states)
    assert len(doc.findall("PES_DepenseRetour/Bordereau")) == 2
    assert doc.find("Enveloppe/Parametres/TypFic").get("V") == "PES2R_DEP"
    assert (
        doc.find("Enveloppe/Parametres/NomFic").get("V")
        == "PES2R_DEP_P_710_20_044090_20250308_20250308_20250308182309.xml"
    )
    paid = doc.find(".//BlocLignePiece/InfoPaiement")
    assert (paid.find("NbrPay").get("V"), paid.find("MtPayTot").get("V")) == ("2", "1200.00")
    assert "RIB du fournisseur à corriger" in data.decode("iso-8859-1")


def test_recette_valid_and_reads_back(retour_schema):
    states = [
        PieceState(
            exercice=2025,
            id_bord=7,
            id_pce=501,
            etat="02",
            objet="Cantine février",
            date_pec=D(2025, 3, 2),
            lines=(
                LineState(
                    1,
                    "05",
                    Decimal("45.60"),
                    payments=(Payment(D(2025, 3, 6), Decimal("45.60"), org_ema="02"),),
                ),
                LineState(2, "04", Decimal("12.00")),
            ),
        ),
        PieceState(
            exercice=2024,
            id_bord=99,
            id_pce=9,
            etat="04",
            obs_etat="06",
            date_rejet=D(2025, 1, 9),
            lines=(LineState(1, "01", Decimal("3.00")),),
        ),
    ]
    data = build_retour_recette(states, HEADER, when=WHEN, nature="R", seq=2)
    doc = etree.fromstring(data)
    retour_schema.assertValid(doc)
    assert _read_back(data, "recette") == _expected(states)
    assert doc.find("PES_RecetteRetour/EnTeteRecette/TypRestit").get("V") == "01"
    assert doc.find("Enveloppe/Parametres/NomFic").get("V").startswith("PES2R_RCE_R_710_20_")
    assert doc.find("Enveloppe/Parametres/NomFic").get("V").endswith("_20250308182311.xml")


def test_filename_convention():
    assert (
        retour_filename("depense", "044090", "710", "20", WHEN)
        == "PES2R_DEP_P_710_20_044090_20250308_20250308_20250308182309.xml"
    )
    name = retour_filename(
        "recette", "044090", "710", "20", WHEN, nature="S", date_situation=D(2025, 2, 28)
    )
    assert name == "PES2R_RCE_S_710_20_044090_20250228_20250308_20250308182309.xml"
    with pytest.raises(RetourError):
        retour_filename("depense", "044090", "710", "20", WHEN, nature="X")


@pytest.mark.parametrize(
    "bad",
    [
        {"etat": "03"},  # EtatPce 03 n'existe pas en dépense
        {"lines": (LineState(1, "01", Decimal("0.00")),)},
        {"lines": (LineState(1, "01", Decimal("1.001")),)},
        {"lines": (LineState(1, "99", Decimal("1.00")),)},
        {"lines": ()},
    ],
)
def test_invalid_states_are_refused(bad):
    base = {"exercice": 2025, "id_bord": 1, "id_pce": 1, "etat": "02"}
    base.setdefault("lines", (LineState(1, "01", Decimal("1.00")),))
    state = PieceState(**{**base, **bad})
    with pytest.raises(RetourError):
        build_retour_depense([state], HEADER, when=WHEN)


def test_float_amount_is_refused():
    state = PieceState(2025, 1, 1, "02", lines=(LineState(1, "01", 1.5),))  # type: ignore[arg-type]
    with pytest.raises(RetourError, match="Decimal"):
        build_retour_depense([state], HEADER, when=WHEN)
    with pytest.raises(RetourError):
        build_retour_depense([], HEADER, when=WHEN)


def test_read_back_with_reader():
    from pigp.formats.pes import records as r
    from pigp.formats.pes.returns import read_retour

    states = _depense_states()
    data = build_retour_depense(states, HEADER, when=WHEN)
    records = list(read_retour(io.BytesIO(data)))
    header = records[0]
    assert isinstance(header, r.FluxHeader)
    assert (header.id_post, header.cod_col, header.cod_bud) == ("044090", "710", "20")
    pieces = [rec for rec in records if isinstance(rec, r.RetourPiece)]
    # id_bord is not compared: read_retour (pes-core) loses BlocBordereau after the first
    # pièce of a bordereau; the lxml read-back above checks it.
    assert [(p.id_pce, p.etat, p.obs_etat) for p in pieces] == [
        (str(s.id_pce), s.etat, s.obs_etat) for s in states
    ]
    assert pieces[0].id_bord == "12"
    assert [[(lg.etat, lg.mt_ht) for lg in p.lignes] for p in pieces] == [
        [(ln.etat, ln.mt_ht) for ln in s.lines] for s in states
    ]
    assert pieces[0].mt_pay_tot == Decimal("1200.00")
    assert [(p.dte_pay, p.mt_pay) for p in pieces[0].paiements] == [
        ("2025-03-05", Decimal("1000.00")),
        ("2025-03-07", Decimal("200.00")),
    ]


def _titre_en_recouvrement(**line: object) -> PieceState:
    base: dict[str, object] = {
        "payments": (Payment(D(2025, 4, 2), Decimal("20.00"), org_ema="02"),),
        "contentieux": Contentieux(mt_ctx_tot=Decimal("120.00"), sld_princ=Decimal("100.00")),
        "acte": ActeRecouvrement("01", D(2025, 5, 12), id_act="REL-2025-0042", cod_actu="01"),
    }
    base.update(line)
    return PieceState(
        exercice=2025,
        id_bord=3,
        id_pce=77,
        etat="02",
        lines=(LineState(1, "04", Decimal("120.00"), **base),),  # type: ignore[arg-type]
    )


def test_recette_carries_where_recovery_stands(retour_schema):
    soldee = _titre_en_recouvrement(
        contentieux=Contentieux(Decimal("50.00"), Decimal("0.00"), Decimal("0.00")), acte=None
    )
    states = [_titre_en_recouvrement(), dataclasses.replace(soldee, id_pce=78)]
    data = build_retour_recette(states, HEADER, when=WHEN)
    doc = etree.fromstring(data)
    retour_schema.assertValid(doc)
    blp = doc.find(".//Piece/LigneDePiece/BlocLignePiece")
    # XSD order: InfoLignePiece, InfoRecouvrement, …, InfoContentieux, InfoAmiableContentieux
    assert [c.tag for c in blp] == [
        "InfoLignePiece",
        "InfoRecouvrement",
        "InfoContentieux",
        "InfoAmiableContentieux",
    ]
    from pigp.formats.pes import records as r
    from pigp.formats.pes.returns import read_retour

    pieces = [p for p in read_retour(io.BytesIO(data)) if isinstance(p, r.RetourPiece)]
    first, second = (p.lignes[0] for p in pieces)
    assert (first.mt_ctx_tot, first.sld_princ, first.sld_frais) == (
        Decimal("120.00"),
        Decimal("100.00"),
        None,
    )
    assert (first.etape_pce, first.dte_etape_pce) == ("01", "2025-05-12")
    assert (second.sld_princ, second.sld_frais, second.etape_pce) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
    )
    assert pieces[0].mt_reco_tot == Decimal("20.00")


@pytest.mark.parametrize(
    "line",
    [
        {"acte": ActeRecouvrement("20", D(2025, 5, 1))},
        {"acte": ActeRecouvrement("01", D(2025, 5, 1), cod_actu="10")},
        {"contentieux": Contentieux(sld_princ=Decimal("-1.00"))},
        {"contentieux": Contentieux(sld_princ=Decimal("1.001"))},
    ],
)
def test_invalid_recovery_follow_up_is_refused(line):
    with pytest.raises(RetourError):
        build_retour_recette([_titre_en_recouvrement(**line)], HEADER, when=WHEN)


def test_recovery_follow_up_on_a_mandat_is_refused():
    state = PieceState(
        2025,
        1,
        1,
        "02",
        lines=(LineState(1, "01", Decimal("5.00"), contentieux=Contentieux(Decimal("5.00"))),),
    )
    with pytest.raises(RetourError, match="mandat"):
        build_retour_depense([state], HEADER, when=WHEN)
