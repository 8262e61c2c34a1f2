"""A payment run is previewed before it is made: mandats, totals, treasury after, exclusions."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from pigp.core import files
from pigp.helios.models import EtatPiece, Paiement, PaymentRun, Piece
from pigp.helios.money import payment_preview, payments, treasury
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

D = Decimal
PREVIEW = reverse("helios_money:paiements_apercu")
LANCER = reverse("helios_money:paiements_lancer")


def run_of(ledger) -> dict:
    return {
        "run-collectivite": ledger.collectivite.pk,
        "run-date_execution": timezone.localdate().isoformat(),
        "run-version": "001.09",
    }


def opening(ledger, amount: str) -> None:
    today = timezone.localdate()
    treasury.set_opening(ledger.budget, today.year, D(amount), today, actor="x")


def text(response) -> str:
    return unescape(response.content.decode()).replace("\xa0", " ").replace("\u202f", " ")


def pain001(run: PaymentRun) -> str:
    with files.open_stored(run.fichier) as fh:
        return fh.read().decode()


def test_preview_lists_the_run_and_the_balance_after_and_pays_nothing(agent, ledger, compte):
    opening(ledger, "1000.00")
    ledger.mandat("100.00", n=1, objet="Fournitures de bureau")
    ledger.mandat("250.50", n=2)
    ledger.mandat("1.00", n=3, tiers=ledger.tiers("RIB faux", "FR00123"))
    response = agent.get(PREVIEW, run_of(ledger))
    assert response.status_code == 200
    html = text(response)
    assert "Aperçu de la campagne de paiement" in html
    assert "2 mandats pour 350,50 €" in html
    assert "Fournitures de bureau" in html and "Fournisseur 2" in html
    assert "<td>1 000,00 €</td><td>−350,50 €</td><td>649,50 €</td>" in html
    assert "Écartés :" in html  # the wrong IBAN is set aside, as the run would
    assert "deviendrait négatif" not in html
    assert "Confirmer et payer 2 mandats (350,50 €)" in html
    # A preview writes nothing.
    assert not PaymentRun.objects.exists() and not Paiement.objects.exists()
    assert set(Piece.objects.values_list("etat", flat=True)) == {EtatPiece.PRISE_EN_CHARGE}


def test_the_run_pays_exactly_the_previewed_selection(agent, ledger, compte):
    opening(ledger, "1000.00")
    kept = ledger.mandat("100.00", n=1)
    left = ledger.mandat("250.50", n=2)
    run = {**run_of(ledger), "exclure": [str(left.pk)]}
    preview = agent.get(PREVIEW, run)
    html = text(preview)
    assert (
        "1 mandat pour 100,00 €" in html
        and "Exclus par vous :</strong> 1 mandat pour 250,50 €" in html
    )
    assert f'value="{left.pk}" checked' in html
    digest = preview.context["preview"].digest
    response = agent.post(LANCER, {**run, "selection": digest}, follow=True)
    assert response.status_code == 200
    done = text(response)
    assert "1 mandat payé pour 100,00 €" in done and "1 mandat exclu de la campagne" in done
    paid = PaymentRun.objects.get()
    content = pain001(paid)
    [payment] = Paiement.objects.all()
    assert payment.piece_id == kept.pk and payment.reference in content
    assert f"-{left.pk}<" not in content and "250.50" not in content
    left.refresh_from_db()
    kept.refresh_from_db()
    assert (kept.etat, left.etat) == (EtatPiece.PAYEE, EtatPiece.PRISE_EN_CHARGE)


def test_a_selection_changed_since_the_preview_shows_it_again(agent, ledger, compte):
    opening(ledger, "1000.00")
    first = ledger.mandat("100.00", n=1)
    digest = agent.get(PREVIEW, run_of(ledger)).context["preview"].digest
    ledger.mandat("40.00", n=2)  # taken in charge meanwhile
    response = agent.post(LANCER, {**run_of(ledger), "selection": digest})
    assert response.status_code == 409
    html = text(response)
    assert "ont changé depuis l'aperçu" in html and "rien n'a été payé" in html
    assert "2 mandats pour 140,00 €" in html  # the new preview
    assert not PaymentRun.objects.exists()
    # A box ticked without updating the preview: not what was previewed either.
    fresh = response.context["preview"].digest
    ticked = {**run_of(ledger), "selection": fresh, "exclure": [str(first.pk)]}
    assert agent.post(LANCER, ticked).status_code == 409
    # No digest at all (a forged or old form): the preview, never a run.
    assert agent.post(LANCER, run_of(ledger)).status_code == 400
    assert not PaymentRun.objects.exists()
    assert agent.post(LANCER, {**run_of(ledger), "selection": fresh}).status_code == 302
    assert PaymentRun.objects.get().nombre == 2


def test_negative_balance_is_warned_and_needs_an_explicit_confirmation(agent, ledger, compte):
    opening(ledger, "10.00")
    ledger.mandat("225465.61", n=1)
    preview = agent.get(PREVIEW, run_of(ledger))
    html = text(preview)
    assert "fr-alert--warning" in html and "deviendrait négatif" in html
    assert "solde 2026 de 10,00 € avant la campagne, -225 455,61 € après" in html.replace(
        str(timezone.localdate().year), "2026"
    )
    assert "Je confirme le paiement malgré le solde négatif" in html
    digest = preview.context["preview"].digest
    refused = agent.post(LANCER, {**run_of(ledger), "selection": digest})
    assert refused.status_code == 400
    assert "cochez la confirmation" in text(refused) and not PaymentRun.objects.exists()
    ok = agent.post(LANCER, {**run_of(ledger), "selection": digest, "solde_negatif": "oui"})
    assert ok.status_code == 302 and PaymentRun.objects.count() == 1
    year = timezone.localdate().year
    assert treasury.daily_balance(ledger.budget, year).solde == D("-225455.61")


def test_excluding_a_mandat_of_another_collectivite_changes_nothing(
    agent, ledger, other_ledger, compte
):
    opening(ledger, "1000.00")
    ledger.mandat("10.00", n=1)
    theirs = other_ledger.mandat("99.00", n=2)
    plain = payment_preview.preview(ledger.collectivite, timezone.localdate())
    forged = payment_preview.preview(ledger.collectivite, timezone.localdate(), exclude=[theirs.pk])
    assert forged.digest == plain.digest and forged.excluded_count == 0
    html = text(agent.get(PREVIEW, {**run_of(ledger), "exclure": [str(theirs.pk)]}))
    assert "99,00" not in html and "Fournisseur 2" not in html


def test_service_refuses_a_run_that_is_not_the_previewed_one(ledger, compte):
    ledger.mandat("10.00", n=1)
    day = timezone.localdate()
    before = payment_preview.preview(ledger.collectivite, day)
    ledger.mandat("20.00", n=2)
    with pytest.raises(payments.SelectionChanged):
        payments.run_payments(ledger.collectivite, day, actor="x", expected_digest=before.digest)
    with pytest.raises(payments.NegativeBalance):
        payments.run_payments(ledger.collectivite, day, actor="x", negative_ok=False)
    assert not PaymentRun.objects.exists() and not Paiement.objects.exists()
    now = payment_preview.preview(ledger.collectivite, day)
    result = payments.run_payments(ledger.collectivite, day, actor="x", expected_digest=now.digest)
    assert result.paid == 2


@pytest.mark.parametrize("who", ["other_comptable", "entitled", "reader", "outsider"])
def test_only_the_postes_agents_preview_or_confirm(client, ledger, compte, who, request):
    ledger.mandat("10.00", n=1)
    digest = payment_preview.preview(ledger.collectivite, timezone.localdate()).digest
    verified_client(client, request.getfixturevalue(who))
    preview = client.get(PREVIEW, run_of(ledger))
    assert preview.status_code == 404 and b"Fournisseur 1" not in preview.content
    confirm = client.post(LANCER, {**run_of(ledger), "selection": digest, "solde_negatif": "oui"})
    assert confirm.status_code == 404
    assert not PaymentRun.objects.exists()


def test_preview_page_has_bounded_queries(agent, ledger, compte, django_assert_max_num_queries):
    opening(ledger, "1000000.00")
    counts = []
    for n in (3, 150):  # 150: more than one page of the preview
        for i in range(n - Piece.objects.count()):
            ledger.mandat("2.00", n=1000 + i + Piece.objects.count())
        with django_assert_max_num_queries(25) as ctx:
            response = agent.get(PREVIEW, run_of(ledger))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    html = text(response)
    assert "150 mandats payables par virement (page 1 sur 2)" in html and "Page suivante" in html
