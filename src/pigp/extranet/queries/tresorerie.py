"""Trésorerie of one budget of a collectivité over a period: the daily balance of its Trésor
account (compte 515) as Hélios computes it, exercice by exercice, and the movements behind it.

The balance is Hélios' own (`helios.money.treasury.daily_balance`: the exercice's opening balance
plus every movement since); a period crossing a year end takes each exercice's figures in turn,
so that on the first day of an exercice the balance is that exercice's opening balance.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from pigp.core.models import Budget
from pigp.helios.models import MouvementTresorerie
from pigp.helios.money.treasury import ZERO, Day, daily_balance

# A longer period would read too many exercices for one page (two queries each).
MAX_DAYS = 3 * 366


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve months, today included."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + datetime.timedelta(days=1), today


@dataclass(frozen=True)
class Periode:
    budget: Budget
    debut: datetime.date
    fin: datetime.date
    # One per day: the first day of the period, the first day of each exercice it crosses,
    # and every day with a movement; each with the balance at the end of that day.
    days: list[Day]
    encaissements: Decimal  # of the whole period
    paiements: Decimal  # negative or zero

    @property
    def solde(self) -> Decimal:
        """The balance at the end of the period's last day."""
        return self.days[-1].solde

    @property
    def ouverture(self) -> Decimal:
        """The balance at the start of the period's first day, before its movements."""
        return self.days[0].solde - self.days[0].net

    def points(self) -> list[tuple[datetime.date, Decimal]]:
        return [(d.date, d.solde) for d in self.days]


def periode(budget: Budget, debut: datetime.date, fin: datetime.date) -> Periode:
    """The budget's daily balance from `debut` to `fin` (two queries per exercice crossed)."""
    days: list[Day] = []
    for annee in range(debut.year, fin.year + 1):
        balance = daily_balance(budget, annee)
        start = max(debut, datetime.date(annee, 1, 1))
        up_to_start = [d for d in balance.days if d.date <= start]
        if up_to_start and up_to_start[-1].date == start:
            days.append(up_to_start[-1])
        else:
            solde = up_to_start[-1].solde if up_to_start else balance.ouverture
            days.append(Day(start, ZERO, ZERO, solde))
        days.extend(d for d in balance.days if start < d.date <= fin)
    encaissements = sum((d.encaissements for d in days), ZERO)
    return Periode(budget, debut, fin, days, encaissements, sum((d.paiements for d in days), ZERO))


def mouvements(
    budget: Budget, debut: datetime.date, fin: datetime.date
) -> QuerySet[MouvementTresorerie]:
    """The movements of the budget's Trésor account from `debut` to `fin`, with the mandat or
    titre behind each, in date order."""
    return (
        MouvementTresorerie.objects.filter(budget=budget, date__gte=debut, date__lte=fin)
        .select_related("paiement__piece", "encaissement__piece")
        .order_by("date", "id")
    )


HEADERS = ["Date", "Libellé", "Nature", "Pièce", "Montant"]


def rows(qs: QuerySet[MouvementTresorerie]) -> Iterator[list[Any]]:
    """The movements as the list shows them, typed (date, str, Decimal), read in chunks."""
    for day, libelle, montant, mandat, titre in qs.values_list(
        "date", "libelle", "montant", "paiement__piece__id_pce", "encaissement__piece__id_pce"
    ).iterator(chunk_size=2000):
        if mandat:
            nature, piece = "Paiement", f"Mandat n° {mandat}"
        elif titre:
            nature, piece = "Encaissement", f"Titre n° {titre}"
        else:
            nature, piece = ("Encaissement" if montant > 0 else "Décaissement"), ""
        yield [day, libelle, nature, piece, montant]
