"""Business rules, each triggered by mutating the hand-made valid flow."""

from __future__ import annotations

import base64
import gzip
import re
from decimal import Decimal

import pytest

from pigp.formats.pes import (
    NullContext,
    NumAnoAck,
    Scope,
    Severity,
    ValidationOptions,
    validate,
)
from pigp.formats.pes.rules import load_triplets


def _one(report, rule: str):
    found = [f for f in report.findings if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.message) for f in report.findings]
    return found[0]


def test_the_hand_made_flow_is_valid_and_summarised(valid_flow: bytes) -> None:
    report = validate(valid_flow)
    assert report.valid, [f.message for f in report.findings]
    assert report.findings == ()
    assert (report.id_post, report.id_coll, report.cod_col, report.cod_bud) == (
        "034000",
        "21340172201787",
        "123",
        "01",
    )
    assert report.nom_fic == "PIGP_TEST_0001"
    assert [(b.domaine, b.id_bord, b.nbr_pce, b.pieces) for b in report.bordereaux] == [
        ("depense", "101", 2, ("501", "502")),
        ("recette", "201", 1, ("901",)),
    ]
    assert report.bordereaux[0].xml_id == "BORDDEP1"
    assert report.pj_ids == ("PJTEST0001",)
    assert report.accepted_bordereaux() == report.bordereaux


def test_nbr_pce(valid_flow: bytes) -> None:
    report = validate(valid_flow.replace(b'<NbrPce V="2"/>', b'<NbrPce V="3"/>'))
    f = _one(report, "nbr-pce")
    assert f.severity is Severity.ERROR and f.scope is Scope.BORDEREAU
    assert f.location.bordereau == "101"
    assert "3 pièce(s)" in f.message and "contient 2" in f.message
    assert report.blocked_bordereaux() == {"101"}
    assert [b.id_bord for b in report.accepted_bordereaux()] == ["201"]


def test_mt_bord_ht_depense(valid_flow: bytes) -> None:
    report = validate(valid_flow.replace(b'<MtBordHT V="1250.50"/>', b'<MtBordHT V="1250.51"/>'))
    f = _one(report, "mt-bord-ht")
    assert f.code is NumAnoAck.CUMUL_MONTANTS
    assert "MtBordHT = 1250.51" in f.message and "(1250.50)" in f.message
    assert f.location.path.endswith("/Bordereau[1]/BlocBordereau/MtBordHT")


def test_mt_bord_ht_recette_uses_its_own_element_name(valid_flow: bytes) -> None:
    report = validate(valid_flow.replace(b'<MtBordHt V="75.10"/>', b'<MtBordHt V="75.00"/>'))
    f = _one(report, "mt-bord-ht")
    assert "MtBordHt" in f.message
    assert f.location.bordereau == "201" and f.location.domaine == "recette"


def test_mt_bord_tva(valid_flow: bytes) -> None:
    data = valid_flow.replace(
        b'<MtBordHT V="1250.50"/>', b'<MtBordHT V="1250.50"/><MtBordTVA V="10.00"/>'
    )
    assert _one(validate(data), "mt-bord-tva").code is NumAnoAck.CUMUL_MONTANTS


def test_idbord_unique_in_the_flow(valid_flow: bytes) -> None:
    start = valid_flow.index(b'<Bordereau Id="BORDDEP1">')
    end = valid_flow.index(b"</Bordereau>", start) + len(b"</Bordereau>")
    twice = valid_flow[start:end].replace(b"BORDDEP1", b"BORDDEP2")
    data = valid_flow[:end] + twice + valid_flow[end:]
    f = _one(validate(data), "idbord-unique")
    assert f.code is NumAnoAck.DOUBLON_BORDEREAU
    assert f.location.bordereau_id == "BORDDEP2"


def test_idpce_unique_in_its_bordereau(valid_flow: bytes) -> None:
    f = _one(validate(valid_flow.replace(b'<IdPce V="502"/>', b'<IdPce V="501"/>')), "idpce-unique")
    assert f.code is NumAnoAck.DOUBLON_PIECE
    assert f.location.piece == "501" and f.location.bordereau == "101"


def test_idligne_unique_in_its_piece(valid_flow: bytes) -> None:
    data = valid_flow.replace(b'<IdLigne V="2"/>', b'<IdLigne V="1"/>')
    f = _one(validate(data), "idligne-unique")
    assert f.code is NumAnoAck.DOUBLON_LIGNE
    assert (f.location.piece, f.location.ligne) == ("501", "1")
    assert f.location.path.endswith("/Piece[1]/LigneDePiece[2]")


def _without_pj(flow: bytes) -> bytes:
    return re.sub(rb"<PJ>.*</PJ>", b"", flow, flags=re.S)


def test_pjref_to_a_pj_not_in_the_flow_is_to_be_matched_later(valid_flow: bytes) -> None:
    f = _one(validate(_without_pj(valid_flow)), "pjref-elsewhere")
    assert f.severity is Severity.INFO
    assert "à rapprocher des flux précédents" in f.message
    assert f.location.piece == "501"


class _Platform(NullContext):
    def __init__(self, **answers: bool) -> None:
        self.answers = answers

    def known_poste(self, id_post: str) -> bool | None:
        return self.answers.get("known_poste")

    def collectivite_siret_matches(self, id_post: str, id_coll: str) -> bool | None:
        return self.answers.get("siret_matches")

    def budget_active(self, id_coll: str, cod_col: str, cod_bud: str) -> bool | None:
        return self.answers.get("budget_active")

    def nomfic_used(self, cod_col: str, nom_fic: str) -> bool | None:
        return self.answers.get("nomfic_used")

    def bordereau_already_accepted(self, *args: str, domaine: str | None = None) -> bool | None:
        return self.answers.get("bordereau_accepted")

    def pj_already_received(self, id_coll: str, id_unique: str) -> bool | None:
        return self.answers.get("pj_received")


def test_pjref_resolved_by_the_platform(valid_flow: bytes) -> None:
    flow = _without_pj(valid_flow)
    assert validate(flow, context=_Platform(pj_received=True)).valid
    f = _one(validate(flow, context=_Platform(pj_received=False)), "pjref-missing")
    assert f.severity is Severity.ERROR and f.code is NumAnoAck.PJ
    assert f.scope is Scope.BORDEREAU and f.location.bordereau == "101"


@pytest.mark.parametrize(
    ("answers", "rule", "code"),
    [
        ({"known_poste": False}, "idpost-unknown", NumAnoAck.CODIQUE),
        ({"siret_matches": False}, "idcoll-poste", NumAnoAck.SIRET),
        ({"budget_active": False}, "budget-active", NumAnoAck.CODE_COLLECTIVITE_BUDGET),
        ({"nomfic_used": True}, "nomfic-duplicate", NumAnoAck.AUTRE),
    ],
)
def test_platform_checks_on_the_header(valid_flow: bytes, answers, rule, code) -> None:
    f = _one(validate(valid_flow, context=_Platform(**answers)), rule)
    assert f.code is code and f.scope is Scope.FLUX


def test_platform_knows_the_bordereau_and_the_pj(valid_flow: bytes) -> None:
    report = validate(valid_flow, context=_Platform(bordereau_accepted=True, pj_received=True))
    dup = [f for f in report.findings if f.rule == "idbord-already-accepted"]
    assert {f.location.bordereau for f in dup} == {"101", "201"}
    assert _one(report, "pj-already-received").code is NumAnoAck.DOUBLON_PJ


def test_null_context_produces_no_platform_finding(valid_flow: bytes) -> None:
    assert validate(valid_flow, context=NullContext()).findings == ()


def test_pj_unique_in_the_flow(valid_flow: bytes) -> None:
    pj = re.search(rb"<PJ>.*</PJ>", valid_flow, re.S).group(0)
    data = valid_flow.replace(pj, pj + pj)
    f = _one(validate(data), "pj-unique")
    assert f.code is NumAnoAck.DOUBLON_PJ and f.scope is Scope.PJ
    assert f.location.pj == "PJTEST0001" and f.location.path.endswith("PJ[2]")


def test_pj_name_and_type_coherent_with_its_reference(valid_flow: bytes) -> None:
    data = valid_flow.replace(
        b'<NomPJ V="facture_501.pdf"/>\n              <TypePJ V="003"/>',
        b'<NomPJ V="autre.pdf"/>\n              <TypePJ V="004"/>',
    )
    report = validate(data)
    assert _one(report, "pjref-nom").severity is Severity.WARNING
    assert _one(report, "pjref-type").severity is Severity.WARNING


def test_pj_type_coherent_with_refcompta_domain(valid_flow: bytes) -> None:
    refcompta = (
        b'<Description V="FACTURE DU MANDAT 501"/><RefCompta><Domaine V="02"/>'
        b'<Exercice V="2025"/><TypeObjet V="01"/><Identifiant V="501"/></RefCompta>'
    )
    data = valid_flow.replace(b'<Description V="FACTURE DU MANDAT 501"/>', refcompta)
    f = _one(validate(data), "pj-typepj-domaine")
    assert f.code is NumAnoAck.PJ and f.scope is Scope.PJ


def _with_content(flow: bytes, payload: bytes) -> bytes:
    start = flow.index(b'<Fichier MIMEType="application/pdf">') + len(
        b'<Fichier MIMEType="application/pdf">'
    )
    end = flow.index(b"</Fichier>")
    return flow[:start] + payload + flow[end:]


def test_pj_not_gzip(valid_flow: bytes) -> None:
    data = _with_content(valid_flow, base64.b64encode(b"%PDF-1.4 pas compresse"))
    assert _one(validate(data), "pj-gzip").code is NumAnoAck.PJ


def test_pj_empty(valid_flow: bytes) -> None:
    data = _with_content(valid_flow, base64.b64encode(gzip.compress(b"")))
    assert _one(validate(data), "pj-empty").scope is Scope.PJ


def test_pj_not_base64(valid_flow: bytes) -> None:
    data = _with_content(valid_flow, b"ceci n'est pas du base64 !")
    assert "base64" in _one(validate(data), "pj-content").message


def test_pj_mime_type_mismatch(valid_flow: bytes) -> None:
    data = _with_content(valid_flow, base64.b64encode(gzip.compress(b"PK\x03\x04zip")))
    assert _one(validate(data), "pj-mime").severity is Severity.WARNING


def test_iban_and_bic(valid_flow: bytes) -> None:
    data = valid_flow.replace(b"FR7630003017020002010412521", b"FR7630003017020002010412522")
    f = _one(validate(data), "iban")
    assert f.scope is Scope.BORDEREAU and "Domiciliation" in f.message
    assert f.location.piece == "501" and f.location.ligne == "1"
    data = valid_flow.replace(b'<BIC V="SOGEFRPPXXX"/>', b'<BIC V="SOGEQQPPXXX"/>')
    assert _one(validate(data), "bic").scope is Scope.BORDEREAU


def test_virement_requires_bank_details(valid_flow: bytes) -> None:
    data = re.sub(rb"<CpteBancaire>.*?</CpteBancaire>", b"", valid_flow, flags=re.S)
    assert _one(validate(data), "modregl-cptebancaire").location.ligne == "1"


def test_idcoll_must_be_a_siret(valid_flow: bytes) -> None:
    report = validate(valid_flow.replace(b"21340172201787", b"21340172201788"))
    f = _one(report, "idcoll-siret")
    assert f.code is NumAnoAck.SIRET and f.scope is Scope.FLUX
    assert report.flux_blocked
    assert report.blocked_bordereaux() == {"101", "201"}


def test_idpost_format_is_checked_by_the_schema_and_the_rule(valid_flow: bytes) -> None:
    report = validate(valid_flow.replace(b'<IdPost V="034000"/>', b'<IdPost V="34A"/>'))
    assert {f.code for f in report.errors} >= {NumAnoAck.SCHEMA_INCOMPLET, NumAnoAck.CODIQUE}


def test_tiers_siret(valid_flow: bytes) -> None:
    data = valid_flow.replace(b"37909534200018", b"37909534200019")
    assert _one(validate(data), "tiers-siret").severity is Severity.WARNING


def test_triplet_table(valid_flow: bytes) -> None:
    assert ("depense", "01", "01", "01") in load_triplets()
    data = valid_flow.replace(b'<NatPce V="02"/>', b'<NatPce V="06"/>')
    f = _one(validate(data), "triplet")
    assert f.severity is Severity.WARNING and f.code is NumAnoAck.CODIFICATION
    strict = validate(data, options=ValidationOptions(strict_triplets=True))
    assert _one(strict, "triplet").severity is Severity.ERROR


def test_typbord_04_is_refused_in_pes_aller(valid_flow: bytes) -> None:
    data = valid_flow.replace(b'<TypBord V="01"/>', b'<TypBord V="04"/>', 1)
    assert _one(validate(data), "typbord-04").location.bordereau == "101"


def test_info_dematerialisee_without_signature(valid_flow: bytes) -> None:
    data = valid_flow.replace(b'<InfoDematerialisee V="0"/>', b'<InfoDematerialisee V="1"/>', 1)
    f = _one(validate(data), "demat-without-signature")
    assert f.code is NumAnoAck.PES_SIGNATURE and f.scope is Scope.FLUX


def test_info_dematerialisee_requires_mt_cumul_annuel(valid_flow: bytes) -> None:
    data = valid_flow.replace(b'<InfoDematerialisee V="0"/>', b'<InfoDematerialisee V="1"/>')
    assert _one(validate(data), "mtcumul-demat").location.bordereau == "201"


def test_amounts_are_decimal_not_float(valid_flow: bytes) -> None:
    # 0.1 + 0.2 style sums must add up exactly.
    data = (
        valid_flow.replace(b'<MtHT V="1000.00"/>', b'<MtHT V="0.10"/>')
        .replace(b'<MtHT V="200.25"/>', b'<MtHT V="0.20"/>')
        .replace(b'<MtHT V="50.25"/>', b'<MtHT V="1250.20"/>')
    )
    assert Decimal("0.10") + Decimal("0.20") + Decimal("1250.20") == Decimal("1250.50")
    assert validate(data).valid


def test_empty_fichier_elements_keep_pj_contents_aligned(valid_flow: bytes) -> None:
    # <Fichier .../> (self-closing) before a real PJ: each PJ gets its own content.
    pj = re.search(rb"<PJ>.*</PJ>", valid_flow, re.S).group(0)
    empty = re.sub(rb"<Fichier ([^>]*)>[^<]*</Fichier>", rb"<Fichier \1/>", pj).replace(
        b"PJTEST0001", b"PJVIDE0001"
    )
    report = validate(valid_flow.replace(pj, empty + pj))
    (f,) = [x for x in report.findings if x.rule == "pj-empty"]
    assert f.location.pj == "PJVIDE0001"
    assert not [x for x in report.findings if x.rule in ("pj-content", "pj-gzip")]


def test_fichier_as_cdata_is_not_decoded_but_reported(valid_flow: bytes) -> None:
    data = re.sub(
        rb'(<Fichier MIMEType="application/pdf">)([^<]*)(</Fichier>)',
        rb"\1<![CDATA[\2]]>\3",
        valid_flow,
    )
    f = _one(validate(data), "pj-empty")
    assert f.location.pj == "PJTEST0001"
