"""Debit lines of bank statements reconciled with payment runs: batch, EndToEndId, amount and
date, manual handling; nothing counted twice; the treasury unchanged."""

from __future__ import annotations

import datetime
import importlib
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.formats import sepa
from pigp.formats.sepa import CreditDebit, Party, StatementLine, StatementTransaction
from pigp.helios.models import CamtDebit, MouvementTresorerie, Paiement, PaymentRun
from pigp.helios.money import manual_debits, payments, recovery, statements, treasury
from tests.helios.test_payments_support import RUN_DAY, TRESOR_IBAN, iban

pytestmark = pytest.mark.django_db

ACTOR = "comptable@example.fr"
D = Decimal
M = CamtDebit.Methode
_numbers = itertools.count(1)


def paid_run(ledger, *amounts, day=RUN_DAY) -> PaymentRun:
    for amount in amounts:
        ledger.mandat(amount, n=next(_numbers))
    return payments.run_payments(ledger.collectivite, day, actor=ACTOR).run


def camt(lines, *, statement_id="REL-D1", message=sepa.CAMT_053_08) -> bytes:
    return sepa.write_camt(
        TRESOR_IBAN,
        lines,
        message=message,
        statement_id=statement_id,
        created=datetime.datetime(2026, 3, 25, 8, 0, tzinfo=datetime.UTC),
    )


def details(run, *, skip=0, extra=()):
    pays = list(run.paiements.order_by("pk"))[skip:]
    return tuple(
        StatementTransaction(p.montant, p.reference, counterparty=Party("CREANCIER", p.iban))
        for p in pays
    ) + tuple(extra)


def debit(amount, *, day=RUN_DAY, **kw) -> StatementLine:
    return StatementLine(D(amount), CreditDebit.DEBIT, day, **kw)


def load(ledger, lines, name="releve.xml", **kw):
    content = camt(lines, **kw)
    imported = statements.import_camt(ledger.collectivite, content, name, actor=ACTOR)
    return imported, list(CamtDebit.objects.filter(camt=imported).order_by("pk"))


def test_a_run_keeps_the_batch_references_of_its_pain001(ledger, compte):
    run = paid_run(ledger, "10.00", "20.00")
    with files.open_stored(run.fichier) as fh:
        report = sepa.validate(fh.read(), today=RUN_DAY)
    assert report.msg_id == run.msg_id and run.msg_id.startswith("PIGP-")
    assert [b.pmt_inf_id for b in report.batches] == [run.pmt_inf_id]


@pytest.mark.parametrize("ref", ["pmt_inf_id", "msg_id", "additional_info"])
def test_batch_booked_debit_is_matched_to_its_run(ledger, compte, ref):
    run = paid_run(ledger, "100.00", "250.50", "49.50")
    treasury.set_opening(ledger.budget, 2026, D("1000.00"), datetime.date(2026, 1, 1), actor=ACTOR)
    before = treasury.daily_balance(ledger.budget, 2026)
    movements = MouvementTresorerie.objects.count()
    booked = RUN_DAY + datetime.timedelta(days=1)
    refs = {
        "pmt_inf_id": {"payment_info_id": run.pmt_inf_id},
        "msg_id": {"msg_id": run.msg_id},
        "additional_info": {"additional_info": f"VIR SEPA EMIS LOT {run.pmt_inf_id} 3 OPERATIONS"},
    }[ref]
    if ref == "additional_info":
        refs["remittance"] = "VIREMENTS FOURNISSEURS"
    imported, [line] = load(ledger, [debit("400.00", day=booked, **refs)])

    assert line.methode == M.LOT and line.rapprochee and line.run_id == run.pk
    assert line.montant_rapproche == D("400.00") and line.explication == ""
    pays = list(run.paiements.all())
    assert all(p.debit_id == line.pk and p.debite_le == booked for p in pays)
    run.refresh_from_db()
    assert run.debites == 3 and run.debite_le == booked
    assert (imported.debits, imported.debits_rapproches) == (1, 1)
    entry = JournalEntry.objects.get(action="helios_releve_debits")
    assert entry.details["paiements"] == 3 and entry.details["campagnes"] == [run.pk]
    assert entry.details["total"] == "400.00" and entry.details["a_rapprocher"] == 0
    # The treasury counted the payments when the run was made: the debit adds nothing.
    assert MouvementTresorerie.objects.count() == movements
    assert treasury.daily_balance(ledger.budget, 2026) == before
    assert before.solde == D("600.00")


@pytest.mark.parametrize("message", [sepa.CAMT_053_08, sepa.CAMT_053_02, sepa.CAMT_054_08])
def test_detailed_batch_is_matched_per_end_to_end_id(ledger, compte, message):
    run = paid_run(ledger, "10.00", "20.00", "30.00")
    other = paid_run(ledger, "99.00")
    # No batch reference the run knows: each detail names its payment.
    _imported, [line] = load(
        ledger, [debit("60.00", msg_id="BANQUE-LOT-7", transactions=details(run))], message=message
    )
    assert line.methode == M.REFERENCE and line.rapprochee and line.run_id == run.pk
    assert line.operations == 3 and line.reference == "BANQUE-LOT-7"
    assert set(Paiement.objects.filter(debit=line).values_list("run_id", flat=True)) == {run.pk}
    assert Paiement.objects.filter(debit=line).count() == 3
    run.refresh_from_db()
    other.refresh_from_db()
    assert run.debites == 3 and other.debites == 0 and other.debite_le is None


def test_a_batch_short_of_one_transfer_is_matched_per_detail(ledger, compte):
    run = paid_run(ledger, "10.00", "20.00", "30.00")
    # The bank quotes the run's batch but debits 50.00: the first transfer was not made.
    lines = [debit("50.00", payment_info_id=run.pmt_inf_id, transactions=details(run, skip=1))]
    _imported, [line] = load(ledger, lines)
    assert line.methode == M.REFERENCE and line.rapprochee
    run.refresh_from_db()
    assert run.debites == 2
    first = run.paiements.order_by("pk").first()
    assert first.debit_id is None and first.debite_le is None


def test_unknown_details_leave_the_rest_for_manual_handling(ledger, compte):
    run = paid_run(ledger, "10.00", "20.00")
    unknown = StatementTransaction(D("5.00"), "REF-INCONNUE-1")
    _imported, [line] = load(ledger, [debit("35.00", transactions=details(run, extra=[unknown]))])
    assert not line.rapprochee and line.methode == M.REFERENCE
    assert line.montant_rapproche == D("30.00") and line.reste == D("5.00")
    assert "REF-INCONNUE-1" in line.explication and "Reste 5,00 €" in line.explication
    assert Paiement.objects.filter(debit=line).count() == 2
    assert list(manual_debits.waiting_lines([ledger.collectivite])) == [line]


def test_batch_amount_that_is_not_the_runs_is_explained(ledger, compte):
    run = paid_run(ledger, "10.00", "20.00")
    _imported, [line] = load(ledger, [debit("31.00", payment_info_id=run.pmt_inf_id)])
    assert not line.rapprochee and line.run_id == run.pk
    assert f"campagne n° {run.pk}" in line.explication and "31,00 €" in line.explication
    assert "À rapprocher à la main" in line.explication
    assert not Paiement.objects.filter(debit__isnull=False).exists()


def test_single_payment_matched_by_amount_and_date(ledger, compte):
    run = paid_run(ledger, "123.45")
    pay = run.paiements.get()
    near = RUN_DAY + datetime.timedelta(days=2)
    _imported, [line] = load(ledger, [debit("123.45", day=near, remittance="VIR FOURNISSEUR")])
    assert line.methode == M.MONTANT and line.rapprochee and line.run_id == run.pk
    pay.refresh_from_db()
    assert pay.debit_id == line.pk and pay.debite_le == near


def test_amount_and_date_need_one_candidate_in_the_window(ledger, compte):
    paid_run(ledger, "50.00")
    paid_run(ledger, "50.00")
    lone = paid_run(ledger, "70.00")
    late = RUN_DAY + datetime.timedelta(days=recovery_days() + 1)
    wrong_iban = Party("AUTRE", iban(777))
    _imported, lines = load(
        ledger,
        [
            debit("50.00"),  # two payments of 50.00 that day: which one?
            debit("70.00", day=late),  # too late for the payment of 70.00
            debit("70.00", counterparty=wrong_iban),  # another creditor's account
        ],
    )
    ambiguous, too_late, other_account = lines
    assert not any(line.rapprochee for line in lines)
    assert "2 paiements de 50,00 €" in ambiguous.explication
    assert "impossible de choisir" in ambiguous.explication
    assert "Aucun paiement de 70,00 €" in too_late.explication
    assert f"Aucun paiement de 70,00 € vers l'IBAN {iban(777)}" in other_account.explication
    assert not lone.paiements.filter(debit__isnull=False).exists()


def recovery_days() -> int:
    from pigp.helios.money.statement_debits import DAYS

    return DAYS


def test_unmatched_debit_is_listed_then_matched_by_hand(ledger, compte, other_ledger, other_compte):
    run = paid_run(ledger, "40.00", "60.00")
    fees = debit("12.50", remittance="FRAIS DE TENUE DE COMPTE")
    lot = debit("100.00", payment_info_id="LOT-DE-LA-BANQUE")
    imported, [fee_line, lot_line] = load(ledger, [fees, lot])
    assert (imported.debits, imported.debits_rapproches) == (2, 0)
    assert "Aucun paiement de 12,50 €" in fee_line.explication
    assert "À rapprocher à la main" in fee_line.explication
    assert set(manual_debits.waiting_lines([ledger.collectivite])) == {fee_line, lot_line}
    assert not manual_debits.waiting_lines([other_ledger.collectivite]).exists()
    # The choices are the run (its payments waiting for their debit) and each payment.
    values = [c.value for c in manual_debits.debit_choices(lot_line)]
    assert f"run-{run.pk}" in values and len(values) == 3
    assert manual_debits.debit_choices(fee_line) == []

    other_run = paid_run(other_ledger, "100.00")
    with pytest.raises(recovery.RecoveryError, match="collectivité du relevé"):
        manual_debits.match_debit(lot_line, run=other_run, actor=ACTOR)
    with pytest.raises(recovery.RecoveryError, match="dépasse le reste"):
        manual_debits.match_debit(fee_line, run=run, actor=ACTOR)
    with pytest.raises(recovery.RecoveryError, match="Choisissez"):
        manual_debits.match_debit(lot_line, actor=ACTOR)

    assert manual_debits.match_debit(lot_line, run=run, actor=ACTOR) == 2
    lot_line.refresh_from_db()
    assert lot_line.rapprochee and lot_line.methode == M.MANUEL and lot_line.run_id == run.pk
    run.refresh_from_db()
    imported.refresh_from_db()
    assert run.debites == 2 and run.debite_le == RUN_DAY and imported.debits_rapproches == 1
    entry = JournalEntry.objects.get(action="helios_debit_rapproche")
    assert entry.details["campagne"] == run.pk and entry.details["montant"] == "100.00"
    with pytest.raises(recovery.RecoveryError, match="déjà rapprochée"):
        manual_debits.match_debit(lot_line, run=run, actor=ACTOR)
    assert list(manual_debits.waiting_lines([ledger.collectivite])) == [fee_line]


def test_manual_match_of_one_payment_then_the_rest(ledger, compte):
    run = paid_run(ledger, "40.00", "60.00")
    _imported, [line] = load(ledger, [debit("100.00", remittance="VIREMENTS")])
    first, second = run.paiements.order_by("pk")
    manual_debits.match_debit(line, paiement=first, actor=ACTOR)
    line.refresh_from_db()
    assert not line.rapprochee and line.reste == D("60.00") and "Reste 60,00 €" in line.explication
    with pytest.raises(recovery.RecoveryError, match="déjà constatés débités"):
        manual_debits.match_debit(line, paiement=first, actor=ACTOR)
    manual_debits.match_debit(line, run=run, actor=ACTOR)  # what remains of the run: `second`
    line.refresh_from_db()
    second.refresh_from_db()
    assert line.rapprochee and second.debit_id == line.pk
    run.refresh_from_db()
    assert run.debites == 2


def test_the_same_statement_twice_counts_nothing_twice(ledger, compte):
    run = paid_run(ledger, "10.00", "20.00")
    single = paid_run(ledger, "33.00")
    lines = [
        debit("30.00", payment_info_id=run.pmt_inf_id, account_servicer_ref="BQ-1"),
        debit("33.00", account_servicer_ref="BQ-2"),  # matched by amount and date
    ]
    content = camt(lines)
    first = statements.import_camt(ledger.collectivite, content, "a.xml", actor=ACTOR)
    assert first.debits_rapproches == 2
    state = list(Paiement.objects.order_by("pk").values_list("debit_id", "debite_le"))
    with pytest.raises(recovery.RecoveryError, match="déjà été importé"):
        statements.import_camt(ledger.collectivite, content, "b.xml", actor=ACTOR)

    # The same debits again in a notification (another file): seen, not counted.
    again, lines2 = load(ledger, lines, name="avis.xml", message=sepa.CAMT_054_08, statement_id="N")
    assert [line.methode for line in lines2] == [M.DEJA, M.DEJA]
    assert all(line.rapprochee and line.montant_rapproche == 0 for line in lines2)
    assert "déjà constaté" in lines2[0].explication.lower()
    assert (again.debits, again.debits_rapproches) == (2, 2)
    assert list(Paiement.objects.order_by("pk").values_list("debit_id", "debite_le")) == state
    run.refresh_from_db()
    single.refresh_from_db()
    assert run.debites == 2 and single.debites == 1
    details_ = JournalEntry.objects.filter(action="helios_releve_debits").last().details
    assert details_["deja_constatees"] == 2 and details_["paiements"] == 0

    # Without the bank's reference, a batch whose payments are all debited is seen too.
    _third, [repeat] = load(ledger, [debit("30.00", msg_id=run.msg_id)], name="c.xml")
    assert repeat.methode == M.DEJA and f"campagne n° {run.pk}" in repeat.explication
    # And so is a detailed debit whose payments are all debited.
    _fourth, [detail] = load(ledger, [debit("30.00", transactions=details(run))], name="d.xml")
    assert detail.methode == M.DEJA


def test_same_bank_reference_twice_in_one_statement(ledger, compte):
    paid_run(ledger, "15.00")
    twice = debit("15.00", account_servicer_ref="BQ-9")
    _imported, (first, second) = load(ledger, [twice, twice])
    assert first.methode == M.MONTANT and second.methode == M.DEJA
    assert Paiement.objects.get().debit_id == first.pk


def test_credit_and_debit_lines_of_one_statement(ledger, compte):
    run = paid_run(ledger, "80.00")
    titre = ledger.titre("25.00")
    credit = StatementLine(D("25.00"), CreditDebit.CREDIT, RUN_DAY, remittance=f"T{titre.id_pce}")
    imported, [line] = load(ledger, [credit, debit("80.00", payment_info_id=run.pmt_inf_id)])
    assert (imported.lignes, imported.rapprochees) == (1, 1)
    assert (imported.debits, imported.debits_rapproches) == (1, 1)
    titre.refresh_from_db()
    assert titre.reste_a_recouvrer == 0 and line.methode == M.LOT


def test_reversed_and_pending_debits_are_left_aside(ledger, compte):
    run = paid_run(ledger, "80.00")
    entries = sepa.read_camt(camt([debit("80.00", payment_info_id=run.pmt_inf_id)]))
    [entry] = entries.statements[0].entries
    from dataclasses import replace

    from pigp.helios.money.statement_debits import debit_entries

    assert debit_entries([entry]) == [entry]
    assert debit_entries([replace(entry, reversal=True), replace(entry, status="PDNG")]) == []
    assert debit_entries([replace(entry, direction=CreditDebit.CREDIT)]) == []


def test_import_queries_do_not_grow_with_the_number_of_lines(ledger, compte):
    def queries(n: int, name: str) -> int:
        run = paid_run(ledger, *["1.00"] * n)
        lines = [
            debit("1.00", transactions=(StatementTransaction(p.montant, p.reference),))
            for p in run.paiements.all()
        ]
        content = camt(lines, statement_id=name)
        with CaptureQueriesContext(connection) as ctx:
            statements.import_camt(ledger.collectivite, content, name, actor=ACTOR)
        assert Paiement.objects.filter(run=run, debit__isnull=False).count() == n
        return len(ctx.captured_queries)

    assert queries(40, "grand") <= queries(4, "petit") + 2


def test_migration_reads_the_references_back_from_the_files(ledger, compte):
    run = paid_run(ledger, "10.00")
    expected = (run.msg_id, run.pmt_inf_id)
    PaymentRun.objects.filter(pk=run.pk).update(msg_id="", pmt_inf_id="")
    migration = importlib.import_module("pigp.helios.migrations.0004_statement_debits")
    migration.runs_ids_from_their_files(apps, None)
    run.refresh_from_db()
    assert (run.msg_id, run.pmt_inf_id) == expected
