"""The tableau de bord of one budget and exercice: states, payment delay, latest rejections."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from pigp.core.models import Collectivite
from pigp.helios.models import Domaine, EtatPiece, Exercice, Piece
from pigp.helios.motifs import motifs_for

# The legal payment delay of local authorities (Code de la commande publique, R. 2192-10).
DELAI_LEGAL_DAYS = 30
LATEST_REJECTIONS = 10


@dataclass(frozen=True)
class EtatLine:
    etat: str
    label: str
    nombre: int
    montant: Decimal


@dataclass(frozen=True)
class Delai:
    paid: int
    average_days: Decimal | None
    median_days: int | None
    beyond_legal: int

    @property
    def beyond_share(self) -> Decimal | None:
        if not self.paid:
            return None
        return (Decimal(100) * self.beyond_legal / self.paid).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Rejet:
    piece: Piece
    motifs: list[tuple[str, str]]


def exercices_of(collectivite: Collectivite) -> QuerySet[Exercice]:
    """The collectivité's exercices, latest first, each with the date of its latest prise en
    charge (`derniere_prise_en_charge`, None before any)."""
    # One probe per exercice of the index on (exercice, date_prise_en_charge), rather than a
    # join aggregating every pièce of the collectivité.
    latest = (
        Piece.objects.filter(exercice=OuterRef("pk"), date_prise_en_charge__isnull=False)
        .order_by("-date_prise_en_charge")
        .values("date_prise_en_charge")[:1]
    )
    return (
        Exercice.objects.filter(budget__collectivite=collectivite)
        .select_related("budget")
        .annotate(derniere_prise_en_charge=Subquery(latest))
        .order_by("-annee", "budget__cod_bud", "budget__libelle")
    )


def chosen_exercice(
    collectivite: Collectivite, chosen: str
) -> tuple[list[Exercice], Exercice | None]:
    """The exercices to choose from and the one asked for (`chosen`, a pk), else the latest
    year's exercice where the comptable worked last: the budget a user opens the page for."""
    exercices = list(exercices_of(collectivite))
    asked = next((e for e in exercices if str(e.pk) == chosen), None)
    if asked is not None or not exercices:
        return exercices, asked
    latest = [e for e in exercices if e.annee == exercices[0].annee]
    worked = [(day, e) for e in latest if (day := _last_prise_en_charge(e)) is not None]
    if not worked:
        return exercices, latest[0]
    return exercices, max(worked, key=lambda pair: pair[0])[1]


def _last_prise_en_charge(exercice: Exercice) -> datetime.date | None:
    """The annotation `exercices_of` puts on each exercice."""
    day: datetime.date | None = getattr(exercice, "derniere_prise_en_charge", None)
    return day


def etats(exercice: Exercice) -> dict[str, list[EtatLine]]:
    """Count and amount of mandats and titres by state, in the states' own order (one query)."""
    rows = (
        Piece.objects.filter(exercice=exercice)
        .order_by()
        .values("domaine", "etat")
        .annotate(nombre=Count("*"), montant=Sum("mt_ttc"))
    )
    found = {(r["domaine"], r["etat"]): r for r in rows}
    out: dict[str, list[EtatLine]] = {Domaine.DEPENSE: [], Domaine.RECETTE: []}
    for domaine in out:
        for etat in EtatPiece:
            row = found.get((domaine, etat.value))
            if row:
                out[domaine].append(
                    EtatLine(etat.value, etat.label, row["nombre"], row["montant"] or Decimal(0))
                )
    return out


def delai(exercice: Exercice) -> Delai:
    """Global payment delay, reception in Hélios → payment, of the exercice's paid mandats: one
    query counting the mandats by delay in days (read from the index on `Piece.delai_paiement`,
    a few hundred groups whatever the volume), from which the average, the median and the
    share beyond the legal delay follow."""
    histogram = sorted(
        Piece.objects.filter(
            exercice=exercice, domaine=Domaine.DEPENSE, delai_paiement__isnull=False
        )
        .order_by()
        .values_list("delai_paiement")
        .annotate(nombre=Count("*"))
    )
    paid = sum(n for _days, n in histogram)
    if not paid:
        return Delai(0, None, None, 0)
    total = sum(days * n for days, n in histogram)
    average = (Decimal(total) / paid).quantize(Decimal("0.1"))
    # The lower median when the count is even: a whole number of days either way.
    middle, seen, median = (paid - 1) // 2, 0, 0
    for days, n in histogram:
        seen += n
        if seen > middle:
            median = days
            break
    beyond = sum(n for days, n in histogram if days > DELAI_LEGAL_DAYS)
    return Delai(paid, average, median, beyond)


def rejets(exercice: Exercice, limit: int = LATEST_REJECTIONS) -> list[Rejet]:
    """The latest rejected mandats and titres, with their motifs in words."""
    pieces = (
        Piece.objects.filter(exercice=exercice, etat=EtatPiece.REJETEE)
        .select_related("tiers", "bordereau")
        .order_by("-date_rejet", "-id")[:limit]
    )
    return [
        Rejet(p, [(c, motifs_for(p.domaine).get(c, "")) for c in p.motif_code.split()])
        for p in pieces
    ]
