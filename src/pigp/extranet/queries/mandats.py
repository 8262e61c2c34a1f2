"""État des paiements: the mandats of one collectivité, filtered, searched and sorted;
a mandat's page (lines, PJ, timeline, payments)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Length

from pigp.core.models import Collectivite
from pigp.helios.models import (
    Domaine,
    EtatPiece,
    Exercice,
    FacturePiece,
    Ligne,
    Paiement,
    Piece,
    PieceEvent,
    PieceJustificative,
    PjRef,
    Tiers,
)
from pigp.helios.motifs import motifs_for
from pigp.helios.pj import pj_rows

# The states a mandat goes through (the recette ones never apply).
ETATS_MANDAT = [
    EtatPiece.RECUE,
    EtatPiece.EN_INSTANCE,
    EtatPiece.PRISE_EN_CHARGE,
    EtatPiece.REJETEE,
    EtatPiece.PAYEE,
]

# Sort keys of the list → the fields they order by. Pièce and bordereau numbers are strings:
# ordering by length first puts « 9 » before « 10 ».
SORTS: dict[str, tuple[Any, ...]] = {
    "numero": (Length("id_pce"), "id_pce"),
    "bordereau": (Length("bordereau__id_bord"), "bordereau__id_bord"),
    "exercice": ("exercice__annee",),
    "tiers": ("tiers__nom", "tiers__prenom"),
    "objet": ("objet",),
    "montant": ("mt_ttc",),
    "etat": ("etat",),
    "emission": ("date_emission",),
    "prise_en_charge": ("date_prise_en_charge",),
    "paiement": ("date_paiement",),
}
DEFAULT_SORT = "-emission"

_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_SIRET = re.compile(r"\d{14}")
_NUMBER = re.compile(r"\d{1,13}")
# An invoice number (PES ``Facture``, 20 characters at most): one word of letters, digits and
# « - / _ . » holding at least three digits and something else than digits (« FA000123 »,
# « 2024-0042 »). Tried after the kinds above, so that digits alone stay a mandat number
# and « 12.50 » an amount; a word such as « B2B » (fewer digits) stays a name.
_INVOICE = re.compile(r"(?=(?:[^\d]*\d){3})(?=.*[^\d])[A-Z0-9][A-Z0-9/_.\-]{2,19}", re.IGNORECASE)
# « 1 234,56 », « 1234.5 », « 150 € »: a decimal separator or a euro sign says it is an amount.
_AMOUNT = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*(€?)")


@dataclass(frozen=True)
class Search:
    kind: str  # "iban", "siret", "montant", "numero", "facture", "nom"
    value: str | Decimal

    @property
    def label(self) -> str:
        return {
            "iban": "IBAN du tiers",
            "siret": "SIRET du tiers",
            "montant": "montant TTC",
            "numero": "numéro de mandat",
            "facture": "numéro de facture",
            "nom": "nom du tiers ou objet",
        }[self.kind]


def classify(text: str) -> Search | None:
    """What the search box was given: an IBAN, a SIRET, an amount, a mandat number, an invoice
    number or a name, tried in that order."""
    raw = " ".join(text.split())
    if not raw:
        return None
    compact = raw.replace(" ", "").upper()
    if _IBAN.fullmatch(compact):
        return Search("iban", compact)
    if _SIRET.fullmatch(compact):
        return Search("siret", compact)
    amount = _AMOUNT.fullmatch(raw)
    if amount and (amount.group(2) is not None or amount.group(3)):
        units = re.sub(r"\D", "", amount.group(1))
        try:
            return Search("montant", Decimal(f"{units}.{amount.group(2) or '0'}"))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            return None
    if _NUMBER.fullmatch(compact):
        return Search("numero", compact)
    if _INVOICE.fullmatch(raw):
        return Search("facture", raw)
    return Search("nom", raw)


def search_filter(search: Search) -> Q:
    if search.kind == "iban":
        return Q(tiers__iban=search.value)
    if search.kind == "siret":
        return Q(tiers__id_tiers=search.value)
    if search.kind == "montant":
        return Q(mt_ttc=search.value)
    if search.kind == "numero":
        return Q(id_pce=search.value)
    if search.kind == "facture":
        return facture_filter(str(search.value))
    return name_filter(str(search.value))


def name_filter(text: str) -> Q:
    """Pièces whose tiers' name or whose objet holds `text` (any case). The tiers are looked up
    first (a subquery on the tiers' own table and its trigram index on PostgreSQL), so that the
    pièces' side is an OR of two indexed conditions rather than a join filtered row by row."""
    tiers = Tiers.objects.filter(nom__icontains=text).values("pk")
    return Q(tiers__in=tiers) | Q(objet__icontains=text)


def in_year(annee: int | str) -> Q:
    """Pièces of the exercices of year `annee` (by exercice id: no join on the pièces' side)."""
    return Q(exercice__in=Exercice.objects.filter(annee=annee).values("pk"))


def facture_filter(numero: str) -> Q:
    """The mandats paying the invoice `numero`, as written or in capitals (the index on the
    collectivité and the number serves both)."""
    numero = numero.strip()
    numeros = {numero, numero.upper()}
    return Q(
        Exists(
            FacturePiece.objects.filter(
                piece=OuterRef("pk"), collectivite=OuterRef("collectivite"), numero__in=numeros
            )
        )
    )


def tiers_filter(text: str) -> Q:
    """The « tiers » filter takes a name, a SIRET or an IBAN."""
    search = classify(text)
    if search is None:
        return Q()
    if search.kind in ("iban", "siret"):
        return search_filter(search)
    tiers = Tiers.objects.filter(nom__icontains=" ".join(text.split())).values("pk")
    return Q(tiers__in=tiers)


def mandats_of(collectivite: Collectivite) -> QuerySet[Piece]:
    return Piece.objects.filter(collectivite=collectivite, domaine=Domaine.DEPENSE)


def _lines_with(field: str, value: str) -> Exists:
    return Exists(Ligne.objects.filter(piece=OuterRef("pk"), **{f"{field}__startswith": value}))


# Filter field → how it narrows the list (ranges are inclusive).
_RANGE_FIELDS = {
    "emis": "date_emission",
    "pris_en_charge": "date_prise_en_charge",
    "paye": "date_paiement",
    "montant": "mt_ttc",
}


def apply_filters(qs: QuerySet[Piece], data: dict[str, Any]) -> QuerySet[Piece]:
    """Narrow `qs` by the cleaned data of the filter form (empty fields are ignored)."""
    if data.get("exercice"):
        qs = qs.filter(in_year(data["exercice"]))
    if data.get("budget"):
        qs = qs.filter(exercice__budget_id=data["budget"])
    if data.get("bordereau"):
        qs = qs.filter(bordereau__id_bord=data["bordereau"].strip())
    if data.get("numero"):
        qs = qs.filter(id_pce=data["numero"].strip())
    if data.get("facture", "").strip():
        qs = qs.filter(facture_filter(data["facture"]))
    if data.get("tiers"):
        qs = qs.filter(tiers_filter(data["tiers"]))
    if data.get("etat"):
        qs = qs.filter(etat=data["etat"])
    for prefix, field in _RANGE_FIELDS.items():
        low, high = data.get(f"{prefix}_min"), data.get(f"{prefix}_max")
        if low is not None:
            qs = qs.filter(**{f"{field}__gte": low})
        if high is not None:
            qs = qs.filter(**{f"{field}__lte": high})
    for field in ("nature", "fonction"):
        if data.get(field):
            qs = qs.filter(_lines_with(field, data[field].strip()))
    search = classify(data.get("q") or "")
    if search is not None:
        qs = qs.filter(search_filter(search))
    return qs


def sort(
    qs: QuerySet[Piece],
    tri: str,
    sorts: dict[str, tuple[Any, ...]] = SORTS,
    default: str = DEFAULT_SORT,
) -> QuerySet[Piece]:
    """`qs` ordered by the column `tri` (« -montant »: descending), then by id."""
    key = tri.removeprefix("-")
    if key not in sorts:
        tri, key = default, default.removeprefix("-")
    descending = tri.startswith("-")
    # Empty dates (not yet paid…) come last whichever way the column is sorted.
    fields = [
        (F(f) if isinstance(f, str) else f).desc(nulls_last=True)
        if descending
        else (F(f) if isinstance(f, str) else f).asc(nulls_last=True)
        for f in sorts[key]
    ]
    return qs.order_by(*fields, "-id" if descending else "id")


def for_list(qs: QuerySet[Piece]) -> QuerySet[Piece]:
    """What a row of the list shows, in the same query."""
    return qs.select_related("tiers", "bordereau", "exercice__budget")


@dataclass(frozen=True)
class MandatDetail:
    lignes: list[Ligne]
    pjs: list[tuple[PjRef, PieceJustificative | None]]
    events: list[PieceEvent]
    paiements: list[Paiement]
    motifs: list[tuple[str, str]]
    factures: list[str]


def detail(mandat: Piece) -> MandatDetail:
    """Everything the mandat's page shows, in six queries whatever the mandat holds."""
    return MandatDetail(
        lignes=list(mandat.lignes.order_by("id")),
        pjs=pj_rows(mandat),
        events=list(mandat.events.order_by("at", "id")),
        paiements=list(mandat.paiements.select_related("run").order_by("date", "id")),
        motifs=[(c, motifs_for(mandat.domaine).get(c, "")) for c in mandat.motif_code.split()],
        factures=list(mandat.factures.order_by("id").values_list("numero", flat=True)),
    )
