"""PES_ACQUIT v2 writer: turns a validation report into Hélios' acknowledgement.

One ElementACQUIT per acknowledged object, as the Hélios Guichet XML does: the flow
itself when it is blocked (DomaineAck 0), the flow signature (2), each bordereau
signature (3), each bordereau (5 dépense, 6 recette) with its errors detailed per pièce
and per line, and each PJ (4). Schema: ``Rev0/PES_V2_Acquit_Autonome_V2.xsd`` (v5.17).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable

from lxml import etree

from .elements import add_v
from .report import BordereauSummary, Finding, NumAnoAck, Report, Scope, Severity

__all__ = ["NS_ACQUIT_V2", "build_acquit"]

NS_ACQUIT_V2 = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"

DOMAINE_TECHNIQUE = "0"
DOMAINE_SIGNATURE_GLOBALE = "2"
DOMAINE_SIGNATURE_BORDEREAU = "3"
DOMAINE_PJ = "4"
DOMAINE_DEPENSE = "5"
DOMAINE_RECETTE = "6"

_SIGNATURE_BORDEREAU_CODES = frozenset(
    {
        NumAnoAck.SIGNATURE_BORDEREAU_INVALIDE,
        NumAnoAck.SIGNATURE_BORDEREAU_ILLISIBLE,
        NumAnoAck.SIGNATURE_BORDEREAU_INCOMPLETE,
        NumAnoAck.CERTIFICAT,
    }
)
_MAX_LIBELLE = 500
# EnTetePES is mandatory with strict patterns even when the flow could not be read: a
# value the schema refuses falls back to a neutral one it accepts; every value it accepts
# is carried as it is (CodBud 00 is a real budget). Per Class_EntetePES.xsd: (pattern,
# refuses all-zero values — the types derived from V_BaseAlphanum, fallback).
_HEADER_FALLBACK = {
    "IdPost": (re.compile(r"02[AB][0-9]{3,4}|[0-9]{6,7}"), True, "999999"),  # V_TexteCodique7
    "IdColl": (re.compile(r"[0-9]{0,14}"), False, ""),  # V_Num14_Light (xs:string)
    "CodCol": (re.compile(r"[0-9]{3}"), True, "999"),  # V_CodeCol3
    "CodBud": (re.compile(r"[0-9A-Z][0-9]"), False, "99"),  # V_CodeBud2 (xs:string)
}
_DIGITS = re.compile(r"[0-9]+")


def _header_value(tag: str, value: str | None) -> str:
    pattern, refuses_zeros, fallback = _HEADER_FALLBACK[tag]
    if value is None or not pattern.fullmatch(value):
        return fallback
    return fallback if refuses_zeros and not value.strip("0") else value


def _digits(value: str | None, max_len: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if _DIGITS.fullmatch(value) and len(value) <= max_len else None


# Characters XML 1.0 cannot carry (a message may quote raw bytes of a broken flow).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _texte(value: str, max_len: int) -> str:
    value = " ".join(_NOT_XML.sub("\ufffd", value).split()) or "-"
    return value if len(value) <= max_len else value[: max_len - 1] + "…"


# V_BaseString + V_BaseAlphanum (Simple_Type.xsd): no " ", ".", "nc", nor only zeros.
_BASE_TEXTE = re.compile(r"(?=.*[^0])(?:[^ .]|n[^c]|[^n]c|[^n][^c]|...+)")


def _nom_fic(value: str | None) -> str:
    value = _texte(value, 100) if value else ""
    return value if _BASE_TEXTE.fullmatch(value) else "FLUX_ILLISIBLE"


def _erreur(parent: etree._Element, finding: Finding) -> None:
    err = etree.SubElement(parent, "Erreur")
    add_v(err, "NumAnoAck", finding.code.value)
    add_v(err, "LibelleAnoAck", _texte(finding.message, _MAX_LIBELLE))


def _element(
    acquit: etree._Element,
    domaine: str,
    ok: bool,
    *,
    num_bord: str | None = None,
    exercice: str | None = None,
    id_unique: str | None = None,
) -> etree._Element:
    el = etree.SubElement(acquit, "ElementACQUIT")
    add_v(el, "DomaineAck", domaine)
    add_v(el, "EtatAck", "1" if ok else "0")
    if (nb := _digits(num_bord, 7)) is not None:
        add_v(el, "NumBord", nb)
    if (ex := _digits(exercice, 4)) is not None:
        add_v(el, "ExerciceBord", ex)
    if id_unique is not None and re.fullmatch(r"[0-9a-zA-Z]{0,50}", id_unique):
        add_v(el, "IdUnique", id_unique)
    return el


def _details(el: etree._Element, findings: Iterable[Finding]) -> None:
    """Bordereau-level errors first, then DetailPiece / DetailLigne (schema order)."""
    per_piece: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        piece = _digits(f.location.piece, 13)
        if piece is None:
            _erreur(el, f)
        else:
            per_piece[piece].append(f)
    for piece, group in per_piece.items():
        dp = etree.SubElement(el, "DetailPiece")
        add_v(dp, "NumPiece", piece)
        per_line: dict[str, list[Finding]] = defaultdict(list)
        for f in group:
            ligne = _digits(f.location.ligne, 13)
            if ligne is None:
                _erreur(dp, f)
            else:
                per_line[ligne].append(f)
        for ligne, lgroup in per_line.items():
            dl = etree.SubElement(dp, "DetailLigne")
            add_v(dl, "NumLigne", ligne)
            for f in lgroup:
                _erreur(dl, f)


def _concerns(f: Finding, b: BordereauSummary) -> bool:
    loc = f.location
    if loc.bordereau != b.id_bord and not (loc.bordereau_id and loc.bordereau_id == b.xml_id):
        return False
    return loc.domaine is None or loc.domaine == b.domaine


def build_acquit(
    report: Report, *, flow_name: str | None = None, when: dt.datetime | None = None
) -> bytes:
    """PES_ACQUIT v2 (ISO-8859-1) acknowledging the flow that ``report`` describes."""
    when = when or dt.datetime.now(dt.UTC)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    flux_blocked = report.flux_blocked

    root = etree.Element(f"{{{NS_ACQUIT_V2}}}PES_ACQUIT", nsmap={"n": NS_ACQUIT_V2})
    env = etree.SubElement(root, "Enveloppe")
    par = etree.SubElement(env, "Parametres")
    add_v(par, "Version", "2")
    add_v(par, "TypFic", "PESALR2")
    add_v(par, "NomFic", _nom_fic(flow_name or report.nom_fic))
    emet = etree.SubElement(env, "Emetteur")
    add_v(emet, "Sigle", "PIGP")
    add_v(emet, "Adresse", "PIGP GUICHET XML")
    head = etree.SubElement(root, "EnTetePES")
    add_v(head, "DteStr", when.date().isoformat())
    add_v(head, "IdPost", _header_value("IdPost", report.id_post))
    add_v(head, "IdColl", _header_value("IdColl", report.id_coll))
    add_v(head, "CodCol", _header_value("CodCol", report.cod_col))
    add_v(head, "CodBud", _header_value("CodBud", report.cod_bud))
    acquit = etree.SubElement(root, "ACQUIT")
    add_v(etree.SubElement(acquit, "EnTeteAcquit"), "IdVer", "2")

    flux_errors = [f for f in errors if f.scope is Scope.FLUX]
    if flux_errors or not (report.bordereaux or report.pj_ids):
        el = _element(acquit, DOMAINE_TECHNIQUE, not flux_errors)
        for f in flux_errors:
            _erreur(el, f)

    sig_errors = [f for f in errors if f.scope is Scope.SIGNATURE]
    flux_sig = [s for s in report.signatures if s.target == "flux"]
    if sig_errors or flux_sig:
        el = _element(acquit, DOMAINE_SIGNATURE_GLOBALE, not sig_errors and not flux_blocked)
        for f in sig_errors:
            _erreur(el, f)

    blocked = report.blocked_bordereaux()
    bord_errors = [f for f in errors if f.scope is Scope.BORDEREAU]
    signed_targets = {s.target for s in report.signatures if s.target != "flux"}
    for b in report.bordereaux:
        mine = [f for f in bord_errors if _concerns(f, b)]
        sig = [f for f in mine if f.code in _SIGNATURE_BORDEREAU_CODES]
        if sig or b.id_bord in signed_targets or (b.xml_id and b.xml_id in signed_targets):
            el = _element(
                acquit,
                DOMAINE_SIGNATURE_BORDEREAU,
                not sig and not flux_blocked,
                num_bord=b.id_bord,
                exercice=b.exercice,
            )
            for f in sig:
                _erreur(el, f)
        domaine = DOMAINE_RECETTE if b.domaine == "recette" else DOMAINE_DEPENSE
        el = _element(
            acquit, domaine, b.id_bord not in blocked, num_bord=b.id_bord, exercice=b.exercice
        )
        _details(el, [f for f in mine if f.code not in _SIGNATURE_BORDEREAU_CODES])

    pj_errors = [f for f in errors if f.scope is Scope.PJ]
    for id_unique in report.pj_ids:
        mine = [f for f in pj_errors if f.location.pj == id_unique]
        el = _element(acquit, DOMAINE_PJ, not mine and not flux_blocked, id_unique=id_unique)
        for f in mine:
            _erreur(el, f)

    data: bytes = etree.tostring(
        root, xml_declaration=True, encoding="ISO-8859-1", pretty_print=True
    )
    return data
