"""Payment runs: pain.001 valid and equal to the ledger; nothing paid twice; exclusions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.formats import sepa
from pigp.helios import states
from pigp.helios.models import EtatPiece, MouvementTresorerie, Paiement, PaymentRun, PieceEvent
from pigp.helios.money import bulk, payments
from tests.helios.test_payments_support import RUN_DAY, iban

# Shared fixtures.

pytestmark = pytest.mark.django_db

ACTOR = "comptable@example.fr"


def _content(run: PaymentRun) -> bytes:
    with files.open_stored(run.fichier) as fh:
        return fh.read()


@pytest.mark.parametrize("version", ["001.09", "001.03"])
def test_run_pays_payable_mandats_with_a_valid_pain001(ledger, compte, version):
    paid = [ledger.mandat("1234.56", n=1), ledger.mandat("10.01", n=2, mode="")]
    no_mode = ledger.mandat("50.00", n=3, mode="")  # no mode, but an IBAN: by transfer
    paid.append(no_mode)
    cheque = ledger.mandat("70.00", n=4, mode="02")  # paid otherwise
    recue = ledger.mandat("80.00", n=5, etat=EtatPiece.RECUE)
    bad = ledger.mandat("90.00", n=6, tiers=ledger.tiers("Sans RIB", "FR7630004000000000000000000"))
    titre = ledger.titre("30.00")

    result = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR, version=version)

    assert result.paid == 3 and result.total == Decimal("1294.57")
    assert [e.piece_id for e in result.excluded] == [bad.pk]
    assert "IBAN du créancier invalide" in result.excluded[0].reason
    run = result.run
    assert (
        run.nombre == 3
        and run.total == result.total
        and run.version == f"pain.{version[:3]}.{version}"
    )
    content = _content(run)
    report = sepa.validate(content, today=RUN_DAY)
    assert report.valid, [f.message for f in report.errors]
    assert report.count == 3 and report.total == Decimal("1294.57")
    assert report.declared_sum == Decimal("1294.57")
    # Debtor is the poste's Trésor account; each transfer is one Paiement of the ledger.
    root = etree.fromstring(content)
    ns = {"s": root.nsmap[None]}
    assert root.xpath("string(//s:DbtrAcct/s:Id/s:IBAN)", namespaces=ns) == compte.iban
    e2e = set(root.xpath("//s:EndToEndId/text()", namespaces=ns))
    assert e2e == set(Paiement.objects.filter(run=run).values_list("reference", flat=True))
    for piece in paid:
        piece.refresh_from_db()
        assert piece.etat == EtatPiece.PAYEE and piece.date_paiement == RUN_DAY
        pay = Paiement.objects.get(piece=piece)
        assert pay.montant == piece.mt_ttc and pay.iban == piece.tiers.iban
        mvt = MouvementTresorerie.objects.get(paiement=pay)
        assert mvt.montant == -piece.mt_ttc and mvt.date == RUN_DAY
        assert PieceEvent.objects.filter(piece=piece, etat=EtatPiece.PAYEE).exists()
    for piece in (cheque, recue, bad, titre):
        piece.refresh_from_db()
        assert piece.etat != EtatPiece.PAYEE and not piece.paiements.exists()
    ledger_total = -sum(MouvementTresorerie.objects.values_list("montant", flat=True))
    assert ledger_total == report.total
    entry = JournalEntry.objects.get(action="helios_paiements")
    assert entry.details["mandats"] == 3 and entry.details["ecartes"] == 1


def test_a_second_run_pays_nothing_twice(ledger, compte):
    first = ledger.mandat("100.00", n=1)
    one = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert one.paid == 1
    again = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert again.run is None and again.paid == 0
    ledger.mandat("5.00", n=2)
    later = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert later.paid == 1
    assert Paiement.objects.filter(piece=first).count() == 1
    assert PaymentRun.objects.count() == 2


def test_missing_treasury_account_is_a_french_error(ledger):
    ledger.mandat()
    with pytest.raises(payments.PaymentError, match="compte au Trésor"):
        payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert not Paiement.objects.exists()


def test_failure_rolls_everything_back(ledger, compte, monkeypatch):
    piece = ledger.mandat()

    def boom(*args, **kwargs):
        raise states.TransitionError("changé")

    monkeypatch.setattr(payments, "bulk_transition", boom)
    with pytest.raises(states.TransitionError):
        payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    piece.refresh_from_db()
    assert piece.etat == EtatPiece.PRISE_EN_CHARGE
    assert not Paiement.objects.exists() and not PaymentRun.objects.exists()
    assert not MouvementTresorerie.objects.exists()


def test_bulk_transition_refuses_a_changed_piece(ledger):
    a, b = ledger.mandat(n=1), ledger.mandat(n=2, etat=EtatPiece.RECUE)
    with pytest.raises(states.TransitionError, match="changé d'état"):
        bulk.bulk_transition(
            [a.pk, b.pk],
            EtatPiece.PAYEE,
            domaine="depense",
            expected=EtatPiece.PRISE_EN_CHARGE,
            day=RUN_DAY,
            actor=ACTOR,
            message="x",
        )
    with pytest.raises(states.TransitionError, match="Impossible"):
        bulk.bulk_transition(
            [a.pk], EtatPiece.SOLDEE, domaine="depense", expected="prise_en_charge",
            day=RUN_DAY, actor=ACTOR, message="x",
        )  # fmt: skip


def test_run_queries_do_not_grow_with_the_number_of_mandats(
    ledger, compte, django_assert_max_num_queries
):
    for n in range(1, 41):
        ledger.mandat("1.00", n=n)
    with django_assert_max_num_queries(40):
        result = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert result.paid == 40


def test_end_to_end_ids_are_unique_across_collectivites(ledger, compte):
    piece = ledger.mandat(id_pce="17")
    row = {"exercice__annee": 2026, "bordereau__id_bord": "1", "id_pce": "17", "pk": piece.pk}
    assert payments.end_to_end_id(row) == f"M2026-1-17-{piece.pk}"
    row["id_pce"] = "9" * 30
    assert payments.end_to_end_id(row) == f"M2026-{piece.pk}"
    assert iban(1) != iban(2)
