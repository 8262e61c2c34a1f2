"""Recouvrement: encaissements by hand, camt matching, direct debits, recovery stages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from lxml import etree

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.formats import sepa
from pigp.formats.sepa import CreditDebit, Party, StatementLine
from pigp.helios.models import (
    CamtImport,
    CamtLine,
    Encaissement,
    EtatPiece,
    MouvementTresorerie,
    Prelevement,
    PrelevementRun,
)
from pigp.helios.money import direct_debits, recovery, statements
from tests.helios import test_payments_support as support
from tests.helios.test_payments_support import RUN_DAY, TRESOR_IBAN, iban

pytestmark = pytest.mark.django_db

ACTOR = "comptable@example.fr"
D = Decimal


def camt(lines, *, statement_id="REL-1", message=sepa.CAMT_053_08, account=TRESOR_IBAN) -> bytes:
    return sepa.write_camt(
        account,
        lines,
        message=message,
        statement_id=statement_id,
        created=datetime.datetime(2026, 3, 21, 8, 0, tzinfo=datetime.UTC),
    )


def credit(amount, *, ref=None, name=None, e2e=None, strd=None, day=RUN_DAY):
    return StatementLine(
        amount=D(amount),
        direction=CreditDebit.CREDIT,
        booking_date=day,
        end_to_end_id=e2e,
        remittance=ref,
        reference=strd,
        counterparty=Party(name, iban(900)) if name else None,
    )


def test_manual_partial_then_solde(ledger, compte):
    titre = ledger.titre("100.00")
    recovery.record_encaissement(titre, D("40.00"), RUN_DAY, actor=ACTOR, reference="chèque 1")
    titre.refresh_from_db()
    assert titre.etat == EtatPiece.PARTIELLE and titre.reste_a_recouvrer == D("60.00")
    with pytest.raises(recovery.RecoveryError, match="dépasse le reste à recouvrer"):
        recovery.record_encaissement(titre, D("60.01"), RUN_DAY, actor=ACTOR)
    recovery.record_encaissement(titre, D("20.00"), RUN_DAY, actor=ACTOR)
    titre.refresh_from_db()
    assert titre.etat == EtatPiece.PARTIELLE and titre.reste_a_recouvrer == D("40.00")
    recovery.record_encaissement(titre, D("40.00"), RUN_DAY, actor=ACTOR)
    titre.refresh_from_db()
    assert titre.etat == EtatPiece.SOLDEE and titre.reste_a_recouvrer == 0
    assert titre.date_solde == RUN_DAY
    assert sum(MouvementTresorerie.objects.values_list("montant", flat=True)) == D("100.00")
    assert JournalEntry.objects.filter(action="helios_encaissement").count() == 3
    with pytest.raises(recovery.RecoveryError, match="n'est pas à recouvrer"):
        recovery.record_encaissement(titre, D("1.00"), RUN_DAY, actor=ACTOR)


@pytest.mark.parametrize("bad", ["0", "-3", "1.234"])
def test_manual_amount_must_be_positive_with_two_decimals(ledger, bad):
    titre = ledger.titre("100.00")
    with pytest.raises(recovery.RecoveryError):
        recovery.record_encaissement(titre, D(bad), RUN_DAY, actor=ACTOR)
    assert not Encaissement.objects.exists()


def test_mandat_or_unsettled_titre_refused(ledger):
    mandat = ledger.mandat()
    with pytest.raises(recovery.RecoveryError, match="titre de recette"):
        recovery.record_encaissement(mandat, D("1.00"), RUN_DAY, actor=ACTOR)
    recue = ledger.titre(etat=EtatPiece.RECUE)
    with pytest.raises(recovery.RecoveryError, match="pas à recouvrer"):
        recovery.record_encaissement(recue, D("1.00"), RUN_DAY, actor=ACTOR)


@pytest.mark.parametrize("message", [sepa.CAMT_053_08, sepa.CAMT_054_02])
def test_camt_matching_reference_amount_and_unmatched(ledger, compte, message):
    by_t = ledger.titre("120.00", id_pce="501")
    by_e2e = ledger.titre("80.00", id_pce="502")
    by_strd = ledger.titre("15.50", id_pce="503")
    by_name = ledger.titre("42.00", nom="Martin", prenom="Éloïse")
    partial = ledger.titre("300.00", id_pce="505")
    untouched = ledger.titre("42.00", nom="Durand")
    content = camt(
        [
            credit("120.00", ref="Paiement facture eau T501"),
            credit("80.00", e2e=f"T2026-{by_e2e.bordereau.id_bord}-502", name="Quelqu'un"),
            credit("15.50", strd="503"),
            credit("42.00", name="MARTIN ELOISE", ref="cantine"),
            credit("100.00", ref="Titre n° 505 acompte"),
            credit("9.99", ref="virement inconnu", name="Inconnu"),
            StatementLine(D("50.00"), CreditDebit.DEBIT, RUN_DAY, remittance="frais"),
        ],
        message=message,
    )
    imp = statements.import_camt(ledger.collectivite, content, "releve.xml", actor=ACTOR)
    assert imp.lignes == 6 and imp.rapprochees == 5
    methods = dict(CamtLine.objects.filter(camt=imp).values_list("montant", "methode"))
    assert methods[D("120.00")] == "reference" and methods[D("42.00")] == "montant"
    for piece in (by_t, by_e2e, by_strd, by_name):
        piece.refresh_from_db()
        assert piece.etat == EtatPiece.SOLDEE and piece.reste_a_recouvrer == 0, piece.id_pce
    partial.refresh_from_db()
    assert partial.etat == EtatPiece.PARTIELLE and partial.reste_a_recouvrer == D("200.00")
    untouched.refresh_from_db()
    assert untouched.etat == EtatPiece.PRISE_EN_CHARGE
    [left] = statements.unmatched_lines([ledger.collectivite])
    assert left.montant == D("9.99") and left.debiteur == "Inconnu"
    total = sum(Encaissement.objects.values_list("montant", flat=True))
    assert (
        total == D("357.50") == sum(MouvementTresorerie.objects.values_list("montant", flat=True))
    )
    assert JournalEntry.objects.filter(action="helios_releve").count() == 1

    # Matched by hand afterwards.
    statements.match_line(left, untouched, actor=ACTOR)
    untouched.refresh_from_db()
    assert untouched.reste_a_recouvrer == D("32.01") and untouched.etat == EtatPiece.PARTIELLE
    imp.refresh_from_db()
    assert imp.rapprochees == 6
    with pytest.raises(recovery.RecoveryError, match="déjà rapprochée"):
        statements.match_line(left, untouched, actor=ACTOR)


def test_same_statement_twice_is_refused(ledger, compte):
    ledger.titre("10.00", id_pce="7")
    content = camt([credit("10.00", ref="T7")])
    statements.import_camt(ledger.collectivite, content, "a.xml", actor=ACTOR)
    with pytest.raises(recovery.RecoveryError, match="déjà été importé"):
        statements.import_camt(ledger.collectivite, content, "b.xml", actor=ACTOR)
    assert CamtImport.objects.count() == 1 and Encaissement.objects.count() == 1


def test_invalid_camt_lists_findings_in_french(ledger):
    with pytest.raises(recovery.RecoveryError, match="n'est pas un camt"):
        statements.import_camt(ledger.collectivite, b"<Document/>", "x.xml", actor=ACTOR)
    with pytest.raises(recovery.RecoveryError, match="camt"):
        statements.import_camt(ledger.collectivite, b"not xml at all", "x.xml", actor=ACTOR)
    assert not CamtImport.objects.exists()


def test_statement_of_another_account_refused(ledger, compte):
    content = camt([credit("10.00", ref="T7")], account=iban(77))
    with pytest.raises(recovery.RecoveryError, match="n'est pas le compte"):
        statements.import_camt(ledger.collectivite, content, "x.xml", actor=ACTOR)


def test_overpayment_and_ambiguity_stay_unmatched(ledger, compte):
    ledger.titre("10.00", id_pce="8")
    ledger.titre("25.00", nom="Petit")
    ledger.titre("25.00", nom="Petit")
    content = camt([credit("11.00", ref="T8"), credit("25.00", name="Petit")])
    imp = statements.import_camt(ledger.collectivite, content, "x.xml", actor=ACTOR)
    assert imp.rapprochees == 0 and not Encaissement.objects.exists()


def test_direct_debit_run_then_settlement(ledger, compte):
    first = ledger.titre("60.00", rum="RUM-A", date_signature_mandat=datetime.date(2025, 1, 5))
    again = ledger.titre("40.00", rum="RUM-A", date_signature_mandat=datetime.date(2025, 1, 5))
    other = ledger.titre("25.25", rum="RUM-B", date_signature_mandat=datetime.date(2025, 6, 1))
    ledger.titre("99.00")  # no mandate: not debited
    result = direct_debits.run_direct_debits(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert result.count == 3 and result.total == D("125.25")
    run = result.run
    with files.open_stored(run.fichier) as fh:
        content = fh.read()
    report = sepa.validate(content, today=RUN_DAY)
    assert report.valid, [f.message for f in report.errors]
    assert report.count == 3 and report.total == D("125.25") == run.total
    root = etree.fromstring(content)
    ns = {"s": root.nsmap[None]}
    ics = root.xpath("//s:CdtrSchmeId//s:Othr/s:Id/text()", namespaces=ns)
    assert ics and set(ics) == {support.ICS}
    seqs = {
        tx.xpath("string(s:DrctDbtTx/s:MndtRltdInf/s:MndtId)", namespaces=ns): tx.xpath(
            "string(../s:PmtTpInf/s:SeqTp)", namespaces=ns
        )
        for tx in root.xpath("//s:DrctDbtTxInf", namespaces=ns)
    }
    assert set(seqs) == {"RUM-A", "RUM-B"}
    sequences = dict(Prelevement.objects.values_list("piece_id", "sequence"))
    assert sequences == {first.pk: "FRST", again.pk: "RCUR", other.pk: "FRST"}
    # Pending: a second run debits nothing again.
    assert direct_debits.run_direct_debits(ledger.collectivite, RUN_DAY, actor=ACTOR).count == 0
    assert not Encaissement.objects.exists()

    assert direct_debits.settle_direct_debits(run, actor=ACTOR) == 3
    for piece in (first, again, other):
        piece.refresh_from_db()
        assert piece.etat == EtatPiece.SOLDEE and piece.reste_a_recouvrer == 0
    run.refresh_from_db()
    assert run.regle and run.encaissements.count() == 3
    assert sum(run.encaissements.values_list("montant", flat=True)) == run.total
    with pytest.raises(recovery.RecoveryError, match="déjà marquée réglée"):
        direct_debits.settle_direct_debits(run, actor=ACTOR)
    # A later titre under RUM-A is a recurrent debit.
    later = ledger.titre("5.00", rum="RUM-A", date_signature_mandat=datetime.date(2025, 1, 5))
    direct_debits.run_direct_debits(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert Prelevement.objects.get(piece=later).sequence == "RCUR"


def test_statement_line_of_a_direct_debit_is_not_counted_twice(ledger, compte):
    titre = ledger.titre("60.00", rum="RUM-A", date_signature_mandat=datetime.date(2025, 1, 5))
    run = direct_debits.run_direct_debits(ledger.collectivite, RUN_DAY, actor=ACTOR).run
    ref = Prelevement.objects.get(piece=titre).reference
    imp = statements.import_camt(
        ledger.collectivite, camt([credit("60.00", e2e=ref)]), "x.xml", actor=ACTOR
    )
    assert imp.rapprochees == 1 and not Encaissement.objects.exists()
    direct_debits.settle_direct_debits(run, actor=ACTOR)
    assert Encaissement.objects.count() == 1


def test_direct_debit_needs_an_ics(ledger, compte):
    compte.ics = ""
    compte.save()
    ledger.titre("60.00", rum="RUM-A", date_signature_mandat=datetime.date(2025, 1, 5))
    with pytest.raises(recovery.RecoveryError, match="ICS"):
        direct_debits.run_direct_debits(ledger.collectivite, RUN_DAY, actor=ACTOR)
    assert not PrelevementRun.objects.exists()


def test_stage(ledger):
    titre = ledger.titre()
    recovery.set_stade(titre, "relance", actor=ACTOR, commentaire="courrier du 1er mars")
    assert titre.stade == "relance"
    assert titre.date_stade == timezone.localdate()
    with pytest.raises(recovery.RecoveryError):
        recovery.set_stade(titre, "inconnu", actor=ACTOR)
    mandat = ledger.mandat()
    with pytest.raises(recovery.RecoveryError):
        recovery.set_stade(mandat, "relance", actor=ACTOR)


def test_ageing():
    today = datetime.date(2026, 6, 1)
    assert recovery.ageing(None, today) == "—"
    assert recovery.ageing(datetime.date(2026, 5, 20), today) == "moins de 30 jours"
    assert recovery.ageing(datetime.date(2025, 1, 1), today) == "plus d'un an"
