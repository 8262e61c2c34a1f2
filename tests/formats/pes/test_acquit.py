"""PES_ACQUIT v2 writer: schema validity and content, from hand-built reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from lxml import etree

from pigp.formats.pes.acquit import NS_ACQUIT_V2, build_acquit
from pigp.formats.pes.report import (
    BordereauSummary,
    Finding,
    Location,
    NumAnoAck,
    Report,
    Scope,
    Severity,
    SignatureInfo,
)
from pigp.formats.pes.schemas import MessageKind, get_schema

WHEN = dt.datetime(2025, 3, 15, 8, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def acquit_schema() -> etree.XMLSchema:
    return get_schema("v5.17", MessageKind.ACQUIT_V2)


def _bord(id_bord: str, domaine: str = "depense", pieces: tuple[str, ...] = ("1", "2")):
    return BordereauSummary(
        id_bord=id_bord,
        xml_id=f"BORD{id_bord}",
        domaine=domaine,
        exercice="2025",
        typ_bord="01",
        nbr_pce=len(pieces),
        pieces=pieces,
    )


def _report(findings=(), bordereaux=None, pj_ids=("PJ0001", "PJ0002"), signatures=()) -> Report:
    return Report(
        schema_version="v5.17",
        root="PES_Aller",
        findings=tuple(findings),
        bordereaux=tuple(bordereaux if bordereaux is not None else (_bord("12"),)),
        pj_ids=tuple(pj_ids),
        signatures=tuple(signatures),
        nom_fic="PESALR2_213401722_250314_0001.xml",
        id_post="034000",
        id_coll="21340172201787",
        cod_col="123",
        cod_bud="01",
    )


def _parse(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    assert data.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    doc = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    schema.assertValid(doc)
    assert doc.tag == f"{{{NS_ACQUIT_V2}}}PES_ACQUIT"
    return doc


def _elements(doc: etree._Element) -> list[dict]:
    out = []
    for el in doc.iter("ElementACQUIT"):
        out.append(
            {
                "domaine": el.find("DomaineAck").get("V"),
                "etat": el.find("EtatAck").get("V"),
                "bord": el.findtext("NumBord")
                or (el.find("NumBord").get("V") if el.find("NumBord") is not None else None),
                "pj": el.find("IdUnique").get("V") if el.find("IdUnique") is not None else None,
                "errors": [e.find("NumAnoAck").get("V") for e in el.findall("Erreur")],
                "pieces": {
                    dp.find("NumPiece").get("V"): (
                        [e.find("NumAnoAck").get("V") for e in dp.findall("Erreur")],
                        {
                            dl.find("NumLigne").get("V"): [
                                e.find("LibelleAnoAck").get("V") for e in dl.findall("Erreur")
                            ]
                            for dl in dp.findall("DetailLigne")
                        },
                    )
                    for dp in el.findall("DetailPiece")
                },
            }
        )
    return out


def test_all_ok(acquit_schema):
    doc = _parse(build_acquit(_report(), when=WHEN), acquit_schema)
    els = _elements(doc)
    assert [(e["domaine"], e["etat"], e["bord"], e["pj"]) for e in els] == [
        ("5", "1", "12", None),
        ("4", "1", None, "PJ0001"),
        ("4", "1", None, "PJ0002"),
    ]
    assert doc.find("Enveloppe/Parametres/NomFic").get("V") == "PESALR2_213401722_250314_0001.xml"
    assert doc.find("EnTetePES/DteStr").get("V") == "2025-03-15"
    assert doc.find("EnTetePES/CodCol").get("V") == "123"


def test_bordereau_rejected_with_piece_and_line_details(acquit_schema):
    findings = [
        Finding(
            NumAnoAck.AUTRE,
            Severity.ERROR,
            Scope.BORDEREAU,
            "Ligne 1 du mandat 2 : domiciliation bancaire erronée (clé RIB incorrecte).",
            Location(bordereau="12", domaine="depense", piece="2", ligne="1"),
        ),
        Finding(
            NumAnoAck.CUMUL_MONTANTS,
            Severity.ERROR,
            Scope.BORDEREAU,
            "Bordereau 12 : MtBordHT (10,00) ≠ somme des lignes (12,00).",
            Location(bordereau="12", domaine="depense"),
        ),
        Finding(
            NumAnoAck.DOUBLON_PIECE,
            Severity.ERROR,
            Scope.BORDEREAU,
            "Mandat 1 en double.",
            Location(bordereau="12", piece="1"),
        ),
        Finding(  # warnings are not acknowledged as errors
            NumAnoAck.AUTRE,
            Severity.WARNING,
            Scope.BORDEREAU,
            "Objet vide.",
            Location(bordereau="13"),
        ),
        Finding(
            NumAnoAck.DOUBLON_PJ,
            Severity.ERROR,
            Scope.PJ,
            "L'identifiant unique de la PJ a déjà été intégré dans HELIOS",
            Location(pj="PJ0002"),
        ),
    ]
    report = _report(findings, bordereaux=(_bord("12"), _bord("13"), _bord("12", "recette")))
    doc = _parse(build_acquit(report, when=WHEN), acquit_schema)
    els = _elements(doc)
    dep12, dep13, rec12, pj1, pj2 = els
    assert (dep12["domaine"], dep12["etat"]) == ("5", "0")
    assert dep12["errors"] == ["ERREUR_CUMUL_MONTANTS"]
    assert dep12["pieces"]["2"] == (
        [],
        {"1": ["Ligne 1 du mandat 2 : domiciliation bancaire erronée (clé RIB incorrecte)."]},
    )
    assert dep12["pieces"]["1"] == (["ERREUR_DOUBLON_PIECE"], {})
    assert (dep13["etat"], dep13["errors"]) == ("1", [])
    # A finding without domaine concerns the IdBord in both domains, one with domaine only its own.
    assert (rec12["domaine"], rec12["errors"], list(rec12["pieces"])) == ("6", [], ["1"])
    assert (pj1["etat"], pj2["etat"], pj2["errors"]) == ("1", "0", ["ERREUR_DOUBLON_PJ"])
    # ISO-8859-1 on the wire, accents intact after parsing
    assert "domiciliation bancaire erronée" in etree.tostring(doc, encoding="unicode")


def test_flux_blocked_rejects_everything(acquit_schema):
    findings = [
        Finding(
            NumAnoAck.SCHEMA_INCOMPLET,
            Severity.ERROR,
            Scope.FLUX,
            "Élément MtHT : la valeur « abc » n'est pas un montant. " * 20,
            Location(path="/PES_Aller/PES_DepenseAller/Bordereau[1]", line=42),
        )
    ]
    doc = _parse(build_acquit(_report(findings), flow_name="flux.xml", when=WHEN), acquit_schema)
    els = _elements(doc)
    assert [(e["domaine"], e["etat"]) for e in els] == [
        ("0", "0"),
        ("5", "0"),
        ("4", "0"),
        ("4", "0"),
    ]
    assert els[0]["errors"] == ["ERREUR_SCHEMA_INCOMPLET"]
    libelle = doc.find(".//LibelleAnoAck").get("V")
    assert len(libelle) <= 500
    assert doc.find("Enveloppe/Parametres/NomFic").get("V") == "flux.xml"


def test_unreadable_flow_still_schema_valid(acquit_schema):
    report = Report(
        schema_version="v5.17",
        root=None,
        findings=(
            Finding(NumAnoAck.ENCODING, Severity.ERROR, Scope.FLUX, "Le fichier n'est pas du XML."),
        ),
        id_post="12",  # not a codique: replaced by a neutral value
    )
    doc = _parse(build_acquit(report, when=WHEN), acquit_schema)
    assert [(e["domaine"], e["etat"], e["errors"]) for e in _elements(doc)] == [
        ("0", "0", ["ERREUR_ENCODING"])
    ]
    assert doc.find("EnTetePES/IdPost").get("V") == "999999"


def test_signatures(acquit_schema):
    findings = [
        Finding(
            NumAnoAck.SIGNATURE_BORDEREAU_INVALIDE,
            Severity.ERROR,
            Scope.BORDEREAU,
            "La signature du bordereau 13 ne correspond plus à son contenu.",
            Location(bordereau="13", bordereau_id="BORD13"),
        ),
    ]
    sigs = (
        SignatureInfo(target="BORD12", valid=True, signer="CN=Maire"),
        SignatureInfo(target="BORD13", valid=False),
        SignatureInfo(target="flux", valid=True),
    )
    report = _report(findings, bordereaux=(_bord("12"), _bord("13")), pj_ids=(), signatures=sigs)
    doc = _parse(build_acquit(report, when=WHEN), acquit_schema)
    assert [(e["domaine"], e["etat"], e["bord"], e["errors"]) for e in _elements(doc)] == [
        ("2", "1", None, []),
        ("3", "1", "12", []),
        ("5", "1", "12", []),
        ("3", "0", "13", ["ERREUR_SIGNATURE_BORDEREAU_INVALIDE"]),
        ("5", "0", "13", []),
    ]


def test_read_back_with_reader(acquit_schema):
    from pigp.formats.pes.returns import read_acquit

    findings = [
        Finding(
            NumAnoAck.AUTRE,
            Severity.ERROR,
            Scope.BORDEREAU,
            "Ligne 3 du mandat 2 : compte fonction présent à tort.",
            Location(bordereau="12", piece="2", ligne="3"),
        )
    ]
    data = build_acquit(_report(findings), when=WHEN)
    acquit = read_acquit(io.BytesIO(data))
    assert acquit.version == 2 and acquit.id_ver == "2"
    assert acquit.header.nom_fic == "PESALR2_213401722_250314_0001.xml"
    assert acquit.header.cod_col == "123"
    (bord, pj1, pj2) = acquit.elements
    assert (bord.domaine, bord.etat, bord.num_bord, bord.exercice_bord) == (
        "5",
        False,
        "12",
        "2025",
    )
    (piece,) = bord.pieces
    assert piece.num_piece == "2"
    assert piece.lignes[0].num_ligne == "3"
    assert piece.lignes[0].erreurs[0].num_ano == "ERREUR_AUTRE"
    assert piece.lignes[0].erreurs[0].libelle == findings[0].message
    assert [(e.domaine, e.etat, e.id_unique) for e in (pj1, pj2)] == [
        ("4", True, "PJ0001"),
        ("4", True, "PJ0002"),
    ]


def test_flow_of_budget_00_is_acknowledged_for_budget_00(acquit_schema):
    from pigp.formats.pes import validate
    from pigp.formats.pes.generator import generate_pes_aller

    buf = io.BytesIO()
    generate_pes_aller(buf, seed=1, pieces=2, cod_col="055", cod_bud="00")
    report = validate(buf.getvalue())
    assert report.valid and (report.cod_col, report.cod_bud) == ("055", "00")
    doc = _parse(build_acquit(report, when=WHEN), acquit_schema)
    assert doc.find("EnTetePES/CodCol").get("V") == "055"
    assert doc.find("EnTetePES/CodBud").get("V") == "00"


# Every value the schema accepts in EnTetePES is carried as it is; only the values it
# refuses (or an absent one) fall back to the neutral value.
@pytest.mark.parametrize(
    ("tag", "field", "value", "expected"),
    [
        ("CodBud", "cod_bud", "00", "00"),
        ("CodBud", "cod_bud", "A0", "A0"),
        ("CodBud", "cod_bud", "0", "99"),
        ("CodBud", "cod_bud", "0A", "99"),
        ("CodBud", "cod_bud", None, "99"),
        ("CodCol", "cod_col", "001", "001"),
        ("CodCol", "cod_col", "000", "999"),  # V_BaseAlphanum: not only zeros
        ("CodCol", "cod_col", "12", "999"),
        ("IdPost", "id_post", "000001", "000001"),
        ("IdPost", "id_post", "02A000", "02A000"),
        ("IdPost", "id_post", "000000", "999999"),  # V_BaseAlphanum: not only zeros
        ("IdPost", "id_post", "02C123", "999999"),
        ("IdColl", "id_coll", "00000000000000", "00000000000000"),  # V_Num14_Light
        ("IdColl", "id_coll", "2134017220178X", ""),
    ],
)
def test_header_values_the_schema_accepts_are_kept(acquit_schema, tag, field, value, expected):
    import dataclasses

    doc = _parse(
        build_acquit(dataclasses.replace(_report(), **{field: value}), when=WHEN), acquit_schema
    )
    assert doc.find(f"EnTetePES/{tag}").get("V") == expected
