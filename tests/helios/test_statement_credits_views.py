"""The statement page lists its credit lines, a repeat « déjà constaté » with its explanation;
the repeat is neither listed to match nor matchable by hand. Agents of the poste only."""

from __future__ import annotations

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from pigp.core.models import JournalEntry
from pigp.formats import sepa
from pigp.formats.sepa import CreditDebit, Party, StatementLine
from pigp.helios.models import CamtLine, Encaissement
from pigp.helios.money import statements
from tests.conftest import verified_client
from tests.helios.test_payments_support import RUN_DAY, TRESOR_IBAN, iban

pytestmark = pytest.mark.django_db

ACTOR = "comptable@example.fr"
D = Decimal
M = CamtLine.Methode


def credit(amount, remittance, *, bank_ref=None, name="DUPONT JEAN"):
    return StatementLine(
        D(amount),
        CreditDebit.CREDIT,
        RUN_DAY,
        account_servicer_ref=bank_ref,
        remittance=remittance,
        counterparty=Party(name, iban(900)),
    )


def load(ledger, lines, name, message):
    content = sepa.write_camt(
        TRESOR_IBAN,
        lines,
        message=message,
        statement_id=name.upper(),
        created=datetime.datetime(2026, 3, 21, 8, tzinfo=datetime.UTC),
    )
    return statements.import_camt(ledger.collectivite, content, name, actor=ACTOR)


@pytest.fixture
def credit_statements(ledger, compte):
    """A camt.054 with a matched credit and an unknown one, then the camt.053 repeating both
    and bringing a new credit."""
    titre = ledger.titre("300.00", id_pce="71")
    other = ledger.titre("50.00", id_pce="72", nom="Martin")
    matched = credit("100.00", "Titre n° 71", bank_ref="BQ-C1")
    unknown = credit("42.00", "VIREMENT SANS REFERENCE", bank_ref="BQ-C2", name="INCONNU")
    avis = load(ledger, [matched, unknown], "avis.xml", sepa.CAMT_054_08)
    releve = load(
        ledger, [matched, unknown, credit("50.00", "Titre n° 72")], "releve.xml", sepa.CAMT_053_08
    )
    waiting = CamtLine.objects.get(camt=avis, piece__isnull=True)
    repeats = list(CamtLine.objects.filter(camt=releve, methode=M.DEJA).order_by("pk"))
    assert len(repeats) == 2
    return {
        "titre": titre,
        "other": other,
        "avis": avis,
        "releve": releve,
        "waiting": waiting,
        "repeat": repeats[1],  # the unknown credit, seen again
        "repeat_matched": repeats[0],
    }


def text(response) -> str:
    return unescape(response.content.decode())


def test_statement_page_shows_the_repeats_and_why(agent, credit_statements):
    page = text(agent.get(reverse("helios_money:releve", args=[credit_statements["releve"].pk])))
    assert "<h2>Lignes au crédit</h2>" in page
    assert (
        "Lignes au crédit (encaissements) :</strong> 3, dont 1 rapprochée d'un titre, "
        "2 déjà constatées sur un autre relevé" in page
    )
    assert page.count("Déjà constaté</span>") == 2
    assert "Crédit déjà constaté (relevé « avis.xml » : même référence de la banque BQ-C1" in page
    assert "aucun encaissement n'est enregistré une seconde fois" in page
    assert reverse("helios_money:titre", args=[credit_statements["other"].pk]) in page
    assert "Titre n° 72" in page and "réf. banque BQ-C2" in page
    # Nothing to do with the repeats: no manual matching offered, nothing waiting.
    assert reverse("helios_money:ligne", args=[credit_statements["repeat"].pk]) not in page
    assert "à rapprocher à la main" not in page
    # The notification still has its unknown credit to match.
    avis = text(agent.get(reverse("helios_money:releve", args=[credit_statements["avis"].pk])))
    assert reverse("helios_money:ligne", args=[credit_statements["waiting"].pk]) in avis
    assert "1 à rapprocher à la main" in avis and "Déjà constaté</span>" not in avis


def test_the_lines_to_match_list_the_credit_once(agent, credit_statements):
    page = text(agent.get(reverse("helios_money:lignes")))
    assert "1 ligne à rapprocher" in page
    assert reverse("helios_money:ligne", args=[credit_statements["waiting"].pk]) in page
    assert reverse("helios_money:ligne", args=[credit_statements["repeat"].pk]) not in page


def test_a_repeat_cannot_be_matched_by_hand(agent, credit_statements):
    repeat, titre = credit_statements["repeat"], credit_statements["titre"]
    url = reverse("helios_money:ligne", args=[repeat.pk])
    response = agent.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "helios_money:releve", args=[credit_statements["releve"].pk]
    )
    assert "Rien à rapprocher : Crédit déjà constaté" in text(response)
    response = agent.post(url, {"titre": titre.pk})
    assert response.status_code == 302
    repeat.refresh_from_db()
    assert repeat.piece_id is None and repeat.methode == M.DEJA
    assert Encaissement.objects.filter(piece=titre).count() == 1
    assert not JournalEntry.objects.filter(action="helios_encaissement").exists()
    # The waiting line of the notification is the one to match.
    waiting_url = reverse("helios_money:ligne", args=[credit_statements["waiting"].pk])
    assert agent.post(waiting_url, {"titre": titre.pk}).status_code == 302
    assert Encaissement.objects.filter(piece=titre).count() == 2


@pytest.mark.parametrize("who", ["other_comptable", "entitled", "reader", "outsider"])
def test_everyone_else_gets_404_and_changes_nothing(client, credit_statements, who, request):
    verified_client(client, request.getfixturevalue(who))
    urls = [
        reverse("helios_money:releve", args=[credit_statements["releve"].pk]),
        reverse("helios_money:releve", args=[credit_statements["avis"].pk]),
        reverse("helios_money:ligne", args=[credit_statements["repeat"].pk]),
        reverse("helios_money:ligne", args=[credit_statements["waiting"].pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.content.decode()
        assert "avis.xml" not in body and "BQ-C1" not in body
    for line in ("repeat", "waiting"):
        url = reverse("helios_money:ligne", args=[credit_statements[line].pk])
        assert client.post(url, {"titre": credit_statements["titre"].pk}).status_code == 404
    assert Encaissement.objects.filter(piece=credit_statements["titre"]).count() == 1
    assert CamtLine.objects.filter(methode=M.MANUEL).count() == 0


def test_statement_page_queries_are_bounded(agent, ledger, compte, django_assert_max_num_queries):
    lines = []
    for n in range(60):
        ledger.titre("10.00", id_pce=str(100 + n))
        lines.append(credit("10.00", f"Titre n° {100 + n}", bank_ref=f"BQ-{n}"))
    lines += [credit("3.00", f"INCONNU {n}", bank_ref=f"BQ-X{n}") for n in range(20)]
    load(ledger, lines, "avis.xml", sepa.CAMT_054_08)
    releve = load(ledger, lines, "releve.xml", sepa.CAMT_053_08)
    assert (releve.lignes, releve.rapprochees) == (80, 80)
    with django_assert_max_num_queries(15):
        response = agent.get(reverse("helios_money:releve", args=[releve.pk]))
    assert text(response).count("Déjà constaté</span>") == 80
