"""A credit already seen in another statement file is recorded once: the camt.054 of the day
then the camt.053 carrying the same credit give one encaissement; the repeat is kept « déjà
constaté » with its explanation. The rule (`statement_seen.SeenLines`) is shared with debits."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pigp.core.models import JournalEntry
from pigp.formats import sepa
from pigp.formats.sepa import CreditDebit, Party, StatementLine
from pigp.helios.models import CamtDebit, CamtLine, Encaissement, MouvementTresorerie
from pigp.helios.money import recovery, statements, treasury
from tests.helios.test_payments_support import RUN_DAY, TRESOR_IBAN, iban

pytestmark = pytest.mark.django_db

ACTOR = "comptable@example.fr"
D = Decimal
M = CamtLine.Methode
NEXT_DAY = RUN_DAY + datetime.timedelta(days=1)


def credit(amount, *, titre=None, bank_ref=None, e2e=None, day=RUN_DAY, name="DUPONT JEAN"):
    return StatementLine(
        D(amount),
        CreditDebit.CREDIT,
        day,
        account_servicer_ref=bank_ref,
        end_to_end_id=e2e,
        remittance=f"Titre n° {titre.id_pce}" if titre is not None else "VIREMENT RECU",
        counterparty=Party(name, iban(900)),
    )


def load(ledger, lines, name, *, message=sepa.CAMT_053_08, account=TRESOR_IBAN):
    content = sepa.write_camt(
        account,
        lines,
        message=message,
        statement_id=name.upper(),
        created=datetime.datetime(2026, 3, 21, 8, tzinfo=datetime.UTC),
    )
    imported = statements.import_camt(ledger.collectivite, content, name, actor=ACTOR)
    return imported, list(CamtLine.objects.filter(camt=imported).order_by("pk"))


def notified_then_stated(ledger, first, second):
    """`first` in the camt.054 of the day, then `second` in the camt.053: the line of the
    notification, the statement and its lines."""
    _n, [notified] = load(ledger, [first], "avis.xml", message=sepa.CAMT_054_08)
    stated, lines = load(ledger, second, "releve.xml")
    return notified, stated, lines


def test_a_credit_notified_then_stated_gives_one_encaissement(ledger, compte):
    titre = ledger.titre("300.00")
    other = ledger.titre("50.00", nom="Martin", prenom="Paul")
    treasury.set_opening(ledger.budget, 2026, D("1000.00"), datetime.date(2026, 1, 1), actor=ACTOR)
    same = credit("100.00", titre=titre, bank_ref="BQ-C1", e2e="VIR-DUPONT-1")
    _n, [notified] = load(ledger, [same], "avis.xml", message=sepa.CAMT_054_08)
    assert notified.piece_id == titre.pk and notified.methode == M.REFERENCE
    before = treasury.daily_balance(ledger.budget, 2026)
    movements = MouvementTresorerie.objects.count()

    stated, (repeat, new) = load(ledger, [same, credit("50.00", titre=other)], "releve.xml")

    # Without the rule the titre (reste 200.00) would have taken the credit a second time.
    assert Encaissement.objects.filter(piece=titre).count() == 1
    titre.refresh_from_db()
    assert titre.reste_a_recouvrer == D("200.00")
    assert repeat.methode == M.DEJA and repeat.piece_id is None
    assert not Encaissement.objects.filter(camt_line=repeat).exists()
    assert "Crédit déjà constaté" in repeat.explication
    assert "relevé « avis.xml »" in repeat.explication and "BQ-C1" in repeat.explication
    assert "aucun encaissement n'est enregistré une seconde fois" in repeat.explication
    assert new.piece_id == other.pk and new.methode == M.REFERENCE
    assert (stated.lignes, stated.rapprochees) == (2, 2)  # the repeat needs no one
    # The treasury moved by the new credit only.
    assert MouvementTresorerie.objects.count() == movements + 1
    after = treasury.daily_balance(ledger.budget, 2026)
    assert after.solde == before.solde + D("50.00") == D("1150.00")
    details = JournalEntry.objects.filter(action="helios_releve").last().details
    assert details["deja_constatees"] == 1 and details["encaissements"] == 1
    assert details["total"] == "50.00" and details["rapprochees"] == 2
    # Nothing left for the comptable, and the repeat cannot be matched by hand.
    assert not statements.unmatched_lines([ledger.collectivite]).exists()
    with pytest.raises(recovery.RecoveryError, match="déjà constaté"):
        statements.match_line(repeat, titre, actor=ACTOR)
    assert Encaissement.objects.filter(piece=titre).count() == 1


def test_the_same_credit_waiting_in_the_notification_is_not_listed_twice(ledger, compte):
    same = credit("42.00", bank_ref="BQ-C2", name="INCONNU")  # no titre to match
    notified, stated, [repeat] = notified_then_stated(ledger, same, [same])
    assert repeat.methode == M.DEJA and stated.rapprochees == 1
    [waiting] = statements.unmatched_lines([ledger.collectivite])
    assert waiting.pk == notified.pk


def test_same_amount_and_date_with_another_bank_reference_is_a_second_payment(ledger, compte):
    titre = ledger.titre("300.00")
    first = credit("100.00", titre=titre, bank_ref="BQ-A", e2e="VIR-1")
    second = credit("100.00", titre=titre, bank_ref="BQ-B", e2e="VIR-1")
    _n, _stated, [line] = notified_then_stated(ledger, first, [second])
    assert line.methode == M.REFERENCE and line.piece_id == titre.pk and line.explication == ""
    assert Encaissement.objects.filter(piece=titre).count() == 2
    titre.refresh_from_db()
    assert titre.reste_a_recouvrer == D("100.00")
    assert (
        JournalEntry.objects.filter(action="helios_releve").last().details["deja_constatees"] == 0
    )


@pytest.mark.parametrize(
    ("first", "second", "repeat"),
    [
        # No bank reference: the EndToEndId, amount and date decide.
        ({"e2e": "VIR-7"}, {"e2e": "VIR-7"}, True),
        ({"e2e": "VIR-7"}, {"e2e": "VIR-8"}, False),
        ({"e2e": "VIR-7"}, {"e2e": "VIR-7", "day": NEXT_DAY}, False),
        # One of the two files gives the bank's reference, the other not.
        ({"e2e": "VIR-7", "bank_ref": "BQ-1"}, {"e2e": "VIR-7"}, True),
        ({"e2e": "VIR-7"}, {"e2e": "VIR-7", "bank_ref": "BQ-1"}, True),
        # Neither: two equal payments on one day are legitimate.
        ({}, {}, False),
        # Same bank reference, another amount or day: another movement.
        ({"bank_ref": "BQ-1"}, {"bank_ref": "BQ-1", "day": NEXT_DAY}, False),
    ],
)
def test_what_makes_a_repeat(ledger, compte, first, second, repeat):
    titre = ledger.titre("500.00")
    _n, _s, [line] = notified_then_stated(
        ledger, credit("100.00", titre=titre, **first), [credit("100.00", titre=titre, **second)]
    )
    assert (line.methode == M.DEJA) is repeat
    assert Encaissement.objects.filter(piece=titre).count() == (1 if repeat else 2)
    if repeat:
        assert "référence de bout en bout VIR-7" in line.explication


def test_another_amount_with_the_same_bank_reference_is_not_a_repeat(ledger, compte):
    titre = ledger.titre("500.00")
    first = credit("100.00", titre=titre, bank_ref="BQ-1")
    _n, _s, [line] = notified_then_stated(ledger, first, [credit("99.00", titre=titre)])
    assert line.methode == M.REFERENCE


def test_the_account_is_part_of_the_movement(ledger):
    # No Trésor account set: statements of any account are taken (none is refused).
    titre = ledger.titre("500.00")
    same = credit("100.00", titre=titre, bank_ref="BQ-1")
    load(ledger, [same], "a.xml", account=TRESOR_IBAN)
    _imported, [line] = load(ledger, [same], "b.xml", account=iban(321))
    assert line.methode == M.REFERENCE and line.compte == iban(321)
    _imported, [again] = load(ledger, [same], "c.xml", account=TRESOR_IBAN)
    assert again.methode == M.DEJA
    assert Encaissement.objects.filter(piece=titre).count() == 2


def test_within_one_statement(ledger, compte):
    titre = ledger.titre("500.00")
    twice_by_bank = credit("10.00", titre=titre, bank_ref="BQ-9")
    twice_by_payer = credit("20.00", titre=titre, e2e="FACTURE-12")
    _imported, lines = load(
        ledger, [twice_by_bank, twice_by_bank, twice_by_payer, twice_by_payer], "r.xml"
    )
    # The bank gives each movement its own reference; a payer may reuse its own.
    assert [line.methode for line in lines] == [M.REFERENCE, M.DEJA, M.REFERENCE, M.REFERENCE]
    assert "même relevé" in lines[1].explication
    titre.refresh_from_db()
    assert titre.reste_a_recouvrer == D("450.00")


def test_the_same_statement_file_twice_is_still_refused(ledger, compte):
    titre = ledger.titre("500.00")
    content = sepa.write_camt(
        TRESOR_IBAN,
        [credit("10.00", titre=titre, bank_ref="BQ-1")],
        statement_id="R",
        created=datetime.datetime(2026, 3, 21, 8, tzinfo=datetime.UTC),
    )
    statements.import_camt(ledger.collectivite, content, "r.xml", actor=ACTOR)
    with pytest.raises(recovery.RecoveryError, match="déjà été importé"):
        statements.import_camt(ledger.collectivite, content, "r2.xml", actor=ACTOR)


def test_other_collectivites_statements_do_not_count(ledger, compte, other_ledger):
    titre = ledger.titre("500.00")
    mine = other_ledger.titre("500.00")
    load(other_ledger, [credit("10.00", titre=mine, bank_ref="BQ-1")], "autre.xml")
    _imported, [line] = load(ledger, [credit("10.00", titre=titre, bank_ref="BQ-1")], "r.xml")
    assert line.methode == M.REFERENCE and line.piece_id == titre.pk


def test_a_debit_without_bank_reference_is_recognised_by_its_end_to_end_id(ledger, compte):
    unknown = StatementLine(D("12.00"), CreditDebit.DEBIT, RUN_DAY, end_to_end_id="EXT-77")
    load(ledger, [unknown], "avis.xml", message=sepa.CAMT_054_08)
    _imported, [] = load(ledger, [unknown], "releve.xml")
    first, repeat = CamtDebit.objects.order_by("pk")
    assert not first.rapprochee and repeat.methode == CamtDebit.Methode.DEJA
    assert repeat.explication.startswith("Débit déjà constaté (relevé « avis.xml »")
    assert "référence de bout en bout EXT-77" in repeat.explication


def test_import_queries_do_not_grow_with_the_number_of_credits(ledger, compte):
    def queries(n: int, name: str) -> tuple[int, int]:
        titres = [ledger.titre("10.00", nom=f"Nom{name}{i}") for i in range(n)]
        lines = [
            credit("5.00", titre=t, bank_ref=f"{name}-{i}", e2e=f"E-{name}-{i}")
            for i, t in enumerate(titres)
        ]
        counts = []
        for message, suffix in ((sepa.CAMT_054_08, "avis"), (sepa.CAMT_053_08, "releve")):
            content = sepa.write_camt(
                TRESOR_IBAN,
                lines,
                message=message,
                statement_id=f"{name}-{suffix}",
                created=datetime.datetime(2026, 3, 21, 8, tzinfo=datetime.UTC),
            )
            with CaptureQueriesContext(connection) as ctx:
                statements.import_camt(ledger.collectivite, content, name, actor=ACTOR)
            counts.append(len(ctx.captured_queries))
        assert Encaissement.objects.filter(piece__in=titres).count() == n
        assert CamtLine.objects.filter(piece__in=titres).count() == n
        return counts[0], counts[1]

    small, large = queries(4, "petit"), queries(40, "grand")
    assert large[0] <= small[0] + 2  # first seen: matched and recorded
    assert large[1] <= small[1] + 2  # all repeats


def test_migration_reads_the_movements_back_from_the_files(ledger, compte):
    titre = ledger.titre("500.00")
    same = credit("10.00", titre=titre, bank_ref="BQ-1", e2e="VIR-1")
    load(
        ledger,
        [same, StatementLine(D("3.00"), CreditDebit.DEBIT, RUN_DAY, end_to_end_id="X-1")],
        "avis.xml",
        message=sepa.CAMT_054_08,
    )
    CamtLine.objects.update(compte="", reference_banque="", bout_en_bout="")
    CamtDebit.objects.update(compte="", bout_en_bout="")
    migration = importlib.import_module("pigp.helios.migrations.0006_statement_seen_lines")
    migration.lines_keys_from_their_files(apps, None)
    line = CamtLine.objects.get()
    assert (line.compte, line.reference_banque, line.bout_en_bout) == (TRESOR_IBAN, "BQ-1", "VIR-1")
    assert CamtDebit.objects.values_list("compte", "bout_en_bout").get() == (TRESOR_IBAN, "X-1")
    _imported, [repeat] = load(ledger, [same], "releve.xml")
    assert repeat.methode == M.DEJA
