"""Trésorerie: the Trésor account (compte 515) of a budget, day by day.

Balance of a day = opening balance of the exercice + every movement (payments negative,
encaissements positive) up to that day. Movements are summed by the database, per day.

A payment counts once, on its run's execution date: when a bank statement later shows it
debited (`statement_debits`), the reconciliation notes it on the payment and moves nothing here.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pigp.core import journal
from pigp.core.models import Budget, PosteComptable
from pigp.helios.models import CompteTresor, Exercice, MouvementTresorerie, SoldeOuverture

ZERO = Decimal("0.00")


class TreasuryError(Exception):
    """Refused; the message is for the comptable, in French."""


@dataclass(frozen=True)
class Day:
    date: datetime.date
    encaissements: Decimal
    paiements: Decimal  # negative or zero
    solde: Decimal

    @property
    def net(self) -> Decimal:
        return self.encaissements + self.paiements


@dataclass(frozen=True)
class Balance:
    budget: Budget
    annee: int
    ouverture: Decimal
    date_ouverture: datetime.date
    days: list[Day]

    @property
    def solde(self) -> Decimal:
        return self.days[-1].solde if self.days else self.ouverture

    @property
    def encaissements(self) -> Decimal:
        return sum((d.encaissements for d in self.days), ZERO)

    @property
    def paiements(self) -> Decimal:
        return sum((d.paiements for d in self.days), ZERO)


def set_opening(
    budget: Budget, annee: int, montant: Decimal, day: datetime.date, *, actor: str
) -> SoldeOuverture:
    """Set (or correct) the opening balance of the budget's exercice `annee`."""
    if day.year != annee:
        raise TreasuryError(f"La date du solde d'ouverture doit être dans l'année {annee}.")
    if montant.quantize(Decimal("0.01")) != montant:
        raise TreasuryError("Le montant a au plus deux décimales.")
    with transaction.atomic():
        exercice, _ = Exercice.objects.get_or_create(budget=budget, annee=annee)
        if exercice.cloture:
            raise TreasuryError(
                f"L'exercice {annee} est clos : son solde d'ouverture ne change plus."
            )
        solde, created = SoldeOuverture.objects.update_or_create(
            exercice=exercice, defaults={"montant": montant, "date": day}
        )
        journal.record(
            "helios_solde_ouverture",
            actor_label=actor,
            obj=solde,
            collectivite=budget.collectivite_id,
            details={
                "annee": annee,
                "montant": str(montant),
                "date": day.isoformat(),
                "creation": created,
            },
        )
    return solde


def set_compte(
    poste: PosteComptable, *, titulaire: str, iban: str, bic: str, ics: str, actor: str
) -> CompteTresor:
    """Create or correct the poste's account at the Trésor (debtor of transfers, ICS of
    direct debits). Values are checked by the form; this only records and journals."""
    with transaction.atomic():
        compte, created = CompteTresor.objects.update_or_create(
            poste=poste, defaults={"titulaire": titulaire, "iban": iban, "bic": bic, "ics": ics}
        )
        journal.record(
            "helios_compte_tresor",
            actor_label=actor,
            obj=compte,
            details={"iban": iban, "bic": bic, "ics": ics, "creation": created},
        )
    return compte


def daily_balance(budget: Budget, annee: int) -> Balance:
    """The balance of the budget's Trésor account on each day of `annee` with a movement."""
    opening = (
        SoldeOuverture.objects.filter(exercice__budget=budget, exercice__annee=annee)
        .values_list("montant", "date")
        .first()
    )
    ouverture, start = opening or (ZERO, datetime.date(annee, 1, 1))
    rows = (
        MouvementTresorerie.objects.filter(
            budget=budget, date__gte=start, date__lte=datetime.date(annee, 12, 31)
        )
        .values("date")
        .annotate(
            credits=Sum("montant", filter=Q(montant__gt=0), default=ZERO),
            debits=Sum("montant", filter=Q(montant__lt=0), default=ZERO),
        )
        .order_by("date")
    )
    solde = ouverture
    days = []
    for row in rows:
        credits, debits = Decimal(row["credits"]), Decimal(row["debits"])
        solde += credits + debits
        days.append(Day(row["date"], credits, debits, solde))
    return Balance(budget, annee, ouverture, start, days)


def soldes(budget_ids: list[int], annee: int) -> dict[int, Decimal]:
    """The balance of each budget's Trésor account for `annee` with every movement recorded
    (the last balance of `daily_balance`): one query for the openings, one per budget."""
    openings = {
        budget: (montant, day)
        for budget, montant, day in SoldeOuverture.objects.filter(
            exercice__budget_id__in=budget_ids, exercice__annee=annee
        ).values_list("exercice__budget_id", "montant", "date")
    }
    result = {}
    for budget in budget_ids:
        ouverture, start = openings.get(budget, (ZERO, datetime.date(annee, 1, 1)))
        moved = MouvementTresorerie.objects.filter(
            budget_id=budget, date__gte=start, date__lte=datetime.date(annee, 12, 31)
        ).aggregate(total=Sum("montant", default=ZERO))["total"]
        result[budget] = ouverture + Decimal(moved)
    return result


def to_csv(balance: Balance) -> str:
    """French spreadsheet CSV (semicolons, decimal commas)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["date", "encaissements", "paiements", "solde"])

    def fr(amount: Decimal) -> str:
        return f"{amount:.2f}".replace(".", ",")

    writer.writerow([balance.date_ouverture.isoformat(), "", "", fr(balance.ouverture)])
    for day in balance.days:
        writer.writerow(
            [day.date.isoformat(), fr(day.encaissements), fr(-day.paiements), fr(day.solde)]
        )
    return out.getvalue()


def _fr(amount: Decimal) -> str:
    return f"{amount:,.2f} €".replace(",", "\u202f").replace(".", ",")


def chart_svg(balance: Balance, width: int = 720, height: int = 240) -> SafeString:
    """A line of the daily balance, drawn server-side (no script); empty when nothing moved."""
    if not balance.days:
        return mark_safe("")
    points = [(balance.date_ouverture, balance.ouverture)] + [
        (d.date, d.solde) for d in balance.days
    ]
    left, right, top, bottom = 110, 10, 10, 30
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    values = [v for _, v in points] + [ZERO]
    low, high = min(values), max(values)
    if high == low:
        high = low + 1

    def x(day: datetime.date) -> float:
        return left + (width - left - right) * (day - first).days / span

    def y(value: Decimal) -> float:
        return top + (height - top - bottom) * float((high - value) / (high - low))

    path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    zero = y(ZERO)
    label = (
        f"Solde du compte au Trésor, {balance.annee} : de {_fr(balance.ouverture)} "
        f"à {_fr(balance.solde)}"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" class="helios-chart">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{left}" y1="{zero:.1f}" x2="{width - right}" y2="{zero:.1f}" '
        'stroke="#929292" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{y(high) + 4:.1f}" text-anchor="end" font-size="11">'
        f"{_fr(high)}</text>",
        f'<text x="{left - 6}" y="{y(low) + 4:.1f}" text-anchor="end" font-size="11">'
        f"{_fr(low)}</text>",
        f'<text x="{left}" y="{height - 8}" font-size="11">{first:%d/%m/%Y}</text>',
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11">'
        f"{last:%d/%m/%Y}</text>",
        f'<polyline fill="none" stroke="#000091" stroke-width="2" points="{path}"/>',
        "</svg>",
    ]
    # Only numbers, dates and escaped text above.
    return mark_safe("".join(parts))
