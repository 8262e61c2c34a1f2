"""Pages of payments, recovery and treasury: the poste's agents only, POST + CSRF, no 500."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pigp.formats import sepa
from pigp.helios.models import (
    CamtLine,
    Encaissement,
    EtatPiece,
    PaymentRun,
    PrelevementRun,
    SoldeOuverture,
)
from pigp.helios.money import direct_debits, payments, recovery, statements, treasury
from tests.conftest import verified_client
from tests.helios.test_payments_support import TRESOR_IBAN

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def money_objects(ledger, compte):
    """One of each object, so that every page and action has something to point at."""
    today = timezone.localdate()
    ledger.mandat("10.00", n=1)
    run = payments.run_payments(ledger.collectivite, today, actor="x").run
    ledger.mandat("20.00", n=3)  # for the preview of the next run
    titre = ledger.titre("50.00", rum="RUM-1", date_signature_mandat=datetime.date(2025, 1, 1))
    dd = direct_debits.run_direct_debits(ledger.collectivite, today, actor="x").run
    content = sepa.write_camt(
        TRESOR_IBAN,
        [sepa.StatementLine(D("3.00"), sepa.CreditDebit.CREDIT, today, remittance="???")],
        statement_id="S1",
        created=timezone.now(),
    )
    statements.import_camt(ledger.collectivite, content, "r.xml", actor="x")
    line = CamtLine.objects.get()
    return {"run": run, "titre": titre, "dd": dd, "line": line, "budget": ledger.budget}


LISTS = ["paiements", "recouvrement", "lignes", "tresorerie"]


def urls(money_objects):
    w = money_objects
    gets = [
        reverse("helios_money:paiement_fichier", args=[w["run"].pk]),
        reverse("helios_money:titre", args=[w["titre"].pk]),
        reverse("helios_money:ligne", args=[w["line"].pk]),
        reverse("helios_money:prelevement_fichier", args=[w["dd"].pk]),
        reverse("helios_money:tresorerie_csv") + f"?budget={w['budget'].pk}&annee=2026",
        reverse("helios_money:paiements_apercu")
        + f"?run-collectivite={w['budget'].collectivite_id}&run-version=001.09"
        + f"&run-date_execution={timezone.localdate().isoformat()}",
    ]
    posts = [
        reverse("helios_money:paiements_lancer"),
        reverse("helios_money:titre_encaissement", args=[w["titre"].pk]),
        reverse("helios_money:titre_stade", args=[w["titre"].pk]),
        reverse("helios_money:releve_importer"),
        reverse("helios_money:ligne", args=[w["line"].pk]),
        reverse("helios_money:prelevements_lancer"),
        reverse("helios_money:prelevement_regle", args=[w["dd"].pk]),
        reverse("helios_money:tresorerie_solde", args=[w["budget"].pk, 2026]),
    ]
    return gets, posts


def test_agent_sees_every_page(agent, money_objects):
    gets, _ = urls(money_objects)
    gets += [reverse(f"helios_money:{name}") for name in LISTS]
    gets.append(
        reverse("helios_money:tresorerie") + f"?budget={money_objects['budget'].pk}&annee=2026"
    )
    for url in gets:
        response = agent.get(url)
        if response.streaming:
            b"".join(response.streaming_content)  # consumed: the stored file is closed
        assert response.status_code == 200, url


@pytest.mark.parametrize("who", ["other_comptable", "entitled", "reader", "outsider"])
def test_everyone_else_gets_404_on_every_page_and_action(client, money_objects, who, request):
    user = request.getfixturevalue(who)
    verified_client(client, user)
    gets, posts = urls(money_objects)
    for url in gets:
        assert client.get(url).status_code == 404, url
    coll = money_objects["budget"].collectivite_id
    data = {"run-collectivite": coll, "camt-collectivite": coll, "dd-collectivite": coll}
    for url in posts:
        assert client.post(url, data).status_code == 404, url
    for name in LISTS:
        response = client.get(reverse(f"helios_money:{name}"))
        # Another poste's agent has its own (empty) lists; anyone else has no page at all.
        expected = 200 if who == "other_comptable" else 404
        assert response.status_code == expected, name
        assert "Saint-Orens" not in response.content.decode(), name
    # Nothing happened.
    assert PaymentRun.objects.count() == 1 and not Encaissement.objects.exists()
    assert not PrelevementRun.objects.get().regle and not SoldeOuverture.objects.exists()


def test_actions_need_post_and_csrf(comptable, money_objects):
    from django.test import Client

    csrf_client = verified_client(Client(enforce_csrf_checks=True), comptable)
    url = reverse("helios_money:titre_encaissement", args=[money_objects["titre"].pk])
    assert csrf_client.post(url, {"enc-montant": "1"}).status_code == 403
    assert csrf_client.get(reverse("helios_money:paiements_lancer")).status_code == 405


def test_payment_run_from_the_page_and_download(agent, ledger, compte):
    piece = ledger.mandat("12.34", n=1)
    ledger.mandat("1.00", n=2, tiers=ledger.tiers("RIB faux", "FR00123"))
    today = timezone.localdate()
    page = agent.get(reverse("helios_money:paiements"))
    assert "RIB faux" in page.content.decode() and "Mandats écartés" in page.content.decode()
    run = {
        "run-collectivite": ledger.collectivite.pk,
        "run-date_execution": today.isoformat(),
        "run-version": "001.09",
    }
    treasury.set_opening(ledger.budget, today.year, D("100.00"), today, actor="x")
    preview = agent.get(reverse("helios_money:paiements_apercu"), run)
    assert preview.status_code == 200 and not PaymentRun.objects.exists()
    digest = preview.context["preview"].digest
    response = agent.post(
        reverse("helios_money:paiements_lancer"), {**run, "selection": digest}, follow=True
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 mandat payé" in text and "écarté" in text
    piece.refresh_from_db()
    assert piece.etat == EtatPiece.PAYEE
    run = PaymentRun.objects.get()
    download = agent.get(reverse("helios_money:paiement_fichier", args=[run.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    content = b"".join(download.streaming_content)
    assert sepa.validate(content, today=today).valid


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"run-collectivite": "abc", "run-date_execution": "x", "run-version": "9"},
        {"run-collectivite": "999999", "run-date_execution": "2026-01-01", "run-version": "001.09"},
        {"run-date_execution": "1900-01-01", "run-version": "001.09"},
    ],
)
def test_bad_run_input_is_a_form_error(agent, ledger, compte, data):
    response = agent.post(reverse("helios_money:paiements_lancer"), data)
    # An unknown collectivité is a 404 like any object outside the poste; the rest, form errors.
    assert response.status_code == (404 if data.get("run-collectivite") == "999999" else 400)
    assert not PaymentRun.objects.exists()


def test_missing_compte_is_shown_in_french(agent, ledger):
    ledger.mandat()
    response = agent.post(
        reverse("helios_money:paiements_lancer"),
        {
            "run-collectivite": ledger.collectivite.pk,
            "run-date_execution": timezone.localdate().isoformat(),
            "run-version": "001.09",
        },
    )
    assert response.status_code == 400
    assert "compte au Trésor" in response.content.decode()


def test_encaissement_form_partial_overpayment_and_solde(agent, ledger):
    titre = ledger.titre("100.00")
    url = reverse("helios_money:titre_encaissement", args=[titre.pk])
    today = timezone.localdate().isoformat()
    ok = agent.post(url, {"enc-date": today, "enc-montant": "40", "enc-reference": "chq"})
    assert ok.status_code == 302
    too_much = agent.post(url, {"enc-date": today, "enc-montant": "60.01"})
    assert too_much.status_code == 400
    assert "dépasse le reste à recouvrer" in too_much.content.decode()
    for bad in ({"enc-date": "x", "enc-montant": "1"}, {"enc-montant": "1e999"}, {}):
        assert agent.post(url, bad).status_code == 400
    agent.post(url, {"enc-date": today, "enc-montant": "60.00"})
    titre.refresh_from_db()
    assert titre.etat == EtatPiece.SOLDEE and titre.reste_a_recouvrer == 0
    page = agent.get(reverse("helios_money:titre", args=[titre.pk]))
    assert "Enregistrer l'encaissement" not in page.content.decode()


def test_stage_form(agent, ledger):
    titre = ledger.titre()
    url = reverse("helios_money:titre_stade", args=[titre.pk])
    assert agent.post(url, {"stade-stade": "nope"}).status_code == 400
    assert agent.post(url, {"stade-stade": "mise_en_demeure"}).status_code == 302
    titre.refresh_from_db()
    assert titre.stade == "mise_en_demeure"


def test_camt_import_page_duplicate_and_manual_match(agent, ledger, compte):
    from django.core.files.uploadedfile import SimpleUploadedFile

    titre = ledger.titre("20.00", id_pce="77")
    lonely = ledger.titre("30.00", nom="Autre")
    day = timezone.localdate()
    content = sepa.write_camt(
        TRESOR_IBAN,
        [
            sepa.StatementLine(D("20.00"), sepa.CreditDebit.CREDIT, day, remittance="T77"),
            sepa.StatementLine(D("30.00"), sepa.CreditDebit.CREDIT, day, remittance="?"),
        ],
        message=sepa.CAMT_054_08,
        statement_id="N1",
        created=timezone.now(),
    )
    url = reverse("helios_money:releve_importer")

    def post(data: bytes):
        return agent.post(
            url,
            {
                "camt-collectivite": ledger.collectivite.pk,
                "camt-fichier": SimpleUploadedFile("avis.xml", data, "application/xml"),
            },
        )

    assert post(content).status_code == 302
    titre.refresh_from_db()
    assert titre.etat == EtatPiece.SOLDEE
    again = post(content)
    assert again.status_code == 400 and "déjà été importé" in again.content.decode()
    bad = post(b"<Document><x/></Document>")
    assert bad.status_code == 400 and "n&#x27;est pas un camt" in bad.content.decode()
    lines = agent.get(reverse("helios_money:lignes"))
    assert "30,00" in lines.content.decode()
    line = CamtLine.objects.get(piece__isnull=True)
    match_url = reverse("helios_money:ligne", args=[line.pk])
    assert agent.get(match_url).status_code == 200
    assert agent.post(match_url, {"titre": "abc"}).status_code == 400
    assert agent.post(match_url, {"titre": lonely.pk}).status_code == 302
    lonely.refresh_from_db()
    assert lonely.etat == EtatPiece.SOLDEE


def test_direct_debit_pages(agent, ledger, compte):
    titre = ledger.titre("45.00", rum="RUM-9", date_signature_mandat=datetime.date(2025, 2, 2))
    response = agent.post(
        reverse("helios_money:prelevements_lancer"),
        {
            "dd-collectivite": ledger.collectivite.pk,
            "dd-date_echeance": timezone.localdate().isoformat(),
            "dd-version": "001.08",
        },
    )
    assert response.status_code == 302
    run = PrelevementRun.objects.get()
    download = agent.get(reverse("helios_money:prelevement_fichier", args=[run.pk]))
    content = b"".join(download.streaming_content)
    assert sepa.validate(content, today=timezone.localdate()).valid
    assert agent.post(reverse("helios_money:prelevement_regle", args=[run.pk])).status_code == 302
    titre.refresh_from_db()
    assert titre.etat == EtatPiece.SOLDEE
    again = agent.post(reverse("helios_money:prelevement_regle", args=[run.pk]), follow=True)
    assert "déjà marquée réglée" in again.content.decode()


def test_treasury_page_opening_and_csv(agent, ledger, compte):
    budget = ledger.budget
    year = timezone.localdate().year
    url = reverse("helios_money:tresorerie_solde", args=[budget.pk, year])
    assert agent.post(url, {"solde-montant": "abc"}).status_code == 400
    assert agent.post(url, {"solde-montant": "10", "solde-date": "1999-01-01"}).status_code == 400
    ok = agent.post(url, {"solde-montant": "1000.00", "solde-date": f"{year}-01-01"})
    assert ok.status_code == 302
    titre = ledger.titre("25.00")
    recovery.record_encaissement(titre, D("25.00"), timezone.localdate(), actor="x")
    page = agent.get(reverse("helios_money:tresorerie") + f"?budget={budget.pk}&annee={year}")
    text = page.content.decode()
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    assert "<svg" in text and "Solde : 1 025,00 €" in text
    csv = agent.get(reverse("helios_money:tresorerie_csv") + f"?budget={budget.pk}&annee={year}")
    assert csv["Content-Type"].startswith("text/csv")
    assert "1025,00" in csv.content.decode("utf-8-sig")
    assert agent.get(reverse("helios_money:tresorerie") + "?budget=x&annee=y").status_code == 200
    assert (
        agent.post(reverse("helios_money:tresorerie_solde", args=[budget.pk, 99999])).status_code
        == 404
    )


def test_list_pages_have_bounded_queries(agent, ledger, compte, django_assert_max_num_queries):
    for n in range(30):
        ledger.titre("5.00", nom=f"Débiteur {n}")
    for n in range(1, 11):
        ledger.mandat("2.00", n=n)
        payments.run_payments(ledger.collectivite, timezone.localdate(), actor="x")
    with django_assert_max_num_queries(30):
        assert agent.get(reverse("helios_money:recouvrement")).status_code == 200
    with django_assert_max_num_queries(30):
        assert agent.get(reverse("helios_money:paiements")).status_code == 200


def test_compte_au_tresor_page(agent, comptable, client, other_comptable):
    from pigp.helios.models import CompteTresor

    url = reverse("helios_money:compte")
    assert agent.get(url).status_code == 200
    bad = agent.post(url, {"titulaire": "DGFIP", "iban": "FR76 0000", "ics": "FR00ZZZ1"})
    assert bad.status_code == 400
    assert "IBAN invalide" in bad.content.decode() and "ICS invalide" in bad.content.decode()
    assert agent.post(url, {}).status_code == 400
    ok = agent.post(
        url,
        {
            "titulaire": "DGFIP SGC",
            "iban": "fr76 3000 1007 9412 3456 7890 185",
            "ics": "FR72ZZZ123456",
        },
    )
    assert ok.status_code == 302
    compte = CompteTresor.objects.get(poste=comptable.poste)
    assert compte.iban == "FR7630001007941234567890185" and compte.ics == "FR72ZZZ123456"
    # Another poste's agent edits its own poste's account, never ours.
    other = verified_client(client.__class__(), other_comptable)
    other.post(url, {"titulaire": "Albi", "iban": "FR7630001007941234567890185"})
    compte.refresh_from_db()
    assert compte.titulaire == "DGFIP SGC"
    assert CompteTresor.objects.get(poste=other_comptable.poste).titulaire == "Albi"


@pytest.mark.parametrize("who", ["entitled", "reader", "outsider"])
def test_compte_page_is_404_for_non_agents(client, who, request):
    verified_client(client, request.getfixturevalue(who))
    assert client.get(reverse("helios_money:compte")).status_code == 404
    assert client.post(reverse("helios_money:compte"), {}).status_code == 404


def test_titre_page_dates_its_recovery_stage(agent, money_objects):
    titre = money_objects["titre"]
    response = agent.post(
        reverse("helios_money:titre_stade", args=[titre.pk]), {"stade-stade": "mise_en_demeure"}
    )
    assert response.status_code == 302
    html = agent.get(reverse("helios_money:titre", args=[titre.pk])).content.decode()
    assert "Mise en demeure" in html
    assert f"(depuis le {timezone.localdate():%d/%m/%Y})" in html
