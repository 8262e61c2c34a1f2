"""Pages of debit reconciliation: statement result, manual matching, payment run, mandat page,
lists. Agents of the poste only; every other user gets a 404 and changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pigp.core.models import JournalEntry
from pigp.formats import sepa
from pigp.formats.sepa import CreditDebit, Party, StatementLine
from pigp.helios.models import CamtDebit, CamtImport, Paiement
from pigp.helios.money import payments, statements
from tests.conftest import verified_client
from tests.helios.test_payments_support import RUN_DAY, TRESOR_IBAN, iban

pytestmark = pytest.mark.django_db

D = Decimal
ACTOR = "comptable@example.fr"


def camt(lines, statement_id="REL-V1") -> bytes:
    return sepa.write_camt(
        TRESOR_IBAN,
        lines,
        statement_id=statement_id,
        created=datetime.datetime(2026, 3, 25, 8, tzinfo=datetime.UTC),
    )


def debit(amount, **kw) -> StatementLine:
    return StatementLine(D(amount), CreditDebit.DEBIT, RUN_DAY, **kw)


@pytest.fixture
def debit_statement(ledger, compte):
    """A run debited by a batch booking, a second run waiting, bank fees waiting."""
    ledger.mandat("40.00", n=1)
    ledger.mandat("60.00", n=2)
    run = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR).run
    ledger.mandat("25.00", n=3)
    waiting_run = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR).run
    content = camt(
        [
            debit("100.00", payment_info_id=run.pmt_inf_id, account_servicer_ref="BQ-77"),
            # A batch the poste does not know, to another account than the payment's.
            debit("25.00", payment_info_id="LOT-INCONNU", counterparty=Party("X", iban(777))),
            debit("12.50", remittance="FRAIS DE TENUE DE COMPTE"),
        ]
    )
    camt_import = statements.import_camt(ledger.collectivite, content, "releve.xml", actor=ACTOR)
    matched, lot, fees = CamtDebit.objects.filter(camt=camt_import).order_by("pk")
    assert matched.rapprochee and not lot.rapprochee and not fees.rapprochee
    return {
        "run": run,
        "waiting_run": waiting_run,
        "camt": camt_import,
        "matched": matched,
        "lot": lot,
        "fees": fees,
        "mandat": run.paiements.order_by("pk").first().piece,
    }


def pages(w) -> list[str]:
    return [
        reverse("helios_money:releve", args=[w["camt"].pk]),
        reverse("helios_money:campagne", args=[w["run"].pk]),
        reverse("helios_money:debit", args=[w["lot"].pk]),
        reverse("helios:piece", args=[w["mandat"].pk]),
    ]


def test_statement_page_lists_every_debit_and_why(agent, debit_statement):
    page = agent.get(
        reverse("helios_money:releve", args=[debit_statement["camt"].pk])
    ).content.decode()
    assert "Lignes au débit (paiements) :</strong> 3, dont 1 rapprochée" in page
    assert "Rapprochée" in page and "Référence du lot (PmtInfId ou MsgId)" in page
    assert f"Campagne n° {debit_statement['run'].pk}" in page and "réf. banque BQ-77" in page
    assert page.count("À rapprocher</span>") == 2
    assert "Aucun paiement de 12,50\u202f€" in page or "Aucun paiement de 12,50 €" in page
    assert reverse("helios_money:debit", args=[debit_statement["fees"].pk]) in page
    assert reverse("helios_money:debit", args=[debit_statement["matched"].pk]) not in page


def test_run_and_mandat_pages_show_the_debit(agent, debit_statement):
    run, waiting = debit_statement["run"], debit_statement["waiting_run"]
    page = agent.get(reverse("helios_money:campagne", args=[run.pk])).content.decode()
    assert "Débitée</span> le 20/03/2026" in page
    assert page.count("relevé « releve.xml »") >= 2 and run.pmt_inf_id in page
    other = agent.get(reverse("helios_money:campagne", args=[waiting.pk])).content.decode()
    assert "En attente du relevé" in other and "en attente du relevé" in other
    mandat = agent.get(
        reverse("helios:piece", args=[debit_statement["mandat"].pk])
    ).content.decode()
    assert "débité sur le compte au Trésor le 20/03/2026" in mandat
    assert "référence de la banque BQ-77" in mandat
    assert reverse("helios_money:campagne", args=[run.pk]) in mandat
    unpaid = debit_statement["waiting_run"].paiements.get().piece
    mandat = agent.get(reverse("helios:piece", args=[unpaid.pk])).content.decode()
    assert "débit pas encore constaté" in mandat
    listing = agent.get(reverse("helios_money:paiements")).content.decode()
    assert "Débitée</span> le 20/03/2026" in listing and "En attente du relevé" in listing
    recouvrement = agent.get(reverse("helios_money:recouvrement")).content.decode()
    assert reverse("helios_money:releve", args=[debit_statement["camt"].pk]) in recouvrement
    assert "1 / 3" in recouvrement


def test_manual_reconciliation_from_the_page(agent, debit_statement):
    lot, run = debit_statement["lot"], debit_statement["waiting_run"]
    url = reverse("helios_money:debit", args=[lot.pk])
    page = agent.get(url).content.decode()
    assert "Pourquoi ce débit n'est pas rapproché" in page
    assert f"Campagne n° {run.pk}" in page
    assert agent.post(url, {"choix": "run-999999"}).status_code == 400
    response = agent.post(url, {"choix": f"run-{run.pk}"})
    assert response.status_code == 302
    assert response["Location"] == reverse("helios_money:releve", args=[debit_statement["camt"].pk])
    lot.refresh_from_db()
    assert lot.rapprochee and lot.methode == CamtDebit.Methode.MANUEL
    assert run.paiements.get().debit_id == lot.pk
    assert JournalEntry.objects.filter(action="helios_debit_rapproche").count() == 1
    # Reconciled: the page sends back to the statement.
    assert agent.get(url).status_code == 302
    # Bank fees have nothing to be matched with: the page says what to do.
    fees = agent.get(
        reverse("helios_money:debit", args=[debit_statement["fees"].pk])
    ).content.decode()
    assert "traitez l'opération hors Hélios" in fees


def test_import_from_the_page_leads_to_its_result(agent, ledger, compte):
    ledger.mandat("10.00", n=1)
    run = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR).run
    content = camt([debit("10.00", msg_id=run.msg_id)], statement_id="REL-V2")
    response = agent.post(
        reverse("helios_money:releve_importer"),
        {
            "camt-collectivite": ledger.collectivite.pk,
            "camt-fichier": SimpleUploadedFile("avis.xml", content, "application/xml"),
        },
        follow=True,
    )
    imported = CamtImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("helios_money:releve", args=[imported.pk])
    text = response.content.decode()
    assert "1 ligne au débit, 1 rapprochée, 0 à rapprocher à la main" in text
    assert Paiement.objects.get().debite_le == RUN_DAY


@pytest.mark.parametrize("who", ["other_comptable", "entitled", "reader", "outsider"])
def test_everyone_else_gets_404_and_changes_nothing(client, debit_statement, who, request):
    verified_client(client, request.getfixturevalue(who))
    for url in pages(debit_statement):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "releve.xml" not in response.content.decode()
    lot_url = reverse("helios_money:debit", args=[debit_statement["lot"].pk])
    assert (
        client.post(lot_url, {"choix": f"run-{debit_statement['waiting_run'].pk}"}).status_code
        == 404
    )
    debit_statement["lot"].refresh_from_db()
    assert not debit_statement["lot"].rapprochee
    assert not debit_statement["waiting_run"].paiements.filter(debit__isnull=False).exists()
    assert not JournalEntry.objects.filter(action="helios_debit_rapproche").exists()
    if who == "other_comptable":  # its own (empty) lists, nothing of ours
        for name in ("paiements", "recouvrement"):
            response = client.get(reverse(f"helios_money:{name}"))
            assert response.status_code == 200 and "releve.xml" not in response.content.decode()


def test_pages_have_bounded_queries(agent, ledger, compte, django_assert_max_num_queries):
    for n in range(1, 61):
        ledger.mandat("1.00", n=n)
    run = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR).run
    lines = [
        debit("1.00", transactions=(sepa.StatementTransaction(p.montant, p.reference),))
        for p in run.paiements.all()
    ] + [debit("3.00", remittance=f"FRAIS {n}") for n in range(20)]
    imported = statements.import_camt(ledger.collectivite, camt(lines), "gros.xml", actor=ACTOR)
    assert imported.debits == 80 and imported.debits_rapproches == 60
    for n in range(5):
        ledger.mandat("2.00", n=100 + n)
        payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    with django_assert_max_num_queries(15):
        assert agent.get(reverse("helios_money:releve", args=[imported.pk])).status_code == 200
    with django_assert_max_num_queries(15):
        assert agent.get(reverse("helios_money:campagne", args=[run.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert agent.get(reverse("helios_money:paiements")).status_code == 200
    with django_assert_max_num_queries(20):
        assert agent.get(reverse("helios_money:recouvrement")).status_code == 200
