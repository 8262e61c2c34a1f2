"""Control hints for the comptable: what to look at before taking a pièce in charge.

Hints advise, they never block: the comptable decides. They are computed for many pièces at
once with a fixed number of queries (`hints_for_pieces`), so that a bordereau page costs the
same for 5 or 500 pièces; `hints_for_piece` is the same computation for one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from pigp.helios.models import (
    Domaine,
    EtatPiece,
    Ligne,
    Piece,
    PieceJustificative,
    PjRef,
)
from pigp.ui.text import pluriel

OK, INFO, WARNING, ERROR = "ok", "info", "warning", "error"
LEVEL_ORDER = {OK: 0, INFO: 1, WARNING: 2, ERROR: 3}

# Dépense ModRegl codes paid by transfer (TCodePaiement): virement, appli externe, gros
# montant, étranger. An empty code is taken as a transfer, the usual case.
TRANSFER_MODES = {"", "03", "04", "05", "06"}
DOUBLE_PAYMENT_WINDOW = datetime.timedelta(days=90)
DELAI_GLOBAL = 30  # délai global de paiement of local authorities (days)
DELAI_COMPTABLE = 10  # the comptable's part of it
ZERO = Decimal("0")


@dataclass(frozen=True)
class Hint:
    code: str  # iban, pj, montants, doublon, delai
    level: str  # ok, info, warning, error
    title: str
    detail: str = ""
    related: tuple[int, ...] = ()  # pièces involved (possible double payments)

    @property
    def alert_class(self) -> str:
        return {OK: "success", INFO: "info", WARNING: "warning", ERROR: "error"}[self.level]


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int

    @property
    def level(self) -> str:
        return ERROR if self.errors else WARNING if self.warnings else OK


def summarize(hints: Sequence[Hint]) -> Summary:
    return Summary(
        errors=sum(h.level == ERROR for h in hints),
        warnings=sum(h.level == WARNING for h in hints),
    )


def _fmt(amount: Decimal) -> str:
    text = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €"


# -- bank details -------------------------------------------------------------------------


def check_bank(piece: Piece) -> Hint:
    tiers = piece.tiers
    needs_account = piece.domaine == Domaine.DEPENSE and piece.mode_reglement in TRANSFER_MODES
    if tiers is None:
        level = ERROR if piece.domaine == Domaine.DEPENSE else WARNING
        return Hint("iban", level, "Aucun tiers sur la pièce")
    if not tiers.iban:
        if needs_account:
            return Hint(
                "iban",
                ERROR,
                "Domiciliation bancaire absente",
                "Le mandat est payable par virement mais le tiers n'a pas d'IBAN.",
            )
        return Hint("iban", INFO, "Pas de coordonnées bancaires", "Non requises pour cette pièce.")
    try:
        iban = IBAN(tiers.iban)
    except SchwiftyException as exc:
        return Hint("iban", ERROR, "IBAN invalide", f"{tiers.iban} : {_reason(exc)}")
    if tiers.bic:
        try:
            bic = BIC(tiers.bic)
        except SchwiftyException as exc:
            return Hint("iban", ERROR, "BIC invalide", f"{tiers.bic} : {_reason(exc)}")
        if bic.country_code != iban.country_code and not _same_sepa_zone(bic, iban):
            return Hint(
                "iban",
                WARNING,
                "BIC et IBAN de pays différents",
                f"IBAN {iban.country_code}, BIC {bic.country_code} : vérifiez la domiciliation.",
            )
    return Hint(
        "iban", OK, "IBAN valide", iban.formatted + (f" — BIC {tiers.bic}" if tiers.bic else "")
    )


def _same_sepa_zone(bic: BIC, iban: IBAN) -> bool:
    # French overseas departments and Monaco use French BICs.
    return bic.country_code == "FR" and iban.country_code in {"MC", "GP", "MQ", "GF", "RE", "YT"}


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    return {
        "InvalidChecksumDigits": "clé de contrôle incorrecte",
        "InvalidLength": "longueur incorrecte",
        "InvalidStructure": "structure incorrecte",
        "InvalidCountryCode": "code pays inconnu",
        "InvalidBankCode": "code banque inconnu",
        "InvalidBranchCode": "code guichet inconnu",
        "InvalidAccountCode": "numéro de compte incorrect",
        "InvalidBBANChecksum": "clé RIB incorrecte",
    }.get(name, "format incorrect")


# -- the bulk computation -----------------------------------------------------------------


def hints_for_pieces(
    pieces: Sequence[Piece], *, today: datetime.date | None = None
) -> dict[int, list[Hint]]:
    """Hints of each pièce (pk → hints), with a fixed number of queries.

    The pièces should come with `tiers` and `bordereau` selected.
    """
    if not pieces:
        return {}
    today = today or timezone.localdate()
    ids = [p.pk for p in pieces]

    line_sums = {
        row["piece_id"]: row
        for row in Ligne.objects.filter(piece_id__in=ids)
        .values("piece_id")
        .annotate(ht=Sum("mt_ht"), tva=Sum("mt_tva"), n=Count("id"))
    }

    bordereau_ids = {p.bordereau_id for p in pieces}
    bordereau_sums = {
        row["bordereau_id"]: row
        for row in Piece.objects.filter(bordereau_id__in=bordereau_ids)
        .values("bordereau_id")
        .annotate(ht=Sum("mt_ht"), tva=Sum("mt_tva"), n=Count("id"))
    }

    refs: dict[int, list[PjRef]] = defaultdict(list)
    for ref in PjRef.objects.filter(piece_id__in=ids).only("piece_id", "id_unique", "nom"):
        refs[ref.piece_id].append(ref)
    wanted = {r.id_unique for rs in refs.values() for r in rs}
    collectivites = {p.collectivite_id for p in pieces}
    pjs = (
        {
            (pj.collectivite_id, pj.id_unique): pj
            for pj in PieceJustificative.objects.filter(
                collectivite_id__in=collectivites, id_unique__in=wanted
            ).only("collectivite_id", "id_unique", "fichier_id", "erreur")
        }
        if wanted
        else {}
    )

    doubles = _double_payments(pieces)

    result: dict[int, list[Hint]] = {}
    for piece in pieces:
        result[piece.pk] = [
            check_bank(piece),
            _check_pj(piece, refs.get(piece.pk, []), pjs),
            _check_amounts(piece, line_sums.get(piece.pk), bordereau_sums.get(piece.bordereau_id)),
            _check_double(piece, doubles.get(piece.pk, [])),
            check_delay(piece, today),
        ]
    return result


def hints_for_piece(piece: Piece, *, today: datetime.date | None = None) -> list[Hint]:
    return hints_for_pieces([piece], today=today)[piece.pk]


# -- PJ -----------------------------------------------------------------------------------


def _check_pj(
    piece: Piece, refs: list[PjRef], pjs: dict[tuple[int, str], PieceJustificative]
) -> Hint:
    if not refs:
        if piece.domaine == Domaine.DEPENSE:
            return Hint(
                "pj",
                WARNING,
                "Aucune pièce justificative",
                "Le mandat ne référence aucune PJ : vérifiez qu'aucune n'est exigée.",
            )
        return Hint("pj", INFO, "Aucune pièce justificative référencée")
    missing, broken = [], []
    for ref in refs:
        pj = pjs.get((piece.collectivite_id, ref.id_unique))
        if pj is None:
            missing.append(ref.nom or ref.id_unique)
        elif not pj.fichier_id:
            broken.append(ref.nom or ref.id_unique)
    if missing or broken:
        parts = []
        if missing:
            parts.append("non reçue(s) : " + ", ".join(missing))
        if broken:
            parts.append("illisible(s) : " + ", ".join(broken))
        return Hint("pj", ERROR, "Pièce justificative manquante", " ; ".join(parts) + ".")
    n = len(refs)
    return Hint(
        "pj",
        OK,
        pluriel(n, "pièce justificative présente,pièces justificatives présentes"),
    )


# -- amounts ------------------------------------------------------------------------------


def _check_amounts(
    piece: Piece, lines: Mapping[str, Any] | None, bordereau: Mapping[str, Any] | None
) -> Hint:
    problems = []
    if piece.mt_ttc != piece.mt_ht + piece.mt_tva:
        problems.append(
            f"TTC {_fmt(piece.mt_ttc)} ≠ HT {_fmt(piece.mt_ht)} + TVA {_fmt(piece.mt_tva)}"
        )
    if lines is None or not lines["n"]:
        problems.append("la pièce n'a aucune ligne")
    else:
        ht, tva = lines["ht"] or ZERO, lines["tva"] or ZERO
        if ht != piece.mt_ht:
            problems.append(f"somme HT des lignes {_fmt(ht)} ≠ HT de la pièce {_fmt(piece.mt_ht)}")
        if tva != piece.mt_tva:
            problems.append(
                f"somme TVA des lignes {_fmt(tva)} ≠ TVA de la pièce {_fmt(piece.mt_tva)}"
            )
    b = piece.bordereau
    if bordereau is not None:
        ht = bordereau["ht"] or ZERO
        if ht != b.mt_ht:
            problems.append(
                f"total HT des pièces du bordereau {_fmt(ht)} ≠ montant du bordereau {_fmt(b.mt_ht)}"
            )
        if b.nbr_pce and bordereau["n"] != b.nbr_pce:
            problems.append(
                f"le bordereau annonce {b.nbr_pce} pièces et en contient {bordereau['n']}"
            )
    if problems:
        return Hint("montants", ERROR, "Montants incohérents", " ; ".join(problems) + ".")
    return Hint("montants", OK, "Montants cohérents", "Lignes, pièce et bordereau concordent.")


# -- double payment -----------------------------------------------------------------------


def _day(piece: Piece) -> datetime.date:
    if piece.date_emission:
        return piece.date_emission
    return (
        timezone.localdate(piece.date_reception) if piece.date_reception else timezone.localdate()
    )


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _double_payments(pieces: Sequence[Piece]) -> dict[int, list[Piece]]:
    """For each mandat, the other mandats of the same tiers, amount and objet within 90 days."""
    mandats = [p for p in pieces if p.domaine == Domaine.DEPENSE and p.tiers_id]
    if not mandats:
        return {}
    days = [_day(p) for p in mandats]
    low, high = min(days) - DOUBLE_PAYMENT_WINDOW, max(days) + DOUBLE_PAYMENT_WINDOW
    candidates = (
        Piece.objects.filter(
            domaine=Domaine.DEPENSE,
            tiers_id__in={p.tiers_id for p in mandats},
            mt_ttc__in={p.mt_ttc for p in mandats},
        )
        .exclude(etat=EtatPiece.REJETEE)
        .filter(
            Q(date_emission__range=(low, high))
            | Q(date_emission__isnull=True, date_reception__date__range=(low, high))
        )
        .select_related("bordereau")
        .only(
            "id",
            "id_pce",
            "tiers_id",
            "mt_ttc",
            "objet",
            "etat",
            "date_emission",
            "date_reception",
            "bordereau__id_bord",
            "exercice_id",
        )
    )
    index: dict[tuple, list[Piece]] = defaultdict(list)
    for c in candidates:
        index[(c.tiers_id, c.mt_ttc, _norm(c.objet))].append(c)
    found = {}
    for p in mandats:
        day = _day(p)
        found[p.pk] = [
            c
            for c in index.get((p.tiers_id, p.mt_ttc, _norm(p.objet)), [])
            if c.pk != p.pk and abs(_day(c) - day) <= DOUBLE_PAYMENT_WINDOW
        ]
    return found


def _check_double(piece: Piece, others: list[Piece]) -> Hint:
    if piece.domaine != Domaine.DEPENSE:
        return Hint("doublon", INFO, "Double paiement : sans objet pour un titre")
    if others:
        names = ", ".join(
            f"mandat n° {o.id_pce} (bordereau {o.bordereau.id_bord}, {o.get_etat_display().lower()})"
            for o in others[:5]
        )
        more = f" et {len(others) - 5} autre(s)" if len(others) > 5 else ""
        return Hint(
            "doublon",
            WARNING,
            "Double paiement possible",
            f"Même tiers, même montant et même objet à moins de 90 jours : {names}{more}.",
            related=tuple(o.pk for o in others),
        )
    return Hint("doublon", OK, "Pas de double paiement détecté", "Sur 90 jours, même tiers.")


# -- payment delay ------------------------------------------------------------------------


def check_delay(piece: Piece, today: datetime.date) -> Hint:
    if piece.domaine != Domaine.DEPENSE:
        return Hint("delai", INFO, "Délai de paiement : sans objet pour un titre")
    received = timezone.localdate(piece.date_reception) if piece.date_reception else today
    if piece.etat == EtatPiece.REJETEE:
        return Hint("delai", INFO, "Délai de paiement : mandat rejeté")
    end = piece.date_paiement or today
    days = max((end - received).days, 0)
    paid = piece.date_paiement is not None
    what = (
        f"payé {pluriel(days, 'jour')} après réception"
        if paid
        else f"{pluriel(days, 'jour')} depuis la réception"
    )
    detail = (
        f"Part du comptable : {DELAI_COMPTABLE} jours ; "
        f"délai global de paiement : {DELAI_GLOBAL} jours."
    )
    if days > DELAI_GLOBAL:
        return Hint(
            "delai",
            ERROR,
            f"Délai global dépassé : {what}",
            detail,
        )
    if days > DELAI_COMPTABLE:
        return Hint("delai", WARNING, f"Délai du comptable dépassé : {what}", detail)
    return Hint("delai", OK, f"Délai de paiement : {what}", detail)
