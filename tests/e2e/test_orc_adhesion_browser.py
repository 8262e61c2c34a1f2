"""The demo ordonnateur, made ORC « administration », adheres to the early-destruction offer,
reads an attestation, deposits a digitised paper PJ and opens the monthly recap, in a real
browser, without JavaScript-only controls; axe-core on every page of the offer."""

from __future__ import annotations

import pytest

from tests.e2e.test_extranet_browser import ORDONNATEUR
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n% scan\n%%EOF\n"


def test_ordonnateur_adheres_and_reads_attestations(page, assert_accessible):
    from pigp.core.models import Application, Habilitation, Profil, User
    from pigp.orc import attestations
    from pigp.orc.models import Adhesion, Attestation
    from tests.orc.factories import add_document, make_unit

    user = User.objects.get(email=ORDONNATEUR)
    hab = Habilitation.objects.get(user=user, application=Application.ORC)
    Habilitation.objects.filter(pk=hab.pk).update(profil=Profil.ADMINISTRATION)
    collectivite = hab.collectivite

    log_in(page, ORDONNATEUR)
    page.goto(f"/orc/{collectivite.pk}/adhesion/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page, "the adhesion page, before adhering")
    page.get_by_label("Date de signature de la convention").fill("2026-01-05")
    page.get_by_label("Nom du signataire").fill("Marie Ordonnatrice")
    page.get_by_label("Qualité du signataire").fill("Maire")
    page.get_by_label("Convention signée (PDF)").set_input_files(
        files=[{"name": "convention.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Enregistrer l'adhésion").click()
    page.wait_for_load_state()
    assert page.get_by_text("Adhésion en vigueur").is_visible()
    assert Adhesion.objects.filter(collectivite=collectivite, fin_le__isnull=True).exists()
    assert_accessible(page, "the adhesion page, adhesion in force")

    unit = make_unit(collectivite, couverte=True)
    add_document(unit, b"%PDF-1.4 facture demo", nom="facture.pdf")
    assert attestations.issue_for(unit) is not None
    page.goto(f"/orc/pieces/{unit.pk}/attestation/")
    assert page.get_by_text("facture.pdf").first.is_visible()
    assert_accessible(page, "a unit's attestation")

    page.get_by_role("link", name="Déposer une PJ papier numérisée").click()
    page.wait_for_load_state()
    assert_accessible(page, "the digitised PJ deposit form")
    page.get_by_label("Document numérisé").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF + b"scan"}]
    )
    page.get_by_label("Numérisé par").fill("Anne Agent")
    page.get_by_label("Date de numérisation").fill("2026-03-04")
    page.get_by_label("Matériel de numérisation").fill("Fujitsu fi-7160")
    page.locator("label[for=id_declaration_fidelite]").click()  # DSFR: the label covers the box
    page.get_by_role("button", name="Déposer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Attestation complémentaire n° 2").is_visible()
    assert_accessible(page, "a unit's attestation with a complement")

    recap = Attestation.objects.create(
        collectivite=collectivite,
        kind="mensuelle",
        periode=attestations.previous_month(),
        contenu={"attestations": [], "nombre_pieces": 0, "nombre_documents": 0},
        empreinte="0" * 128,
    )
    page.goto(f"/orc/attestations/{recap.pk}/")
    assert page.get_by_text("Aucune attestation d'archivage n'a été émise ce mois-ci.").is_visible()
    assert_accessible(page, "a monthly recap")
