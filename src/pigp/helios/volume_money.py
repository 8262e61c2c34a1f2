"""The volume seed's invoice numbers and Trésor account (`volume`): rows that look like the
ones Hélios writes, through the same `Sink`.

- A mandat pays one invoice of its tiers (sometimes two, sometimes none: a subsidy has no
  invoice); each supplier numbers its invoices its own way, in increasing order.
- The Trésor account moves as `money.payments` and `money.recovery` move it: one negative
  movement per payment on its date (« Paiement » and its EndToEndId), one positive movement per
  encaissement (« Encaissement titre » and the titre's number); each budget's exercice opens
  on 1 January with a balance that keeps its account above a floor all year (the seed knows
  only its titres, not the taxes and grants that fund a real budget).

Its own random stream, so that the rows `volume` drew before stay the same for a seed.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING

from pigp.core.models import Collectivite
from pigp.helios.models import (
    Encaissement,
    Exercice,
    FacturePiece,
    MouvementTresorerie,
    Paiement,
    SoldeOuverture,
    Tiers,
)

if TYPE_CHECKING:
    from pigp.helios.volume import Sink

NO_INVOICE = 0.12  # share of mandats with no invoice
TWO_INVOICES = 0.03  # share of mandats paying two
FLOOR = Decimal("100000")  # lowest balance of the year, rounded up to the thousand
THOUSAND = Decimal("1000")


class Invoices:
    """Invoice numbers of the mandats, per supplier."""

    def __init__(self, sink: Sink, seed: int) -> None:
        self.sink = sink
        self.rng = random.Random(seed * 7919 + 1)  # noqa: S311 - reproducible test data
        self.last: dict[int, int] = {}

    def numero(self, tiers: Tiers, annee: int) -> str:
        rng = self.rng
        seq = self.last.get(tiers.pk, rng.randint(1, 900)) + rng.randint(1, 30)
        self.last[tiers.pk] = seq
        style = tiers.pk % 3
        if style == 0:
            return f"FA{annee}{seq:06d}"
        if style == 1:
            return f"{annee}-{seq:05d}"
        return f"F/{annee}/{seq}"

    def add(self, coll: Collectivite, annee: int, tiers: Tiers, piece_id: int) -> None:
        roll = self.rng.random()
        if roll < NO_INVOICE:
            return
        for _ in range(2 if roll > 1 - TWO_INVOICES else 1):
            self.sink.new(
                FacturePiece,
                piece_id=piece_id,
                collectivite=coll,
                numero=self.numero(tiers, annee),
            )


class Treasury:
    """The movements of each budget's Trésor account, and its openings once all are known."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.net: dict[tuple[int, datetime.date], Decimal] = defaultdict(Decimal)

    def _move(self, budget_id: int, day: datetime.date, montant: Decimal, **what: object) -> None:
        self.sink.new(MouvementTresorerie, budget_id=budget_id, date=day, montant=montant, **what)
        self.net[(budget_id, day)] += montant

    def paid(self, budget_id: int, paiement: Paiement) -> None:
        self._move(
            budget_id,
            paiement.date,
            -paiement.montant,
            libelle=f"{MouvementTresorerie.LIBELLE_PAIEMENT}{paiement.reference}",
            paiement=paiement,
        )

    def recovered(self, budget_id: int, encaissement: Encaissement, id_pce: str) -> None:
        self._move(
            budget_id,
            encaissement.date,
            encaissement.montant,
            libelle=f"{MouvementTresorerie.LIBELLE_ENCAISSEMENT}{id_pce}"[:200],
            encaissement=encaissement,
        )

    def openings(self, exercices: list[Exercice]) -> None:
        """One opening balance per budget and exercice, on 1 January."""
        by_year: dict[tuple[int, int], list[tuple[datetime.date, Decimal]]] = defaultdict(list)
        for (budget_id, day), amount in self.net.items():
            by_year[(budget_id, day.year)].append((day, amount))
        for exercice in exercices:
            balance, lowest = Decimal(0), Decimal(0)
            for _day, amount in sorted(by_year.get((exercice.budget_id, exercice.annee), [])):
                balance += amount
                lowest = min(lowest, balance)
            opening = ((FLOOR - lowest) / THOUSAND).to_integral_value(ROUND_CEILING) * THOUSAND
            self.sink.new(
                SoldeOuverture,
                exercice=exercice,
                montant=opening,
                date=datetime.date(exercice.annee, 1, 1),
            )
