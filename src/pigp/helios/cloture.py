"""Clôture de l'exercice: nothing left to decide, pièces locked, ORC told. No way back.

There is no code path that reopens an exercice: `cloture` only goes from False to True, and
`states.transition` refuses every new decision (prise en charge, rejet, instance) on a pièce of a
closed exercice (`verrouillee`). Money still moves: mandats taken in charge and not yet paid
(restes à payer) and titres not yet recovered (restes à recouvrer) stay payable and recoverable
— payment runs, encaissements by hand, bank statements, direct debits — under their exercice of
origin. `restes` counts them for the clôture page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from pigp.core import journal
from pigp.helios import versions
from pigp.helios.models import Domaine, EtatPiece, Exercice, Paiement, Piece
from pigp.helios.signals import exercice_closed
from pigp.ui.text import pluriel

UNDECIDED = (EtatPiece.RECUE, EtatPiece.EN_INSTANCE)


class ClotureError(Exception):
    """The exercice cannot be closed; the message is for the comptable, in French."""


def counts_by_etat(exercice: Exercice) -> dict[str, int]:
    return dict(
        Piece.objects.filter(exercice=exercice)
        .values_list("etat")
        .annotate(n=Count("id"))
        .values_list("etat", "n")
    )


@dataclass(frozen=True)
class Restes:
    """What the exercice still has to pay and to recover (it stays payable after the clôture)."""

    mandats: int
    a_payer: Decimal
    titres: int
    a_recouvrer: Decimal


def restes(exercice: Exercice) -> Restes:
    """Mandats taken in charge and not paid, titres taken in charge and not recovered (one query)."""
    paid = Paiement.objects.filter(piece_id=OuterRef("pk"))
    a_payer = Q(domaine=Domaine.DEPENSE, etat=EtatPiece.PRISE_EN_CHARGE) & ~Q(Exists(paid))
    a_recouvrer = Q(
        domaine=Domaine.RECETTE,
        etat__in=(EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE),
        reste_a_recouvrer__gt=0,
    )
    zero = Decimal("0.00")
    row = Piece.objects.filter(exercice=exercice).aggregate(
        mandats=Count("pk", filter=a_payer),
        a_payer=Sum("mt_ttc", filter=a_payer, default=zero),
        titres=Count("pk", filter=a_recouvrer),
        a_recouvrer=Sum("reste_a_recouvrer", filter=a_recouvrer, default=zero),
    )
    return Restes(row["mandats"], row["a_payer"], row["titres"], row["a_recouvrer"])


def blockers(exercice: Exercice) -> list[str]:
    """Why the exercice cannot be closed now (empty when it can)."""
    if exercice.cloture:
        return [f"L'exercice {exercice.annee} est déjà clos : il ne peut pas être rouvert."]
    counts = counts_by_etat(exercice)
    reasons = []
    if counts.get(EtatPiece.RECUE):
        n = counts[EtatPiece.RECUE]
        reasons.append(f"{pluriel(n, 'pièce')} à prendre en charge")
    if counts.get(EtatPiece.EN_INSTANCE):
        n = counts[EtatPiece.EN_INSTANCE]
        reasons.append(f"{pluriel(n, 'pièce')} en instance")
    if reasons:
        return [
            f"L'exercice {exercice.annee} ne peut pas être clos : "
            + " et ".join(reasons)
            + ". Prenez-les en charge ou rejetez-les d'abord."
        ]
    return []


def close(exercice: Exercice, *, actor: str) -> Exercice:
    """Close the exercice, or raise ClotureError and change nothing."""
    with transaction.atomic():
        locked = Exercice.objects.select_for_update().select_related("budget").get(pk=exercice.pk)
        reasons = blockers(locked)
        if reasons:
            raise ClotureError(" ".join(reasons))
        versions.touch([locked.pk])
        pieces = Piece.objects.filter(exercice=locked).update(verrouillee=True)
        locked.cloture = True
        locked.closed_at = timezone.now()
        locked.closed_by = actor[:254]
        locked.save(update_fields=["cloture", "closed_at", "closed_by"])
        journal.record(
            "helios_exercice_clos",
            actor_label=actor,
            obj=locked,
            collectivite=locked.budget.collectivite_id,
            details={"annee": locked.annee, "pieces": pieces},
        )
        transaction.on_commit(lambda: exercice_closed.send(sender=Exercice, exercice=locked))
    exercice.refresh_from_db()
    return exercice
