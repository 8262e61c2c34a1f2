"""A tiers' page: all its mandats and titres, what was paid and what is still due."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from pigp.helios.models import Domaine, EtatPiece, Piece, Tiers

# Mandats still to be paid to the tiers, titres it still owes on.
A_PAYER = [EtatPiece.RECUE, EtatPiece.EN_INSTANCE, EtatPiece.PRISE_EN_CHARGE]
A_RECOUVRER = [EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE]


@dataclass(frozen=True)
class TiersSummary:
    mandats: int
    paye: Decimal
    a_payer: Decimal
    titres: int
    titre: Decimal
    reste_a_recouvrer: Decimal


def pieces_of(tiers: Tiers, domaine: str) -> QuerySet[Piece]:
    return (
        Piece.objects.filter(tiers=tiers, domaine=domaine)
        .select_related("bordereau", "exercice__budget")
        .order_by("-date_emission", "-id")
    )


def summary(tiers: Tiers) -> TiersSummary:
    """The totals of the tiers' page, in one query."""
    dep, rec = Q(domaine=Domaine.DEPENSE), Q(domaine=Domaine.RECETTE)
    agg = Piece.objects.filter(tiers=tiers).aggregate(
        mandats=Count("id", filter=dep),
        paye=Sum("mt_ttc", filter=dep & Q(etat=EtatPiece.PAYEE)),
        a_payer=Sum("mt_ttc", filter=dep & Q(etat__in=A_PAYER)),
        titres=Count("id", filter=rec),
        titre=Sum("mt_ttc", filter=rec & ~Q(etat=EtatPiece.REJETEE)),
        reste=Sum("reste_a_recouvrer", filter=rec & Q(etat__in=A_RECOUVRER)),
    )
    zero = Decimal("0.00")
    return TiersSummary(
        mandats=agg["mandats"],
        paye=agg["paye"] or zero,
        a_payer=agg["a_payer"] or zero,
        titres=agg["titres"],
        titre=agg["titre"] or zero,
        reste_a_recouvrer=agg["reste"] or zero,
    )
