"""The balance des comptes in the DGFiP open-data layout ("balances comptables").

Each account carries its entry balance (BEDEB / BECRE), its budgetary operations net of
cancellations (OBNETDEB / OBNETCRE), its non-budgetary operations (ONBDEB / ONBCRE), and its
closing balance on one side only: ``SD = max(0, BEDEB − BECRE + OBNETDEB − OBNETCRE + ONBDEB −
ONBCRE)``, ``SC`` the mirror. Pure and Django-free: the rule, the columns and their sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

ZERO = Decimal("0.00")

# The amount columns of the open-data file, in its order and with its (lower-case) names.
COLUMNS = ("bedeb", "becre", "obnetdeb", "obnetcre", "onbdeb", "onbcre", "sd", "sc")


def soldes(
    bedeb: Decimal,
    becre: Decimal,
    obnetdeb: Decimal,
    obnetcre: Decimal,
    onbdeb: Decimal,
    onbcre: Decimal,
) -> tuple[Decimal, Decimal]:
    """(SD, SC): the closing balance, debit or credit, the other side zero."""
    net = bedeb - becre + obnetdeb - obnetcre + onbdeb - onbcre
    return max(ZERO, net), max(ZERO, -net)


@dataclass(frozen=True)
class Mouvements:
    """The six movement columns of one account (or of a sum of accounts)."""

    bedeb: Decimal = ZERO
    becre: Decimal = ZERO
    obnetdeb: Decimal = ZERO
    obnetcre: Decimal = ZERO
    onbdeb: Decimal = ZERO
    onbcre: Decimal = ZERO

    def __add__(self, other: Mouvements) -> Mouvements:
        return Mouvements(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(Mouvements))
        )

    @property
    def sd(self) -> Decimal:
        return soldes(*self.values())[0]

    @property
    def sc(self) -> Decimal:
        return soldes(*self.values())[1]

    def values(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]:
        return (self.bedeb, self.becre, self.obnetdeb, self.obnetcre, self.onbdeb, self.onbcre)

    def row(self) -> tuple[Decimal, ...]:
        """The eight amount columns, in the open-data order."""
        return (*self.values(), self.sd, self.sc)

    @property
    def debits(self) -> Decimal:
        return self.bedeb + self.obnetdeb + self.onbdeb

    @property
    def credits(self) -> Decimal:
        return self.becre + self.obnetcre + self.onbcre


def total(lines: Iterable[Mouvements]) -> Mouvements:
    return sum(lines, Mouvements())


def totaux_soldes(lines: Iterable[Mouvements]) -> tuple[Decimal, Decimal]:
    """The sums of the accounts' own SD and SC (a subtotal's balance is not the balance of its
    sum: accounts with a debit balance and accounts with a credit balance both show)."""
    sd = sc = ZERO
    for line in lines:
        sd += line.sd
        sc += line.sc
    return sd, sc
