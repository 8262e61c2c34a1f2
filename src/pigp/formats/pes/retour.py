"""PES_Retour writer: the comptable's answer on mandats (dépense) and titres (recette).

From typed pièce states (prise en charge, rejet with ObsEtat motifs, mise en instance),
payments (dépense: PaiementEmargement DtePay / MtPay) and recoveries (recette:
EncaissementEmargement DteReco / MtReco) with, on titres, where recovery stands
(InfoContentieux: amounts taken in charge and still due; InfoAmiableContentieux: the
current act of recovery), this writes a PES_Retour valid against
``RETOUR/Rev0/PES_Retour.xsd`` (v5.17), named by the DGFiP convention
``PES2R_DEP_…`` / ``PES2R_RCE_…``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from lxml import etree

from .elements import add_v
from .errors import PesError

__all__ = [
    "NS_RETOUR",
    "ActeRecouvrement",
    "Contentieux",
    "LineState",
    "Payment",
    "PieceState",
    "RetourError",
    "RetourHeader",
    "build_retour_depense",
    "build_retour_recette",
    "retour_filename",
]

NS_RETOUR = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour"
CENT = Decimal("0.01")

# Enumerations of RETOUR/NS_*/r0/Commun*_Retour.xsd (v5.17).
ETAT_PCE = {
    "depense": frozenset({"01", "02", "04", "05"}),
    "recette": frozenset({"01", "02", "03", "04", "05"}),
}
ETAT_LIG_PCE = {
    "depense": frozenset({"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "15", "16"}),
    "recette": frozenset({"01", "02", "03", "04", "05", "06"}),
}
ORG_EMA = {
    "depense": frozenset(f"{i:02d}" for i in range(1, 16)),
    "recette": frozenset(f"{i:02d}" for i in range(1, 13)),
}
# TEtapePce and TCodActu of RETOUR/NS_Recette/r0/CommunRecette_Retour.xsd (v5.17).
ETAPE_PCE = frozenset(f"{i:02d}" for i in range(20))
COD_ACTU = frozenset(f"{i:02d}" for i in range(1, 10))
TYP_BORD = {
    "depense": frozenset({"01", "02", "03", "04"}),
    "recette": frozenset({"01", "02", "03", "04", "05", "06", "07"}),
}
NATURE_RESTIT = frozenset(
    {"R", "P", "S", "RR", "RP", "RS", "RO", "PO", "SO", "RRO", "RPO", "RSO", "CO", "RCO"}
)
# NatureRestit of the file name -> TypRestit (01 rejet / mise en instance, 02 périodique,
# 03 stock); réémissions (R…) and ORMC (…O) keep the type of what they re-send.
_TYP_RESTIT = {
    **dict.fromkeys(("R", "RR", "RO", "RRO"), "01"),
    **dict.fromkeys(("P", "RP", "PO", "RPO"), "02"),
    **dict.fromkeys(("S", "RS", "SO", "RSO", "CO", "RCO"), "03"),
}


# Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class RetourError(PesError, ValueError):
    """Pièce states that cannot be written as a PES_Retour."""


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment (dépense) or a recovery (recette) on one line."""

    date: dt.date
    amount: Decimal
    org_ema: str = "01"  # dépense 01 paiement réel; recette 01-12 (02 encaissement sur pièce)


@dataclass(frozen=True, slots=True)
class Contentieux:
    """InfoContentieux of a titre's line: what was taken in charge and what is still due."""

    mt_ctx_tot: Decimal | None = None  # principal + majoration + frais taken in charge
    sld_princ: Decimal | None = None  # reste à recouvrer on the principal
    sld_frais: Decimal | None = None  # reste à recouvrer on the frais


@dataclass(frozen=True, slots=True)
class ActeRecouvrement:
    """InfoAmiableContentieux of a titre's line: the current act of recovery."""

    etape: str  # EtapePce: 00 avis des sommes à payer, 01 relance, 03 mise en demeure…
    date: dt.date
    id_act: str | None = None
    cod_actu: str | None = None  # CodActu: 01 acte envoyé…
    date_actu: dt.date | None = None
    mt_frais: Decimal | None = None
    date_envoi: dt.date | None = None


@dataclass(frozen=True, slots=True)
class LineState:
    id_ligne: int
    etat: str  # EtatLigPce
    mt_ht: Decimal
    mt_tva: Decimal | None = None
    obs_etat: str | None = None  # motif codes, e.g. "01" or "01 09"
    commentaire: str | None = None
    payments: tuple[Payment, ...] = ()
    contentieux: Contentieux | None = None  # recette only
    acte: ActeRecouvrement | None = None  # recette only


@dataclass(frozen=True, slots=True)
class PieceState:
    """State of one mandat / titre as the comptable restitutes it."""

    exercice: int
    id_bord: int
    id_pce: int
    etat: str  # EtatPce: 01 en instance, 02 prise en charge, 04 rejeté, 05 soldé…
    lines: tuple[LineState, ...]
    typ_bord: str = "01"
    typ_pce: str = "01"
    nat_pce: str = "01"
    objet: str | None = None
    date_pec: dt.date | None = None
    obs_etat: str | None = None
    commentaire: str | None = None
    date_rejet: dt.date | None = None
    date_instance: dt.date | None = None


@dataclass(frozen=True, slots=True)
class RetourHeader:
    id_post: str
    id_coll: str
    cod_col: str
    cod_bud: str
    libelle_poste: str | None = None


def retour_filename(
    domaine: Literal["depense", "recette"],
    id_post: str,
    cod_col: str,
    cod_bud: str,
    when: dt.datetime,
    seq: int = 0,
    *,
    nature: str = "P",
    date_situation: dt.date | None = None,
) -> str:
    """``PES2R_DEP_P_710_20_044090_20250307_20250307_20250308182309.xml``.

    ``seq`` seconds are added to the timestamp, so that several files made in the same
    second keep distinct names (the DGFiP name has no sequence field).
    """
    if nature not in NATURE_RESTIT:
        raise RetourError(f"nature de restitution inconnue : {nature!r}")
    prefix = {"depense": "PES2R_DEP", "recette": "PES2R_RCE"}.get(domaine)
    if prefix is None:
        raise RetourError(f"domaine inconnu : {domaine!r}")
    situation = date_situation or when.date()
    stamp = when + dt.timedelta(seconds=seq)
    return (
        f"{prefix}_{nature}_{cod_col}_{cod_bud}_{id_post}_{situation:%Y%m%d}_"
        f"{when:%Y%m%d}_{stamp:%Y%m%d%H%M%S}.xml"
    )


def _opt(parent: etree._Element, tag: str, value: object | None) -> None:
    if value is not None:
        add_v(parent, tag, value.isoformat() if isinstance(value, dt.date) else value)


def _amount(value: Decimal, what: str, *, zero: bool = False) -> str:
    if not isinstance(value, Decimal):
        raise RetourError(f"{what} : montant attendu en Decimal, reçu {type(value).__name__}")
    if (
        value < 0
        or (value == 0 and not zero)
        or value != value.quantize(CENT)
        or len(value.as_tuple().digits) > 14
    ):
        bound = "≥ 0" if zero else "> 0"
        raise RetourError(f"{what} : montant invalide {value} ({bound}, deux décimales au plus)")
    return f"{value:.2f}"


def _check(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise RetourError(
            f"{what} : valeur {value!r} hors nomenclature ({', '.join(sorted(allowed))})"
        )
    return value


def _text(value: str | None, max_len: int) -> str | None:
    if value is None:
        return None
    value = " ".join(_NOT_XML.sub("\ufffd", value).split())
    return value[:max_len] if value else None


def _build(
    domaine: Literal["depense", "recette"],
    pieces: Iterable[PieceState],
    header: RetourHeader,
    when: dt.datetime,
    nature: str,
    seq: int,
) -> bytes:
    nom_fic = retour_filename(
        domaine, header.id_post, header.cod_col, header.cod_bud, when, seq, nature=nature
    )
    root = etree.Element(f"{{{NS_RETOUR}}}PES_Retour", nsmap={"n": NS_RETOUR})
    par = etree.SubElement(etree.SubElement(root, "Enveloppe"), "Parametres")
    add_v(par, "Version", "1")
    add_v(par, "TypFic", "PES2R_DEP" if domaine == "depense" else "PES2R_RCE")
    add_v(par, "NomFic", nom_fic)
    head = etree.SubElement(root, "EnTetePES")
    add_v(head, "DteStr", when.date().isoformat())
    add_v(head, "IdPost", header.id_post)
    _opt(head, "LibellePoste", _text(header.libelle_poste, 38))
    add_v(head, "IdColl", header.id_coll)
    add_v(head, "CodColl", header.cod_col)
    add_v(head, "CodBud", header.cod_bud)
    dom_tag, head_tag = (
        ("PES_DepenseRetour", "EnTeteDepense")
        if domaine == "depense"
        else ("PES_RecetteRetour", "EnTeteRecette")
    )
    dom = etree.SubElement(root, dom_tag)
    ent = etree.SubElement(dom, head_tag)
    add_v(ent, "TypRestit", _TYP_RESTIT[nature])
    add_v(ent, "IdVer", "2")
    add_v(ent, "NatInf", "2")

    bordereaux: dict[tuple[int, int, str], etree._Element] = {}
    count = 0
    for piece in pieces:
        count += 1
        key = (piece.exercice, piece.id_bord, piece.typ_bord)
        if key not in bordereaux:
            bord = etree.SubElement(dom, "Bordereau")
            bloc = etree.SubElement(bord, "BlocBordereau")
            add_v(bloc, "Exer", piece.exercice)
            add_v(bloc, "IdBord", piece.id_bord)
            add_v(bloc, "TypBord", _check(piece.typ_bord, TYP_BORD[domaine], "TypBord"))
            bordereaux[key] = bord
        _piece(bordereaux[key], piece, domaine)
    if not count:
        raise RetourError("un PES_Retour doit contenir au moins une pièce")
    data: bytes = etree.tostring(
        root, xml_declaration=True, encoding="ISO-8859-1", pretty_print=True
    )
    return data


def _piece(bord: etree._Element, piece: PieceState, domaine: str) -> None:
    what = f"Pièce {piece.id_pce} du bordereau {piece.id_bord}"
    if not piece.lines:
        raise RetourError(f"{what} : aucune ligne")
    el = etree.SubElement(bord, "Piece")
    info = etree.SubElement(el, "InfoPiece" if domaine == "depense" else "BlocPiece")
    add_v(info, "IdPce", piece.id_pce)
    add_v(info, "TypPce", piece.typ_pce)
    add_v(info, "NatPce", piece.nat_pce)
    _opt(info, "Obj", _text(piece.objet, 100 if domaine == "depense" else 160))
    _opt(info, "DtePcePec", piece.date_pec)
    add_v(info, "EtatPce", _check(piece.etat, ETAT_PCE[domaine], f"{what}, EtatPce"))
    _opt(info, "ObsEtat", _text(piece.obs_etat, 100))
    _opt(info, "Commentaire", _text(piece.commentaire, 400))
    _opt(info, "DtePceRej", piece.date_rejet)
    _opt(info, "DtePceInst", piece.date_instance)
    for line in piece.lines:
        lwhat = f"{what}, ligne {line.id_ligne}"
        ldp = etree.SubElement(el, "LigneDePiece")
        blp = etree.SubElement(ldp, "BlocLignePiece")
        ilp = etree.SubElement(blp, "InfoLignePiece")
        add_v(ilp, "IdLigne", line.id_ligne)
        add_v(ilp, "EtatLigPce", _check(line.etat, ETAT_LIG_PCE[domaine], f"{lwhat}, EtatLigPce"))
        _opt(ilp, "ObsEtat", _text(line.obs_etat, 100))
        _opt(ilp, "Commentaire", _text(line.commentaire, 400))
        add_v(ilp, "MtHT", _amount(line.mt_ht, f"{lwhat}, MtHT"))
        if line.mt_tva is not None:
            add_v(ilp, "MtTVA", _amount(line.mt_tva, f"{lwhat}, MtTVA"))
        if line.payments:
            total = sum((p.amount for p in line.payments), Decimal("0.00"))
            tot = etree.SubElement(
                blp, "InfoPaiement" if domaine == "depense" else "InfoRecouvrement"
            )
            add_v(tot, "NbrPay" if domaine == "depense" else "NbrReco", len(line.payments))
            add_v(tot, "MtPayTot" if domaine == "depense" else "MtRecoTot", _amount(total, lwhat))
        if line.contentieux is not None or line.acte is not None:
            if domaine != "recette":
                raise RetourError(f"{lwhat} : suivi du recouvrement sur un mandat")
            _recovery(blp, line.contentieux, line.acte, lwhat)
        for pay in line.payments:
            tag, date_tag, amount_tag = (
                ("PaiementEmargement", "DtePay", "MtPay")
                if domaine == "depense"
                else ("EncaissementEmargement", "DteReco", "MtReco")
            )
            pe = etree.SubElement(ldp, tag)
            add_v(pe, "OrgEma", _check(pay.org_ema, ORG_EMA[domaine], f"{lwhat}, OrgEma"))
            add_v(pe, date_tag, pay.date.isoformat())
            add_v(pe, amount_tag, _amount(pay.amount, f"{lwhat}, {amount_tag}"))


def _recovery(
    blp: etree._Element, ctx: Contentieux | None, acte: ActeRecouvrement | None, what: str
) -> None:
    """InfoContentieux and InfoAmiableContentieux, after InfoRecouvrement (the XSD order:
    InfoEcheancier, RattachPiece, LiensIdent and InfoSuspPour would come between)."""
    if ctx is not None:
        el = etree.SubElement(blp, "InfoContentieux")
        for tag, value in (
            ("MtCtxTot", ctx.mt_ctx_tot),
            ("SldPrinc", ctx.sld_princ),
            ("SldFrais", ctx.sld_frais),
        ):
            if value is not None:
                add_v(el, tag, _amount(value, f"{what}, {tag}", zero=True))
    if acte is not None:
        el = etree.SubElement(blp, "InfoAmiableContentieux")
        add_v(el, "EtapePce", _check(acte.etape, ETAPE_PCE, f"{what}, EtapePce"))
        add_v(el, "DteEtapePce", acte.date.isoformat())
        _opt(el, "IdAct", _text(acte.id_act, 15))
        if acte.cod_actu is not None:
            add_v(el, "CodActu", _check(acte.cod_actu, COD_ACTU, f"{what}, CodActu"))
        _opt(el, "DteActu", acte.date_actu)
        if acte.mt_frais is not None:
            add_v(el, "MtFrais", _amount(acte.mt_frais, f"{what}, MtFrais", zero=True))
        _opt(el, "DteEnvoi", acte.date_envoi)


def build_retour_depense(
    pieces: Iterable[PieceState],
    header: RetourHeader,
    *,
    when: dt.datetime | None = None,
    nature: str = "P",
    seq: int = 0,
) -> bytes:
    """PES_DepenseRetour (ISO-8859-1): mandats with their state and payments."""
    return _build("depense", pieces, header, when or dt.datetime.now(dt.UTC), nature, seq)


def build_retour_recette(
    pieces: Iterable[PieceState],
    header: RetourHeader,
    *,
    when: dt.datetime | None = None,
    nature: str = "P",
    seq: int = 0,
) -> bytes:
    """PES_RecetteRetour (ISO-8859-1): titres with their state and recoveries."""
    return _build("recette", pieces, header, when or dt.datetime.now(dt.UTC), nature, seq)
