"""What awaits a comptable on his poste, in a few aggregate queries: his portal home shows it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum

from pigp.core.models import User
from pigp.helios.models import Domaine, EtatPiece, Piece
from pigp.helios.workbench import AWAITING, age_days


@dataclass(frozen=True)
class Overview:
    pieces_en_attente: int
    bordereaux_en_attente: int
    plus_ancienne: datetime.datetime | None
    mandats_a_payer: int
    montant_a_payer: Decimal
    titres_a_recouvrer: int

    @property
    def age_plus_ancienne(self) -> int:
        return age_days(self.plus_ancienne)


def for_comptable(user: User) -> Overview:
    pieces = Piece.objects.filter(collectivite__poste_id=user.poste_id)
    waiting = pieces.filter(etat__in=AWAITING).aggregate(
        n=Count("id"), b=Count("bordereau_id", distinct=True), oldest=Min("bordereau__recu_le")
    )
    taken = pieces.filter(etat=EtatPiece.PRISE_EN_CHARGE).aggregate(
        mandats=Count("id", filter=Q(domaine=Domaine.DEPENSE)),
        montant=Sum("mt_ttc", filter=Q(domaine=Domaine.DEPENSE)),
    )
    titres = pieces.filter(
        domaine=Domaine.RECETTE, etat__in=(EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE)
    ).count()
    return Overview(
        pieces_en_attente=waiting["n"],
        bordereaux_en_attente=waiting["b"],
        plus_ancienne=waiting["oldest"],
        mandats_a_payer=taken["mandats"],
        montant_a_payer=taken["montant"] or Decimal("0.00"),
        titres_a_recouvrer=titres,
    )
