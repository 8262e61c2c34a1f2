"""The SD / SC rule of the balance des comptes, checked on the DGFiP's own open-data rows."""

from __future__ import annotations

import csv
from decimal import Decimal

from pigp.formats.balance import COLUMNS, Mouvements, soldes, total, totaux_soldes
from tests.reference import REFERENCE, reference

SAMPLE = REFERENCE / "helios" / "balance_dgfip_communes_2024_sample.csv"


def test_every_open_data_row_gets_its_published_sd_and_sc():
    with reference(SAMPLE).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert len(rows) == 20
    assert set(COLUMNS) <= set(rows[0])
    for row in rows:
        amounts = [Decimal(row[c]) for c in COLUMNS[:6]]
        sd, sc = soldes(*amounts)
        assert (sd, sc) == (Decimal(row["sd"]), Decimal(row["sc"])), row["compte"]
        assert Mouvements(*amounts).row()[6:] == (sd, sc)


def test_the_balance_is_on_one_side_only():
    assert soldes(*map(Decimal, ("100", "0", "0", "30", "0", "0"))) == (Decimal(70), Decimal(0))
    assert soldes(*map(Decimal, ("0", "0", "10", "40", "5", "0"))) == (Decimal(0), Decimal(25))
    assert soldes(*[Decimal(0)] * 6) == (Decimal(0), Decimal(0))


def test_sums_keep_both_sides_of_their_accounts():
    debit = Mouvements(obnetdeb=Decimal("100.00"))
    credit = Mouvements(onbcre=Decimal("40.00"))
    both = total([debit, credit])
    assert both.debits == Decimal("100.00") and both.credits == Decimal("40.00")
    assert (both.sd, both.sc) == (Decimal("60.00"), Decimal("0.00"))
    assert totaux_soldes([debit, credit]) == (Decimal("100.00"), Decimal("40.00"))
