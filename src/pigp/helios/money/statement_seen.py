"""Statement lines already seen: the same bank movement reported by two files.

A bank reports a movement more than once — in the intraday notification (camt.054), then in
the end-of-day statement (camt.053) — and the two files differ, so the import's digest does
not recognise it. `SeenLines` does, for the credit lines (`CamtLine`) and the debit lines
(`CamtDebit`) alike. Two lines are the same movement when they have the same account, amount
and booking date, and

- both carry the bank's reference (AcctSvcrRef) and it is the same: the bank gives each
  movement its own, so two different references are two movements;
- otherwise (one of them or both without it), both carry the same EndToEndId (an entry of one
  transaction: a batch has no single EndToEndId).

A line with neither is always new: nothing then tells a repeat from two equal payments booked
the same day (two debtors paying the same sum, a payer paying twice), which are legitimate and
must both be counted. Within one statement, a bank reference seen twice is a repeat; an
EndToEndId seen twice is two payments (payers reuse their own references), so for it only the
earlier statements count.

The lines already imported are read in a fixed number of queries (by reference, in chunks),
whatever the size of the statement.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pigp.core.models import Collectivite
from pigp.formats import sepa
from pigp.helios.models import CamtDebit, CamtLine
from pigp.helios.money.bulk import chunks

# What a repeated line is called, and what is not done again, per kind of line.
WORDING = {
    CamtLine: ("Crédit", "aucun encaissement n'est enregistré une seconde fois"),
    CamtDebit: ("Débit", "rien n'est compté deux fois"),
}


def entry_account(entry: sepa.CamtEntry) -> str:
    """The statement's account (IBAN without spaces), or "" when the file names none."""
    return (entry.account_iban or "").replace(" ", "").upper()[:34]


def entry_end_to_end_id(entry: sepa.CamtEntry) -> str:
    """The EndToEndId of an entry of one transaction ("" for a batch or without one)."""
    ids = entry.given_end_to_end_ids
    return ids[0][:35] if len(ids) == 1 and len(entry.transactions) == 1 else ""


@dataclass(frozen=True)
class Movement:
    """What a statement line says of the bank movement it reports."""

    compte: str
    montant: Decimal
    date: datetime.date
    reference_banque: str = ""
    bout_en_bout: str = ""

    @classmethod
    def of(cls, line: CamtLine | CamtDebit | dict) -> Movement:
        get: Callable[[str], Any] = (
            line.get if isinstance(line, dict) else lambda name: getattr(line, name)
        )
        return cls(
            get("compte") or "",
            get("montant"),
            get("date"),
            get("reference_banque") or "",
            get("bout_en_bout") or "",
        )

    @property
    def base(self) -> tuple[str, Decimal, datetime.date]:
        return self.compte, self.montant, self.date


class SeenLines:
    """The lines of `model` a collectivité's earlier statements have, for the movements of
    `lines` (the statement being imported); `check` each line in the statement's order."""

    def __init__(
        self,
        model: type[CamtLine] | type[CamtDebit],
        collectivite: Collectivite,
        lines: Iterable[CamtLine | CamtDebit],
    ) -> None:
        self.noun, self.consequence = WORDING[model]
        self.by_ref: dict[tuple, str] = {}  # (account, amount, date, AcctSvcrRef) -> where
        # (account, amount, date, EndToEndId) -> {had a bank reference: where}
        self.by_e2e: dict[tuple, dict[bool, str]] = {}
        moves = [Movement.of(line) for line in lines]
        refs = sorted({m.reference_banque for m in moves if m.reference_banque})
        e2e = sorted({m.bout_en_bout for m in moves if m.bout_en_bout})
        earlier = model.objects.filter(camt__collectivite=collectivite)
        fields = ("compte", "montant", "date", "reference_banque", "bout_en_bout", "camt__nom")
        for name, values in (("reference_banque", refs), ("bout_en_bout", e2e)):
            for chunk in chunks(values):
                for row in earlier.filter(**{f"{name}__in": chunk}).values(*fields):
                    self._add(Movement.of(row), f"relevé « {row['camt__nom']} »")

    def _add(self, move: Movement, where: str) -> None:
        if move.reference_banque:
            self.by_ref.setdefault((*move.base, move.reference_banque), where)
        if move.bout_en_bout:
            seen = self.by_e2e.setdefault((*move.base, move.bout_en_bout), {})
            seen.setdefault(bool(move.reference_banque), where)

    def check(self, line: CamtLine | CamtDebit) -> str:
        """The French explanation when `line` repeats a movement already seen, else ""."""
        move = Movement.of(line)
        if move.reference_banque:
            where = self.by_ref.get((*move.base, move.reference_banque))
            if where:
                return self._text(where, f"référence de la banque {move.reference_banque}")
        if move.bout_en_bout:
            seen = self.by_e2e.get((*move.base, move.bout_en_bout), {})
            # Two bank references, if both lines have one, have been compared above.
            where = seen.get(False) or ("" if move.reference_banque else seen.get(True, ""))
            if where:
                return self._text(where, f"référence de bout en bout {move.bout_en_bout}")
        if move.reference_banque:
            self.by_ref[(*move.base, move.reference_banque)] = "même relevé"
        return ""

    def _text(self, where: str, by: str) -> str:
        return (
            f"{self.noun} déjà constaté ({where} : même {by}, même compte, même montant, même "
            f"date) : {self.consequence}."
        )[:500]


__all__ = ["Movement", "SeenLines", "entry_account", "entry_end_to_end_id"]
