"""Property-based tests: the validator only ever answers with findings, and what the
writers write reads back to the same content."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from pigp.formats.pes.acquit import build_acquit
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.report import (
    BordereauSummary,
    Finding,
    Location,
    NumAnoAck,
    Report,
    Scope,
    Severity,
)
from pigp.formats.pes.retour import (
    ETAPE_PCE,
    ETAT_LIG_PCE,
    ETAT_PCE,
    ActeRecouvrement,
    Contentieux,
    LineState,
    Payment,
    PieceState,
    RetourHeader,
    build_retour_depense,
    build_retour_recette,
)
from pigp.formats.pes.returns import read_acquit
from pigp.formats.pes.schemas import MessageKind, get_schema
from pigp.formats.pes.validator import validate

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def _flow(sign: bool) -> bytes:
    buf = io.BytesIO()
    generate_pes_aller(buf, seed=1, domaine="mixte", pieces=2, lignes=2, pj=1, sign=sign)
    return buf.getvalue()


FLOWS = {False: _flow(False), True: _flow(True)}
ELEMENT_COUNT = {k: sum(1 for _ in etree.fromstring(v, PARSER).iter()) for k, v in FLOWS.items()}
WEIRD_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


def _mutate_tree(data: bytes, index: int, kind: str, text: str) -> bytes:
    root = etree.fromstring(data, PARSER)
    text = "".join(c for c in text if c.isprintable())  # what XML can carry at all
    elements = list(root.iter())
    el = elements[index % len(elements)]
    parent = el.getparent()
    if kind == "value":
        if "V" in el.attrib:
            el.set("V", text)
        elif el.text:
            el.text = text
    elif kind == "remove" and parent is not None:
        parent.remove(el)
    elif kind == "duplicate" and parent is not None:
        from copy import deepcopy

        el.addnext(deepcopy(el))
    elif kind == "amount":
        for mt in root.iter("MtHT", "MtBordHT", "MtBordHt", "MtPrel"):
            mt.set("V", text[:20] or "-1")
            break
    return etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")


def _check_report(report: Report) -> None:
    assert isinstance(report, Report)
    assert all(isinstance(f, Finding) for f in report.findings)
    assert all(f.message for f in report.findings)
    # Whatever the report, its acknowledgement is a valid PES_ACQUIT.
    ack = etree.fromstring(build_acquit(report), PARSER)
    get_schema("v5.17", MessageKind.ACQUIT_V2).assertValid(ack)


@SETTINGS
@given(
    signed=st.booleans(),
    index=st.integers(min_value=0, max_value=10_000),
    kind=st.sampled_from(["value", "remove", "duplicate", "amount"]),
    text=WEIRD_TEXT,
)
def test_mutated_tree_gives_findings_not_exceptions(signed, index, kind, text):
    data = _mutate_tree(FLOWS[signed], index, kind, text)
    _check_report(validate(io.BytesIO(data)))


@SETTINGS
@given(
    signed=st.booleans(),
    cut=st.floats(min_value=0, max_value=1),
    mode=st.sampled_from(["truncate", "utf8", "utf16", "garbage", "declare-utf8"]),
    junk=st.binary(max_size=40),
)
def test_mutated_bytes_give_findings_not_exceptions(signed, cut, mode, junk):
    data = FLOWS[signed]
    pos = int(len(data) * cut)
    if mode == "truncate":
        data = data[:pos]
    elif mode == "utf8":  # content re-encoded, declaration still says ISO-8859-1
        data = data.decode("iso-8859-1").replace("DEMONSTRATION", "DÉMONSTRATION").encode()
    elif mode == "utf16":
        data = data.decode("iso-8859-1").encode("utf-16")
    elif mode == "garbage":
        data = data[:pos] + junk + data[pos:]
    else:
        data = data.replace(b"ISO-8859-1", b"UTF-8", 1)
    _check_report(validate(io.BytesIO(data)))


# --- writers ------------------------------------------------------------------------------

IDS = st.integers(min_value=1, max_value=9_999_999).map(str)
MESSAGES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=80
)


@st.composite
def reports(draw) -> Report:
    bords = draw(st.lists(IDS, min_size=0, max_size=4, unique=True))
    summaries = tuple(
        BordereauSummary(
            b, f"BORD{b}", draw(st.sampled_from(["depense", "recette"])), "2025", "01", 1, ("1",)
        )
        for b in bords
    )
    findings = []
    for _ in range(draw(st.integers(0, 6))):
        scope = draw(st.sampled_from(list(Scope)))
        findings.append(
            Finding(
                draw(st.sampled_from(list(NumAnoAck))),
                draw(st.sampled_from(list(Severity))),
                scope,
                draw(MESSAGES),
                Location(
                    bordereau=draw(st.sampled_from([*bords, None])),
                    piece=draw(st.one_of(st.none(), IDS)),
                    ligne=draw(st.one_of(st.none(), IDS)),
                    pj=draw(st.sampled_from(["PJ1", "PJ2", None])),
                ),
            )
        )
    return Report(
        schema_version="v5.17",
        root="PES_Aller",
        findings=tuple(findings),
        bordereaux=summaries,
        pj_ids=tuple(draw(st.lists(st.sampled_from(["PJ1", "PJ2", "PJ3"]), unique=True))),
        nom_fic=draw(st.one_of(st.none(), MESSAGES)),
        id_post="034000",
        id_coll="21340172201787",
        cod_col="123",
        cod_bud="01",
    )


@SETTINGS
@given(report=reports())
def test_acquit_reads_back(report):
    data = build_acquit(report, when=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    get_schema("v5.17", MessageKind.ACQUIT_V2).assertValid(etree.fromstring(data, PARSER))
    acquit = read_acquit(io.BytesIO(data))
    blocked = report.blocked_bordereaux()
    got = [(e.num_bord, e.etat) for e in acquit.elements if e.domaine in ("5", "6")]
    assert got == [(b.id_bord, b.id_bord not in blocked) for b in report.bordereaux]
    pjs = [e.id_unique for e in acquit.elements if e.domaine == "4"]
    assert pjs == list(report.pj_ids)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    written = sum(
        len(e.erreurs)
        + sum(len(p.erreurs) + sum(len(lg.erreurs) for lg in p.lignes) for p in e.pieces)
        for e in acquit.elements
    )
    assert written <= len(errors)  # only errors are acknowledged, each at most once


AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2)


@st.composite
def piece_states(draw, domaine: str) -> list[PieceState]:
    out = []
    for id_pce in draw(st.lists(st.integers(1, 10**8), min_size=1, max_size=5, unique=True)):
        lines = tuple(
            LineState(
                i + 1,
                draw(st.sampled_from(sorted(ETAT_LIG_PCE[domaine]))),
                draw(AMOUNTS),
                obs_etat=draw(st.one_of(st.none(), st.sampled_from(["01", "04 09", "23"]))),
                payments=tuple(
                    Payment(dt.date(2025, 1, 1) + dt.timedelta(days=d), draw(AMOUNTS))
                    for d in draw(st.lists(st.integers(0, 300), max_size=3))
                ),
                contentieux=draw(st.none() | st.builds(Contentieux, AMOUNTS, AMOUNTS, st.none()))
                if domaine == "recette"
                else None,
                acte=draw(
                    st.none()
                    | st.builds(
                        ActeRecouvrement,
                        st.sampled_from(sorted(ETAPE_PCE)),
                        st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
                    )
                )
                if domaine == "recette"
                else None,
            )
            for i in range(draw(st.integers(1, 3)))
        )
        out.append(
            PieceState(
                exercice=draw(st.integers(2000, 2030)),
                id_bord=draw(st.integers(1, 3)),
                id_pce=id_pce,
                etat=draw(st.sampled_from(sorted(ETAT_PCE[domaine]))),
                lines=lines,
                commentaire=draw(st.one_of(st.none(), MESSAGES)),
            )
        )
    return out


def _recovery_read(blp) -> tuple:
    ctx, acte = blp.find("InfoContentieux"), blp.find("InfoAmiableContentieux")

    def amount(tag):
        el = ctx.find(tag) if ctx is not None else None
        return Decimal(el.get("V")) if el is not None else None

    return (
        amount("MtCtxTot"),
        amount("SldPrinc"),
        acte.find("EtapePce").get("V") if acte is not None else None,
        acte.find("DteEtapePce").get("V") if acte is not None else None,
    )


def _recovery_written(ln: LineState) -> tuple:
    ctx, acte = ln.contentieux, ln.acte
    return (
        ctx.mt_ctx_tot if ctx else None,
        ctx.sld_princ if ctx else None,
        acte.etape if acte else None,
        acte.date.isoformat() if acte else None,
    )


@SETTINGS
@given(data=st.data(), domaine=st.sampled_from(["depense", "recette"]))
def test_retour_reads_back(data, domaine):
    states = data.draw(piece_states(domaine))
    build = build_retour_depense if domaine == "depense" else build_retour_recette
    header = RetourHeader("044090", "21340172201787", "710", "20")
    out = build(states, header, when=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    root = etree.fromstring(out, PARSER)
    get_schema("v5.17", MessageKind.RETOUR).assertValid(root)
    info_tag = "InfoPiece" if domaine == "depense" else "BlocPiece"
    pay_tag = "PaiementEmargement" if domaine == "depense" else "EncaissementEmargement"
    amount_tag = "MtPay" if domaine == "depense" else "MtReco"
    got = {}
    for piece in root.iter("Piece"):
        bloc = piece.getparent().find("BlocBordereau")
        key = (
            int(bloc.find("Exer").get("V")),
            int(bloc.find("IdBord").get("V")),
            int(piece.find(f"{info_tag}/IdPce").get("V")),
        )
        got[key] = (
            piece.find(f"{info_tag}/EtatPce").get("V"),
            [
                (
                    ldp.find("BlocLignePiece/InfoLignePiece/EtatLigPce").get("V"),
                    Decimal(ldp.find("BlocLignePiece/InfoLignePiece/MtHT").get("V")),
                    [Decimal(p.find(amount_tag).get("V")) for p in ldp.iter(pay_tag)],
                    _recovery_read(ldp.find("BlocLignePiece")),
                )
                for ldp in piece.iter("LigneDePiece")
            ],
        )
    expected = {
        (s.exercice, s.id_bord, s.id_pce): (
            s.etat,
            [
                (ln.etat, ln.mt_ht, [p.amount for p in ln.payments], _recovery_written(ln))
                for ln in s.lines
            ],
        )
        for s in states
    }
    assert got == expected


def test_flows_used_by_properties_are_valid():
    for data in FLOWS.values():
        report = validate(io.BytesIO(data))
        assert report.valid, report.findings
    assert min(ELEMENT_COUNT.values()) > 100
    pytest.importorskip("hypothesis")
