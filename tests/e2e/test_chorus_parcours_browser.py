"""An invoice's whole journey in a real browser: a supplier deposits a Factur-X PDF, the
collectivité states the service fait and marks it mandatée, the PES flow carrying that mandat
reaches Hélios through the passerelle, the comptable takes it in charge and pays it, and the
supplier then reads « Mise en paiement » with the transfer's reference."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pigp.core.demo import DEMO_PASSWORD
from tests.e2e.test_login_axe import ORDONNATEUR, log_in

pytestmark = pytest.mark.browser

SELLER = "73282932000074"
VENDEUR = "parcours@lauragais.example.fr"


@pytest.fixture
def fournisseur(demo_server):
    from pigp.chorus.models import CompteFournisseur, Fournisseur
    from pigp.core.models import User

    fournisseur = Fournisseur.objects.create(
        siret=SELLER, raison_sociale="Fournitures du Lauragais", email=VENDEUR
    )
    user = User.objects.create_user(VENDEUR, DEMO_PASSWORD)
    CompteFournisseur.objects.create(user=user, fournisseur=fournisseur, confirme=True)
    return fournisseur


def _pes_with_one_mandat(collectivite, path):
    """A PES_Aller of the collectivité (this year) written at `path`; its first mandat's number."""
    from pigp.formats.pes import read_pes_aller
    from pigp.formats.pes import records as r
    from pigp.formats.pes.generator import generate_pes_aller
    from tests.flows import _header

    year = timezone.localdate().year
    generate_pes_aller(
        path, **_header(collectivite, None), nom_fic=path.stem, pieces=1, lignes=1, exercice=year
    )
    [mandat] = [
        rec for rec in read_pes_aller(path) if isinstance(rec, r.Piece) and rec.domaine == "depense"
    ]
    return mandat.id_pce


def test_a_factur_x_invoice_from_deposit_to_payment(page, fournisseur, tmp_path, assert_accessible):
    from pigp.chorus.models import Facture, StatutFacture
    from pigp.core.models import Collectivite
    from pigp.helios import states
    from pigp.helios.models import CompteTresor, EtatPiece, Paiement, Piece
    from pigp.helios.money import payments
    from pigp.passerelle import intake
    from pigp.passerelle.models import Flux, StatutFlux
    from tests.chorus.samples import CII_EN16931, addressed, facturx
    from tests.helios.test_payments_support import ICS, TRESOR_IBAN

    collectivite = Collectivite.objects.get(nom="Commune de Saint-Orens-de-Gameville")

    # 1. The supplier deposits a Factur-X PDF through the web form.
    pdf = tmp_path / "facture-parcours.pdf"
    pdf.write_bytes(
        facturx(addressed(CII_EN16931, SELLER, collectivite.siret, number="PARCOURS-1"))
    )
    log_in(page, VENDEUR)
    page.get_by_role("link", name="Espace fournisseur").first.click()
    page.wait_for_load_state()
    page.get_by_label("Fichiers à déposer").set_input_files(str(pdf))
    page.get_by_role("button", name="Déposer", exact=True).click()
    page.wait_for_load_state()
    assert "acceptée" in page.locator("main").inner_text().lower()
    facture = Facture.objects.get(fournisseur=fournisseur, numero="PARCOURS-1")
    assert facture.statut == StatutFacture.MISE_A_DISPOSITION and facture.format == "facturx"

    # 2. The collectivité states the service fait, then marks it mandatée with the mandat's
    # number its next PES flow carries.
    pes = tmp_path / "PES_PARCOURS.xml"
    numero = _pes_with_one_mandat(collectivite, pes)
    page.context.clear_cookies()
    log_in(page, ORDONNATEUR)
    page.goto(f"/chorus/factures/{facture.pk}/")
    page.get_by_role("button", name="Constater le service fait").click()
    page.wait_for_load_state()
    assert "Service fait" in page.locator("main").inner_text()
    page.locator("#id_numero_mandat").fill(numero)
    page.get_by_role("button", name="Marquer mandatée").click()
    page.wait_for_load_state()
    assert Facture.objects.get(pk=facture.pk).statut == StatutFacture.MANDATEE
    assert_accessible(page, "the invoice marked mandatée")

    # 3. The PES flow goes through the passerelle to Hélios: the invoice follows its mandat.
    with pes.open("rb") as fh:
        [received] = intake.receive(fh, filename=pes.name, collectivite=collectivite, canal="web")
    flux = Flux.objects.get(pk=received.flux.pk)
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    mandat = Piece.objects.get(collectivite=collectivite, domaine="depense", id_pce=numero)
    assert Facture.objects.get(pk=facture.pk).statut == StatutFacture.MISE_A_DISPOSITION_COMPTABLE
    states.transition(mandat, EtatPiece.PRISE_EN_CHARGE, actor="comptable@demo.pigp.fr")
    assert Facture.objects.get(pk=facture.pk).statut == StatutFacture.COMPTABILISEE
    CompteTresor.objects.get_or_create(
        poste=collectivite.poste,
        defaults={"titulaire": "DGFIP SGC", "iban": TRESOR_IBAN, "bic": "BDFEFRPPCCT", "ics": ICS},
    )
    others = Piece.objects.filter(collectivite=collectivite, domaine="depense").exclude(
        pk=mandat.pk
    )
    run = payments.run_payments(
        collectivite,
        timezone.localdate(),
        actor="comptable@demo.pigp.fr",
        exclude=list(others.values_list("pk", flat=True)),
    ).run
    reference = Paiement.objects.get(run=run, piece=mandat).reference

    # 4. The supplier sees its invoice « Mise en paiement », with the transfer's reference.
    page.context.clear_cookies()
    log_in(page, VENDEUR)
    page.goto("/chorus/fournisseur/factures/")
    assert "Mise en paiement" in page.locator("main").inner_text()
    page.get_by_role("link", name="Facture n° PARCOURS-1").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Mise en paiement" in main and reference in main, main
    assert_accessible(page, "the supplier's paid invoice")
