"""Trésorerie: opening balance, daily balance = opening + encaissements − payments, CSV, chart."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pigp.helios.models import SoldeOuverture
from pigp.helios.money import payments, recovery, treasury
from tests.helios.test_payments_support import RUN_DAY

pytestmark = pytest.mark.django_db

ACTOR = "comptable@example.fr"
D = Decimal


def test_balance_is_opening_plus_encaissements_minus_payments(ledger, compte):
    budget = ledger.budget
    treasury.set_opening(budget, 2026, D("1000.00"), datetime.date(2026, 1, 1), actor=ACTOR)
    ledger.mandat("300.00", n=1)
    ledger.mandat("200.50", n=2)
    payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    titre = ledger.titre("80.00")
    day2 = RUN_DAY + datetime.timedelta(days=3)
    recovery.record_encaissement(titre, D("50.00"), day2, actor=ACTOR)
    recovery.record_encaissement(titre, D("30.00"), day2, actor=ACTOR)

    balance = treasury.daily_balance(budget, 2026)
    assert balance.ouverture == D("1000.00")
    assert [(d.date, d.encaissements, d.paiements, d.solde) for d in balance.days] == [
        (RUN_DAY, D("0"), D("-500.50"), D("499.50")),
        (day2, D("80.00"), D("0"), D("579.50")),
    ]
    assert balance.solde == balance.ouverture + balance.encaissements + balance.paiements
    csv = treasury.to_csv(balance)
    assert csv.splitlines()[0] == "date;encaissements;paiements;solde"
    assert "2026-03-20;0,00;500,50;499,50" in csv
    svg = treasury.chart_svg(balance)
    assert svg.startswith("<svg") and 'role="img"' in svg and "<polyline" in svg
    # Another year, or nothing moved: the opening balance only, no chart.
    empty = treasury.daily_balance(budget, 2025)
    assert empty.days == [] and empty.solde == 0 and treasury.chart_svg(empty) == ""


def test_opening_balance_is_corrected_not_duplicated(ledger):
    treasury.set_opening(ledger.budget, 2026, D("10.00"), datetime.date(2026, 1, 1), actor=ACTOR)
    treasury.set_opening(ledger.budget, 2026, D("-5.25"), datetime.date(2026, 1, 2), actor=ACTOR)
    assert SoldeOuverture.objects.get().montant == D("-5.25")
    with pytest.raises(treasury.TreasuryError, match="2026"):
        treasury.set_opening(ledger.budget, 2026, D("1"), datetime.date(2025, 12, 31), actor=ACTOR)
    ledger.exercice.cloture = True
    ledger.exercice.save()
    with pytest.raises(treasury.TreasuryError, match="clos"):
        treasury.set_opening(ledger.budget, 2026, D("1"), datetime.date(2026, 1, 1), actor=ACTOR)
