"""Recouvrement: the titres still to recover, their reste à recouvrer, stage and age."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Length

from pigp.core.models import Collectivite
from pigp.extranet.queries.mandats import in_year, name_filter
from pigp.extranet.queries.streaming import reading
from pigp.helios.models import Domaine, EtatPiece, Piece, StadeRecouvrement

# Titres on which something is still due.
A_RECOUVRER = [EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE]

# Ageing buckets, counted in days since the prise en charge: (key, label, from, to).
TRANCHES: list[tuple[str, str, int, int | None]] = [
    ("0-30", "0 à 30 jours", 0, 30),
    ("30-90", "31 à 90 jours", 31, 90),
    ("90-365", "91 à 365 jours", 91, 365),
    ("365+", "Plus d'un an", 366, None),
]

SORTS: dict[str, tuple[Any, ...]] = {
    "numero": (Length("id_pce"), "id_pce"),
    "exercice": ("exercice__annee",),
    "tiers": ("tiers__nom", "tiers__prenom"),
    "montant": ("mt_ttc",),
    "reste": ("reste_a_recouvrer",),
    "stade": ("stade",),
    "prise_en_charge": ("date_prise_en_charge",),
}
DEFAULT_SORT = "prise_en_charge"


@dataclass(frozen=True)
class Tranche:
    key: str
    label: str
    nombre: int
    reste: Decimal


def titres_a_recouvrer(collectivite: Collectivite) -> QuerySet[Piece]:
    return Piece.objects.filter(
        collectivite=collectivite,
        domaine=Domaine.RECETTE,
        etat__in=A_RECOUVRER,
        reste_a_recouvrer__gt=0,
    )


def in_tranche(key: str, today: datetime.date) -> Q:
    """Titres whose prise en charge falls in the bucket `key` (age in days, as of `today`)."""
    for k, _label, low, high in TRANCHES:
        if k == key:
            q = Q(date_prise_en_charge__lte=today - datetime.timedelta(days=low))
            if high is not None:
                q &= Q(date_prise_en_charge__gte=today - datetime.timedelta(days=high))
            return q
    return Q()


def tranches(qs: QuerySet[Piece], today: datetime.date) -> list[Tranche]:
    """Count and reste à recouvrer by ageing bucket, in one query."""
    agg = qs.aggregate(
        **{
            # A column of the index of titres still due (not the id): an index-only scan.
            f"n{i}": Count("date_prise_en_charge", filter=in_tranche(key, today))
            for i, (key, *_rest) in enumerate(TRANCHES)
        },
        **{
            f"r{i}": Sum("reste_a_recouvrer", filter=in_tranche(key, today))
            for i, (key, *_rest) in enumerate(TRANCHES)
        },
    )
    return [
        Tranche(key, label, agg[f"n{i}"], agg[f"r{i}"] or Decimal("0.00"))
        for i, (key, label, *_rest) in enumerate(TRANCHES)
    ]


def apply_filters(
    qs: QuerySet[Piece], data: dict[str, Any], today: datetime.date
) -> QuerySet[Piece]:
    if data.get("exercice"):
        qs = qs.filter(in_year(data["exercice"]))
    if data.get("budget"):
        qs = qs.filter(exercice__budget_id=data["budget"])
    if data.get("stade") == "aucun":
        qs = qs.filter(stade="")
    elif data.get("stade"):
        qs = qs.filter(stade=data["stade"])
    if data.get("anciennete"):
        qs = qs.filter(in_tranche(data["anciennete"], today))
    if data.get("q"):
        text = " ".join(data["q"].split())
        qs = qs.filter(Q(id_pce=text) | name_filter(text))
    return qs


def age_days(piece: Piece, today: datetime.date) -> int | None:
    if piece.date_prise_en_charge is None:
        return None
    return (today - piece.date_prise_en_charge).days


EXPORT_HEADERS = [
    "N° de titre",
    "Exercice",
    "Débiteur",
    "Montant TTC",
    "Reste à recouvrer",
    "Stade",
    "Pris en charge le",
    "Ancienneté (jours)",
]
_STADES = dict(StadeRecouvrement.choices)


def export_rows(qs: QuerySet[Piece], today: datetime.date) -> Iterator[list[Any]]:
    """The list's rows as typed values, read in chunks."""
    fields = ("id_pce", "exercice__annee", "tiers__nom", "tiers__prenom", "mt_ttc")
    values = qs.values_list(*fields, "reste_a_recouvrer", "stade", "date_prise_en_charge")
    with reading():
        for numero, annee, nom, prenom, montant, reste, stade, pec in values.iterator(
            chunk_size=2000
        ):
            debiteur = f"{nom or ''} {prenom or ''}".strip()
            age = (today - pec).days if pec is not None else None
            yield [numero, annee, debiteur, montant, reste, _STADES.get(stade, ""), pec, age]
