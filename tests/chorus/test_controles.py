"""The deposit's own totals check, for what the Schematron rules do not cover."""

from __future__ import annotations

from decimal import Decimal as D

from pigp.chorus.controles import totals_problems


def test_totals_that_add_up():
    assert totals_problems(D("100.00"), D("20.00"), D("120.00")) == []
    assert (
        totals_problems(
            D("100.00"),
            D("20.00"),
            D("120.00"),
            payable=D("70.00"),
            prepaid=D("50.00"),
            lines=[D("60.00"), D("40.00")],
            lines_total=D("100.00"),
        )
        == []
    )


def test_each_total_that_does_not_add_up_is_said():
    problems = totals_problems(
        D("100.00"),
        D("20.00"),
        D("121.00"),
        payable=D("121.00"),
        prepaid=D("50.00"),
        lines=[D("60.00"), D("41.00")],
        lines_total=D("100.00"),
    )
    assert problems == [
        "La somme des lignes (101,00 €) ne correspond pas au total des lignes (100,00 €).",
        "Le montant HT (100,00 €) plus la TVA (20,00 €) ne fait pas le montant TTC (121,00 €).",
        "Le montant à payer (121,00 €) n'est pas le TTC (121,00 €) moins les acomptes (50,00 €).",
    ]


def test_missing_or_absurd_amounts():
    assert totals_problems(None, None, D("1")) == [
        "Les montants HT et TTC de la facture sont absents."
    ]
    assert "dépasse la limite" in totals_problems(D("1e13"), D("0"), D("1e13"))[0]
