"""État des restes à recouvrer: the titres still due, per exercice of origin and per debtor,
with the recouvrement page's ageing buckets."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Count, F, Min, QuerySet, Sum

from pigp.extranet.queries.recouvrement import TRANCHES, in_tranche
from pigp.extranet.queries.streaming import reading
from pigp.helios.models import Exercice, Piece, Tiers

CHUNK = 2000

# Columns of the per-debtor list: (sort key, header); the buckets follow « Plus ancienne ».
DEBITEUR_COLUMNS = [
    ("tiers", "Débiteur"),
    ("nombre", "Titres"),
    ("reste", "Reste à recouvrer"),
    ("plus_ancienne", "Plus ancienne prise en charge"),
]
SORTS: dict[str, tuple[str, ...]] = {
    "tiers": ("tiers__nom", "tiers__prenom"),
    "nombre": ("nombre",),
    "reste": ("reste",),
    "plus_ancienne": ("plus_ancienne",),
}
DEFAULT_SORT = "-reste"
HEADERS = [
    "Débiteur",
    "Identifiant",
    "Titres",
    "Reste à recouvrer",
    "Plus ancienne prise en charge",
    *(label for _key, label, *_ in TRANCHES),
]


class Total(NamedTuple):
    nombre: int
    reste: Decimal


def total_of(exercices: list[Mapping[str, Any]]) -> Total:
    """The total of the per-exercice rows (each titre is of one exercice): no query."""
    return Total(
        sum(e["nombre"] for e in exercices),
        sum((e["reste"] for e in exercices), Decimal("0.00")),
    )


def debiteurs_count(qs: QuerySet[Piece]) -> int:
    """How many rows the per-debtor list has (debtors, and « non renseigné » once), without
    computing their aggregates."""
    return qs.order_by().values("tiers_id").distinct().count()


def _buckets(today: datetime.date) -> dict[str, Any]:
    return {
        f"t{i}": Sum("reste_a_recouvrer", filter=in_tranche(key, today))
        for i, (key, *_rest) in enumerate(TRANCHES)
    }


def par_exercice(qs: QuerySet[Piece]) -> list[Mapping[str, Any]]:
    """Count and reste à recouvrer per exercice of origin, the most recent first (grouped by
    exercice id on the index of titres still due, then by year: a year may hold several
    budgets' exercices)."""
    rows = list(
        qs.order_by()
        .values("exercice_id")
        .annotate(nombre=Count("id"), reste=Sum("reste_a_recouvrer"))
    )
    years = dict(
        Exercice.objects.filter(pk__in=[r["exercice_id"] for r in rows]).values_list("pk", "annee")
    )
    by_year: dict[int, dict[str, Any]] = {}
    for r in rows:
        annee = years[r["exercice_id"]]
        line = by_year.setdefault(
            annee, {"exercice__annee": annee, "nombre": 0, "reste": Decimal("0.00")}
        )
        line["nombre"] += r["nombre"]
        line["reste"] += r["reste"] or Decimal("0.00")
    return [by_year[annee] for annee in sorted(by_year, reverse=True)]


def par_debiteur(qs: QuerySet[Piece], today: datetime.date, tri: str) -> QuerySet[Any]:
    """One row per debtor (tiers): count, total due, oldest prise en charge and the due amount
    in each ageing bucket; sorted by `tri` (« -reste »: descending), then by tiers."""
    key = tri.removeprefix("-")
    if key not in SORTS:
        tri, key = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-")
    descending = tri.startswith("-")
    # Grouped by the tiers' id alone (read from the index of titres still due); the names are
    # joined only to sort by them, else looked up for the rows shown (`with_names`).
    grouping = ("tiers_id", *NAMES) if key == "tiers" else ("tiers_id",)
    rows = (
        qs.order_by()
        .values(*grouping)
        .annotate(
            nombre=Count("id"),
            reste=Sum("reste_a_recouvrer"),
            plus_ancienne=Min("date_prise_en_charge"),
            **_buckets(today),
        )
    )
    # A titre without debtor comes last whichever way the column is sorted.
    return rows.order_by(
        *(
            F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True)
            for f in (*SORTS[key], "tiers_id")
        )
    )


NAMES = ("tiers__nom", "tiers__prenom", "tiers__id_tiers")


def with_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with their debtor's name and identifier (one query for all of them)."""
    missing = [r["tiers_id"] for r in rows if r["tiers_id"] is not None and NAMES[0] not in r]
    found = {
        pk: dict(zip(NAMES, values, strict=True))
        for pk, *values in Tiers.objects.filter(pk__in=missing).values_list(
            "pk", "nom", "prenom", "id_tiers"
        )
    }
    for r in rows:
        if NAMES[0] not in r:
            r.update(found.get(r["tiers_id"], dict.fromkeys(NAMES)))
    return rows


def tranches_of(row: dict[str, Any]) -> list[Any]:
    """A debtor row's amounts per bucket, in the order of TRANCHES (None when nothing is due)."""
    return [row[f"t{i}"] for i in range(len(TRANCHES))]


def nom(row: dict[str, Any]) -> str:
    if row["tiers_id"] is None:
        return "Débiteur non renseigné"
    return f"{row['tiers__nom'] or ''} {row['tiers__prenom'] or ''}".strip()


def export_rows(rows: QuerySet[Any]) -> Iterator[list[Any]]:
    """The per-debtor rows as the list shows them, for the exports."""
    chunk: list[dict[str, Any]] = []
    with reading():
        for row in rows.iterator(chunk_size=CHUNK):
            chunk.append(row)
            if len(chunk) == CHUNK:
                yield from _export_chunk(chunk)
                chunk = []
        yield from _export_chunk(chunk)


def _export_chunk(chunk: list[dict[str, Any]]) -> Iterator[list[Any]]:
    for row in with_names(chunk):
        yield [
            nom(row),
            row["tiers__id_tiers"] or "",
            row["nombre"],
            row["reste"],
            row["plus_ancienne"],
            *tranches_of(row),
        ]
