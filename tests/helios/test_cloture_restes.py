"""After the clôture: restes à payer and à recouvrer stay payable, decisions stay locked."""

from __future__ import annotations

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from pigp.core import files
from pigp.formats import sepa
from pigp.helios import cloture, states, workbench
from pigp.helios.models import Encaissement, EtatPiece, Paiement, Piece
from pigp.helios.money import direct_debits, payments, recovery, statements, treasury
from tests.conftest import verified_client
from tests.helios.test_payments_support import TRESOR_IBAN, Ledger

pytestmark = pytest.mark.django_db

D = Decimal
E = EtatPiece
ACTOR = "comptable@example.fr"


@pytest.fixture
def ledger_2024(collectivite):
    """A ledger of the exercice 2024, the one these tests close."""
    return Ledger(collectivite, annee=2024)


def closed(ledger_2024: Ledger) -> None:
    cloture.close(ledger_2024.exercice, actor=ACTOR)
    ledger_2024.exercice.refresh_from_db()
    assert ledger_2024.exercice.cloture
    assert not Piece.objects.filter(exercice=ledger_2024.exercice, verrouillee=False).exists()


def test_a_run_pays_the_mandats_left_unpaid_by_the_cloture(ledger_2024, compte):
    mandats = [ledger_2024.mandat(f"{n}0.00", n=n) for n in range(1, 4)]
    closed(ledger_2024)
    day = timezone.localdate()
    assert payments.candidates(ledger_2024.collectivite).count() == 3
    result = payments.run_payments(ledger_2024.collectivite, day, actor=ACTOR)
    assert result.run is not None and result.paid == 3 and result.total == D("60.00")
    for mandat in mandats:
        mandat.refresh_from_db()
        assert mandat.etat == E.PAYEE and mandat.date_paiement == day
    refs = set(Paiement.objects.values_list("reference", flat=True))
    with files.open_stored(result.run.fichier) as fh:
        content = fh.read().decode()
    assert len(refs) == 3 and all(ref in content for ref in refs)
    # The treasury moves on the day of the run (the budget's account of that year).
    assert treasury.daily_balance(ledger_2024.budget, day.year).solde == D("-60.00")


def test_restes_a_recouvrer_of_a_closed_exercice_stay_recoverable(ledger_2024, compte):
    by_hand = ledger_2024.titre("100.00")
    by_camt = ledger_2024.titre("30.00", id_pce="505")
    by_debit = ledger_2024.titre(
        "45.00", rum="RUM-1", date_signature_mandat=datetime.date(2024, 1, 1)
    )
    closed(ledger_2024)
    day = timezone.localdate()

    recovery.record_encaissement(by_hand, D("40.00"), day, actor=ACTOR)
    by_hand.refresh_from_db()
    assert by_hand.etat == E.PARTIELLE and by_hand.reste_a_recouvrer == D("60.00")
    recovery.set_stade(by_hand, "relance", actor=ACTOR)  # the recovery goes on

    content = sepa.write_camt(
        TRESOR_IBAN,
        [sepa.StatementLine(D("30.00"), sepa.CreditDebit.CREDIT, day, remittance="T505")],
        statement_id="R-2025",
        created=timezone.now(),
    )
    imp = statements.import_camt(ledger_2024.collectivite, content, "r.xml", actor=ACTOR)
    assert imp.rapprochees == 1
    by_camt.refresh_from_db()
    assert by_camt.etat == E.SOLDEE and by_camt.reste_a_recouvrer == 0

    run = direct_debits.run_direct_debits(ledger_2024.collectivite, day, actor=ACTOR).run
    assert run is not None and run.nombre == 1
    assert direct_debits.settle_direct_debits(run, actor=ACTOR) == 1
    by_debit.refresh_from_db()
    assert by_debit.etat == E.SOLDEE
    assert Encaissement.objects.count() == 3


def test_decisions_on_a_closed_exercice_stay_refused(ledger_2024):
    waiting = ledger_2024.mandat(etat=E.PRISE_EN_CHARGE)
    closed(ledger_2024)
    # Sneaked back to "reçue" behind the ledger_2024's back: still no decision on a closed exercice.
    Piece.objects.filter(pk=waiting.pk).update(etat=E.RECUE)
    waiting.refresh_from_db()
    for to, motif in ((E.PRISE_EN_CHARGE, ""), (E.REJETEE, "04"), (E.EN_INSTANCE, "02")):
        with pytest.raises(states.TransitionError, match="exercice clos"):
            states.transition(waiting, to, actor=ACTOR, motif_code=motif)
    assert workbench.available_actions(waiting) == []
    outcome = workbench.apply(ACTOR, [waiting], workbench.ACTIONS["prendre-en-charge"])
    assert outcome.moved == [] and "exercice clos" in outcome.refused[0]
    waiting.refresh_from_db()
    assert waiting.etat == E.RECUE


def test_cloture_page_lists_the_restes_first_and_pages_label_the_exercice(
    client, comptable, ledger_2024, compte
):
    ledger_2024.mandat("1000.00", n=1)
    ledger_2024.mandat("234.56", n=2)
    ledger_2024.mandat("5.00", n=3, etat=E.PAYEE)
    ledger_2024.titre("80.00")
    partial = ledger_2024.titre("50.00")
    Piece.objects.filter(pk=partial.pk).update(etat=E.PARTIELLE, reste_a_recouvrer=D("20.00"))
    c = verified_client(client, comptable)
    html = unescape(c.get(f"/helios/cloture/{ledger_2024.exercice.pk}/").content.decode())
    html = html.replace("\xa0", " ").replace("\u202f", " ")
    restes = html.index("Restes à payer et à recouvrer")
    assert restes < html.index("Pièces de l'exercice par état") < html.index("Je confirme")
    assert "<td>2</td><td>1 234,56 €</td>" in html
    assert "<td>2</td><td>100,00 €</td>" in html
    coll = ledger_2024.collectivite.pk
    assert f"/helios/paiements/?f-collectivite={coll}" in html
    assert f"/helios/recouvrement/?f-collectivite={coll}" in html
    assert "restent payables et recouvrables" in html

    closed(ledger_2024)
    paiements = unescape(c.get(reverse("helios_money:paiements")).content.decode())
    assert "clos : restes à payer" in paiements and "2024" in paiements
    recouvrement = unescape(c.get(reverse("helios_money:recouvrement")).content.decode())
    assert "clos : restes à recouvrer" in recouvrement
    assert "(2024, exercice clos)" in recouvrement
    titre_page = c.get(reverse("helios_money:titre", args=[partial.pk])).content.decode()
    assert "Enregistrer l'encaissement" in titre_page
