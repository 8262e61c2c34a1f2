"""The demo ordonnateur consults the Extranet in a real browser: the tableau de bord, a rejected
mandat found by its tiers with its motif, the tiers' page, then the list exported in CSV whose
rows are those of the page, and the recouvrement; axe-core on every page."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.test_helios_browser import shot
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser

ORDONNATEUR = "ordonnateur@demo.pigp.fr"


@pytest.fixture
def helios_demo(demo_server):
    """The demo's year of Hélios (flows taken in charge, rejected, paid), as `manage.py demo`."""
    from pigp.helios.demo import load_demo

    load_demo()


def test_ordonnateur_finds_a_rejected_mandat_and_exports_the_list(
    page, helios_demo, assert_accessible
):
    from pigp.helios.models import EtatPiece, Piece

    rejected = (
        Piece.objects.filter(
            collectivite__siret="21310555400017", domaine="depense", etat=EtatPiece.REJETEE
        )
        .select_related("tiers")
        .order_by("pk")
        .first()
    )
    assert rejected is not None, "the demo rejects mandats of Saint-Orens"
    log_in(page, ORDONNATEUR)
    page.get_by_role("link", name="Extranet Hélios").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    assert page.get_by_text("Délai global de paiement").is_visible()
    assert_accessible(page, "the tableau de bord")
    shot(page, "extranet-tableau-de-bord")

    page.get_by_role("link", name="État des paiements").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "the état des paiements")
    page.locator("#id_q").fill(rejected.tiers.nom)
    page.locator("#id_etat").select_option(EtatPiece.REJETEE.value)
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    assert page.get_by_text("Recherche par nom du tiers ou objet").is_visible()
    assert_accessible(page, "the filtered list")
    shot(page, "extranet-paiements")
    shown = page.locator("tbody tr").count()
    assert shown >= 1

    # The export is the list: same rows, French amounts.
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    content = download.value.path().read_bytes()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) - 1 == shown
    numbers = page.locator("tbody tr td:first-child").all_inner_texts()
    assert [r[0] for r in rows[1:]] == [n.strip() for n in numbers]
    assert all(re.fullmatch(r"\d+,\d\d", r[5]) and r[6] == "Rejetée" for r in rows[1:])

    # By its address: two rejected mandats of one tiers may bear the same number (two bordereaux).
    page.locator(f'tbody a[href="/extranet/mandats/{rejected.pk}/"]').first.click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert f"Motif {rejected.motif_code.split()[0]}" in main
    assert rejected.motif_commentaire in main
    assert_accessible(page, "a rejected mandat")
    shot(page, "extranet-mandat")

    page.locator("dd").get_by_role("link", name=str(rejected.tiers)).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=str(rejected.tiers), level=1).is_visible()
    assert_accessible(page, "the tiers page")
    shot(page, "extranet-tiers")

    page.get_by_role("link", name="Recouvrement", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Recouvrement", level=1).is_visible()
    assert page.get_by_text("Restes à recouvrer par ancienneté").is_visible()
    assert_accessible(page, "the recouvrement")
    shot(page, "extranet-recouvrement")
