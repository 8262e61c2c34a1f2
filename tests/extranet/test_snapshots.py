"""`extranet.snapshots`: a result is reused only under the same name, key and versions."""

from __future__ import annotations

import pytest

from pigp.extranet import snapshots
from pigp.helios import versions
from pigp.helios.models import Exercice


def test_kept_recomputes_when_the_version_or_the_key_changes() -> None:
    calls: list[str] = []

    def compute(label: str):
        def run() -> str:
            calls.append(label)
            return label

        return run

    assert snapshots.kept("n", ("a", 1), ((1, 1),), compute("first")) == "first"
    assert snapshots.kept("n", ("a", 1), ((1, 1),), compute("again")) == "first"
    assert snapshots.kept("n", ("a", 1), ((1, 2),), compute("moved")) == "moved"
    assert snapshots.kept("n", ("a", 2), ((1, 2),), compute("other key")) == "other key"
    assert snapshots.kept("m", ("a", 1), ((1, 2),), compute("other name")) == "other name"
    assert calls == ["first", "moved", "other key", "other name"]


@pytest.mark.django_db
def test_a_budget_version_moves_with_any_of_its_exercices(collectivite) -> None:
    from tests.helios.test_payments_support import Ledger

    ledger = Ledger(collectivite)
    first = Exercice.objects.create(budget=ledger.budget, annee=2001)
    second = Exercice.objects.create(budget=ledger.budget, annee=2002)
    before = snapshots.of_budget(ledger.budget.pk)
    versions.touch([first.pk])
    after_first = snapshots.of_budget(ledger.budget.pk)
    versions.touch([second.pk])
    after_second = snapshots.of_budget(ledger.budget.pk)
    assert len({before, after_first, after_second}) == 3
    assert snapshots.of_collectivite(ledger.collectivite.pk) == after_second
