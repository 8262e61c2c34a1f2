"""Chorus Pro in a real browser, axe-core on every page: the supplier's (registration, deposit
of several files, receipts, invoices, an invoice, tokens) and the recipient's (inbox, invoice,
structure settings)."""

from __future__ import annotations

import pytest

from pigp.core.demo import DEMO_PASSWORD
from tests.e2e.test_login_axe import ORDONNATEUR, log_in

pytestmark = pytest.mark.browser

SELLER = "73282932000074"
VENDEUR = "vendeur@lauragais.example.fr"


@pytest.fixture
def chorus_data(demo_server):
    from pigp.chorus.depot import deposer
    from pigp.chorus.models import CompteFournisseur, Fournisseur
    from pigp.core.demo import COLLECTIVITES
    from pigp.core.models import User
    from tests.chorus.samples import CII_EN16931, addressed

    buyer = COLLECTIVITES[0][0]
    fournisseur = Fournisseur.objects.create(
        siret=SELLER, raison_sociale="Fournitures du Lauragais", email=VENDEUR
    )
    user = User.objects.create_user(VENDEUR, DEMO_PASSWORD)
    CompteFournisseur.objects.create(user=user, fournisseur=fournisseur, confirme=True)
    depot = deposer(
        fournisseur, user, addressed(CII_EN16931, SELLER, buyer, number="E2E-1"), "e2e-1.xml"
    )
    return {"buyer": buyer, "facture": depot.facture, "fournisseur": fournisseur}


def test_the_registration_page_is_public_and_accessible(page, assert_accessible):
    page.goto("/connexion/")
    page.get_by_role("link", name="Inscrivez-vous").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Inscription d'un fournisseur"
    assert_accessible(page, "the registration form")
    page.get_by_label("SIRET de votre entreprise").fill("12345")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    assert "14 chiffres" in page.locator("main").inner_text()
    assert_accessible(page, "the registration form with errors")

    from django.core import mail

    page.get_by_label("SIRET de votre entreprise").fill(SELLER)
    page.get_by_label("Raison sociale").fill("Fournitures du Lauragais")
    page.get_by_label("Adresse électronique").fill("nouveau@lauragais.example.fr")
    page.locator("input[name=password1]").fill(DEMO_PASSWORD + " et plus")
    page.locator("input[name=password2]").fill(DEMO_PASSWORD + " et plus")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Inscription enregistrée"
    assert_accessible(page, "the registration's answer")
    link = next(
        line for line in mail.outbox[-1].body.splitlines() if "/inscription/confirmer/" in line
    )
    page.goto("/chorus/" + link.split("/chorus/", 1)[1])
    assert_accessible(page, "the confirmation page")
    page.get_by_role("button", name="Confirmer le compte").click()
    page.wait_for_load_state()
    assert "est confirmé" in page.locator("main").inner_text()
    assert_accessible(page, "the confirmed account")


def test_a_supplier_deposits_and_follows_its_invoices(
    page, chorus_data, assert_accessible, tmp_path
):
    from tests.chorus.samples import CII_EN16931, addressed

    log_in(page, VENDEUR)
    assert "Espace fournisseur" in page.locator("main").inner_text()
    assert_accessible(page, "the supplier's home")
    page.get_by_role("link", name="Espace fournisseur").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Déposer des factures"
    assert_accessible(page, "the deposit form")
    # Progressive enhancement: files dropped on the zone become the field's selection.
    assert page.locator("#depot-hint").is_visible()
    transfer = page.evaluate_handle(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(["<x/>"], "glissee.xml", {type: "application/xml"}));
            return dt;
        }"""
    )
    page.dispatch_event("#depot-zone", "drop", {"dataTransfer": transfer})
    assert "glissee.xml" in page.locator("#depot-choisis").inner_text()
    assert page.evaluate("document.getElementById('depot-fichiers').files.length") == 1

    good = tmp_path / "bonne.xml"
    good.write_bytes(addressed(CII_EN16931, SELLER, chorus_data["buyer"], number="E2E-2"))
    bad = tmp_path / "pas-une-facture.txt"
    bad.write_bytes(b"ceci n'est pas une facture")
    page.get_by_label("Fichiers à déposer").set_input_files([str(good), str(bad)])
    assert "bonne.xml" in page.locator("#depot-choisis").inner_text()
    page.get_by_role("button", name="Déposer", exact=True).click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Résultat du dépôt" in main, main
    assert "acceptée" in main.lower() and "refusée" in main.lower(), main
    assert_accessible(page, "the deposit's receipts")

    page.get_by_role("link", name="Mes dépôts").click()
    page.wait_for_load_state()
    assert_accessible(page, "Mes dépôts")
    page.get_by_role("link", name="pas-une-facture.txt").click()
    page.wait_for_load_state()
    assert "Compte rendu de dépôt" in page.locator("main").inner_text()
    assert_accessible(page, "a receipt")

    page.get_by_role("link", name="Mes factures").click()
    page.wait_for_load_state()
    assert "E2E-1" in page.locator("main").inner_text()
    assert_accessible(page, "Mes factures")
    page.get_by_role("link", name="Facture n° E2E-1").click()
    page.wait_for_load_state()
    assert "Mise à disposition" in page.locator("main").inner_text()
    assert_accessible(page, "the supplier's invoice page")

    page.get_by_role("link", name="Jetons d'API").click()
    page.get_by_label("Libellé du jeton").fill("Logiciel de facturation")
    page.get_by_role("button", name="Créer un jeton").click()
    page.wait_for_load_state()
    assert page.locator("#jeton-clair").inner_text().startswith("pigp_")
    assert_accessible(page, "the tokens page")


def test_a_supplier_corrects_an_invoice_a_recycler(page, chorus_data, assert_accessible):
    from pigp.chorus.models import StatutFacture
    from tests.chorus.factories import make_facture

    facture = make_facture(
        None,
        chorus_data["fournisseur"],
        numero="REC-1",
        statut=StatutFacture.A_RECYCLER,
        siret_acheteur="11111111111111",
        motif="Le destinataire est inconnu.",
    )
    log_in(page, VENDEUR)
    page.goto(f"/chorus/fournisseur/factures/{facture.pk}/")
    assert_accessible(page, "an invoice à recycler")
    page.get_by_label("SIRET de l'acheteur (destinataire)").fill(chorus_data["buyer"])
    page.get_by_role("button", name="Soumettre à nouveau").click()
    page.wait_for_load_state()
    assert "de nouveau soumise" in page.locator("main").inner_text()


def test_the_recipients_pages_are_accessible(page, chorus_data, assert_accessible, page_errors):
    facture = chorus_data["facture"]
    log_in(page, ORDONNATEUR)
    page.goto(f"/chorus/collectivites/{facture.collectivite_id}/factures/")
    assert "E2E-1" in page.locator("main").inner_text()
    assert_accessible(page, "the inbox")
    page.goto(f"/chorus/factures/{facture.pk}/")
    assert_accessible(page, "the recipient's invoice page")
    page.goto(f"/chorus/collectivites/{facture.collectivite_id}/structure/")
    assert_accessible(page, "the structure settings")
    page.goto(f"/chorus/collectivites/{facture.collectivite_id}/services/ajouter/")
    assert_accessible(page, "the service form")
    # The supplier space is not the recipient's.
    response = page.goto("/chorus/fournisseur/")
    assert response.status == 404
    page_errors[:] = [e for e in page_errors if "404" not in e]
