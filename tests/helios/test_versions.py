"""The ledger's version per exercice (`helios.versions`): moved by every write to an
exercice's pièces, in the write's transaction, and by nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from pigp.helios import cloture, states, versions
from pigp.helios.models import EtatPiece, Exercice, Piece, StadeRecouvrement
from pigp.helios.money import payments, recovery, statements
from tests.flows import receive_generated
from tests.helios.test_payments_support import RUN_DAY
from tests.helios.test_recovery import camt, credit

E = EtatPiece
ACTOR = "comptable@example.fr"
D = Decimal


def version(exercice_id: int) -> int:
    return versions.of([exercice_id])[0][1]


@pytest.mark.django_db
def test_an_exercice_never_written_is_at_zero_and_touch_counts_each_write(ledger):
    other = Exercice.objects.create(budget=ledger.budget, annee=1999)
    assert versions.of([other.pk]) == ((other.pk, 0),)
    versions.touch([other.pk])
    versions.touch([other.pk, other.pk])
    assert version(other.pk) == 2
    versions.touch([])  # nothing to move, no query needed


@pytest.mark.django_db(transaction=True)
def test_reception_moves_the_version_of_the_bordereaux_exercice(collectivite, tmp_path):
    receive_generated(collectivite, tmp_path / "PES.xml", seed=3, bordereaux=1, pieces=3)
    exercices = set(Piece.objects.values_list("exercice_id", flat=True))
    assert exercices and all(version(pk) >= 1 for pk in exercices)


@pytest.mark.django_db
def test_each_decision_moves_the_version(ledger):
    m = ledger.mandat(etat=E.RECUE)
    before = version(m.exercice_id)
    states.transition(m, E.EN_INSTANCE, actor=ACTOR, motif_code="01")
    states.transition(m, E.PRISE_EN_CHARGE, actor=ACTOR)
    assert version(m.exercice_id) == before + 2


@pytest.mark.django_db
def test_a_refused_decision_leaves_the_version(ledger):
    m = ledger.mandat(etat=E.RECUE)
    before = version(m.exercice_id)
    with pytest.raises(states.TransitionError):
        states.transition(m, E.PAYEE, actor=ACTOR)
    assert version(m.exercice_id) == before


@pytest.mark.django_db
def test_payment_run_and_every_encaissement_move_the_version(ledger, compte):
    m = ledger.mandat("100.00")
    t = ledger.titre("100.00")
    start = version(m.exercice_id)
    payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    after_run = version(m.exercice_id)
    assert after_run > start
    recovery.record_encaissement(t, D("40.00"), RUN_DAY, actor=ACTOR)
    partielle = version(t.exercice_id)
    # An encaissement that leaves the titre partielle changes no state, but its reste: counted.
    recovery.record_encaissement(t, D("20.00"), RUN_DAY, actor=ACTOR)
    assert partielle > after_run and version(t.exercice_id) > partielle


@pytest.mark.django_db
def test_bank_statement_and_stage_move_the_version(ledger, compte):
    part = ledger.titre("300.00", id_pce="505")
    before = version(part.exercice_id)
    content = camt([credit("100.00", ref="Titre n° 505 acompte")])
    statements.import_camt(ledger.collectivite, content, "releve.xml", actor=ACTOR)
    after_statement = version(part.exercice_id)
    assert after_statement > before
    recovery.set_stade(part, StadeRecouvrement.values[-1], actor=ACTOR)
    assert version(part.exercice_id) == after_statement + 1


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_the_version(ledger):
    m = ledger.mandat(etat=E.RECUE)
    before = version(m.exercice_id)
    with pytest.raises(RuntimeError), transaction.atomic():
        states.transition(m, E.PRISE_EN_CHARGE, actor=ACTOR)
        raise RuntimeError("annulé")
    assert version(m.exercice_id) == before
    assert Piece.objects.get(pk=m.pk).etat == E.RECUE


@pytest.mark.django_db
def test_closing_the_exercice_moves_its_version(ledger):
    m = ledger.mandat(etat=E.RECUE)
    states.transition(m, E.REJETEE, actor=ACTOR, motif_code="01")
    exercice = Exercice.objects.get(pk=m.exercice_id)
    before = version(exercice.pk)
    cloture.close(exercice, actor=ACTOR)
    assert version(exercice.pk) == before + 1
