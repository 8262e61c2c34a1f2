"""The demo comptable pays mandats taken in charge and downloads the transfer file, in a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_helios_browser import COMPTABLE, log_in_with_totp, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def mandats_pris_en_charge(demo_server, tmp_path):
    """A generated bordereau of Saint-Orens, received through the passerelle, taken in charge."""
    from pigp.core.models import Collectivite
    from pigp.helios import states
    from pigp.helios.models import CompteTresor, EtatPiece, Piece
    from tests.flows import receive_generated

    coll = Collectivite.objects.select_related("poste").get(siret="21310555400017")
    CompteTresor.objects.get_or_create(
        poste=coll.poste,
        defaults={
            "titulaire": "DGFIP SGC MURET",
            "iban": "FR7630001007941234567890185",
            "bic": "BDFEFRPPCCT",
        },
    )
    flux = receive_generated(
        coll,
        tmp_path / "PES_DEPENSE_2026_PAIE.xml",
        budget=coll.budgets.get(cod_col="055", cod_bud="00"),
        seed=4242,
        pieces=3,
        exercice=2026,
    )
    pieces = list(Piece.objects.filter(bordereau__flux=flux, domaine="depense"))
    assert pieces
    for piece in pieces:
        states.transition(piece, EtatPiece.PRISE_EN_CHARGE, actor=COMPTABLE)
    return coll, pieces


def test_comptable_runs_a_payment_and_downloads_a_valid_pain001(
    page, mandats_pris_en_charge, assert_accessible
):
    from django.utils import timezone

    from pigp.formats import sepa
    from pigp.helios.models import EtatPiece, Paiement, Piece

    coll, pieces = mandats_pris_en_charge
    log_in_with_totp(page, COMPTABLE)
    page.goto("/helios/paiements/")
    assert page.get_by_role("heading", level=1).inner_text() == "Paiements"
    assert coll.nom in page.locator("main").inner_text()
    assert_accessible(page, "the payments page")
    shot(page, "paiements")

    page.locator("#id_run-collectivite").select_option(label=coll.nom)
    page.get_by_label("Version du fichier SEPA").select_option("001.09")
    page.get_by_role("button", name="Préparer la campagne de paiement").click()
    page.wait_for_load_state()

    # The preview: nothing paid yet; one mandat excluded, the preview updated, then confirmed.
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Aperçu de la campagne de paiement"
    assert "Solde après la campagne" in main.inner_text()
    assert_accessible(page, "the payment run preview")
    shot(page, "paiements_apercu")
    assert not Paiement.objects.filter(piece__in=pieces).exists()
    left = pieces[-1]
    # The DSFR checkbox draws its own box; its label holds only screen-reader text.
    page.get_by_label(f"Exclure le mandat n° {left.id_pce} ").check(force=True)
    page.get_by_role("button", name="Mettre à jour l'aperçu").click()
    page.wait_for_load_state()
    assert "Exclus par vous" in main.inner_text()
    assert page.locator(f"#exclure-{left.pk}").is_checked()
    if page.locator("#solde_negatif").count():  # the demo's treasury may not cover the run
        page.locator("#solde_negatif").check(force=True)
    assert_accessible(page, "the payment run preview with an exclusion")
    page.get_by_role("button", name="Confirmer et payer").click()
    page.wait_for_load_state()
    assert "payé" in main.inner_text(), main.inner_text()
    assert_accessible(page, "the payments page after a run")
    shot(page, "paiements_apres")

    paid = [p for p in pieces if p.pk != left.pk]
    for piece in Piece.objects.filter(pk__in=[p.pk for p in paid]):
        assert piece.etat == EtatPiece.PAYEE
    assert Piece.objects.get(pk=left.pk).etat == EtatPiece.PRISE_EN_CHARGE

    with page.expect_download() as info:
        main.get_by_role("link", name="Télécharger").first.click()
    download = info.value
    content = Path(download.path()).read_bytes()
    report = sepa.validate(content, today=timezone.localdate())
    assert report.valid, [f.message for f in report.errors]
    assert report.message == sepa.PAIN_001_09
    e2e = set(Paiement.objects.filter(piece__in=pieces).values_list("reference", flat=True))
    assert len(e2e) == len(paid)
    text = content.decode()
    assert all(ref in text for ref in e2e) and f"-{left.pk}</EndToEndId>" not in text

    # The other money pages pass axe-core too.
    pages = ["/helios/recouvrement/", "/helios/recouvrement/lignes/", "/helios/tresorerie/"]
    for url in [*pages, "/helios/tresorerie/compte/"]:
        page.goto(url)
        assert page.get_by_role("heading", level=1).count() == 1
        assert_accessible(page, url)
