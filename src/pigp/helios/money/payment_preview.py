"""The preview of a payment run: what it would pay, what it leaves out, and the treasury after.

The comptable asks for a run, sees this preview (mandats, count, total, the balance of each
budget's Trésor account before and after the run), may exclude mandats, then confirms. The
confirmation carries the preview's `digest` and the excluded ids back to
`payments.run_payments`, which pays exactly that selection or refuses (`SelectionChanged`) when
the mandats it would pay are no longer those previewed. Nothing here writes anything.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from pigp.core.models import Budget, Collectivite
from pigp.helios.money import accounts, payments, treasury

# Ids the comptable may exclude in one preview (they travel in the query string and the form).
MAX_EXCLUDED = 1000


@dataclass(frozen=True)
class Line:
    piece_id: int
    id_pce: str
    annee: int
    clos: bool
    bordereau: str
    tiers: str
    objet: str
    montant: Decimal
    exclu: bool


@dataclass(frozen=True)
class BudgetBalance:
    budget: Budget
    annee: int
    avant: Decimal
    paiements: Decimal
    exclus: Decimal

    @property
    def apres(self) -> Decimal:
        return self.avant - self.paiements

    @property
    def negatif(self) -> bool:
        return self.apres < 0


@dataclass
class Preview:
    collectivite: Collectivite
    date_execution: datetime.date
    version: str
    lines: list[Line]  # payable mandats, excluded ones included (ticked), in pk order
    count: int
    total: Decimal
    excluded_count: int
    excluded_total: Decimal
    problems: list[payments.Excluded]
    balances: list[BudgetBalance]
    digest: str
    excluded_ids: list[int] = field(default_factory=list)

    @property
    def negative(self) -> list[BudgetBalance]:
        return [b for b in self.balances if b.negatif]


def _line(row: dict, exclu: bool) -> Line:
    return Line(
        piece_id=row["pk"],
        id_pce=row["id_pce"],
        annee=row["exercice__annee"],
        clos=row["exercice__cloture"],
        bordereau=row["bordereau__id_bord"],
        tiers=payments.tiers_name(row),
        objet=" ".join((row["objet"] or "").split()),
        montant=row["mt_ttc"],
        exclu=exclu,
    )


def preview(
    collectivite: Collectivite,
    date_execution: datetime.date,
    *,
    version: str = payments.DEFAULT_VERSION,
    exclude: Collection[int] = (),
) -> Preview:
    """What `run_payments` with the same arguments would pay now."""
    if version not in payments.VERSIONS:
        raise payments.PaymentError(f"Version de virement inconnue : {version}.")
    accounts.compte_tresor(collectivite)  # no account, no run: said before the preview
    chosen = payments.select(payments.candidates(collectivite), exclude)
    lines = sorted(
        [_line(r, False) for r in chosen.rows] + [_line(r, True) for r in chosen.left_out],
        key=lambda line: line.piece_id,
    )
    paid = chosen.by_budget()
    left: dict[int, Decimal] = {}
    for row in chosen.left_out:
        budget = row["exercice__budget_id"]
        left[budget] = left.get(budget, Decimal("0.00")) + row["mt_ttc"]
    budget_ids = sorted(set(paid) | set(left))
    annee = date_execution.year
    before = treasury.soldes(budget_ids, annee)
    budgets = Budget.objects.in_bulk(budget_ids)
    balances = [
        BudgetBalance(
            budgets[b], annee, before[b], paid.get(b, Decimal("0.00")), left.get(b, Decimal("0"))
        )
        for b in budget_ids
    ]
    excluded_total = sum((r["mt_ttc"] for r in chosen.left_out), Decimal("0.00"))
    return Preview(
        collectivite=collectivite,
        date_execution=date_execution,
        version=version,
        lines=lines,
        count=len(chosen.rows),
        total=chosen.total,
        excluded_count=len(chosen.left_out),
        excluded_total=excluded_total,
        problems=chosen.problems,
        balances=balances,
        digest=payments.selection_digest(collectivite, date_execution, version, chosen.rows),
        excluded_ids=[r["pk"] for r in chosen.left_out],
    )


def excluded_from(values: list[str]) -> list[int]:
    """The mandat ids ticked « exclure » (others ignored), at most MAX_EXCLUDED."""
    ids = sorted({int(v) for v in values if v.strip().isdigit() and len(v.strip()) < 19})
    if len(ids) > MAX_EXCLUDED:
        raise payments.PaymentError(
            f"Vous ne pouvez pas exclure plus de {MAX_EXCLUDED} mandats d'une campagne : "
            "lancez plutôt la campagne pour une autre date, ou corrigez les mandats."
        )
    return ids
