"""The demo ordonnateur follows an invoice number in a real browser: from a mandat's page to the
list of the mandats paying that invoice, then through the search box; axe-core on each page."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_extranet_browser import ORDONNATEUR
from tests.e2e.test_extranet_browser import helios_demo as helios_demo  # the fixture
from tests.e2e.test_helios_browser import shot
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def test_ordonnateur_follows_an_invoice_number(
    page,
    demo_server,
    helios_demo,
    assert_accessible,
):
    from pigp.helios.models import FacturePiece

    facture = (
        FacturePiece.objects.filter(collectivite__siret="21310555400017")
        .select_related("piece")
        .order_by("pk")
        .first()
    )
    assert facture is not None, "the demo's mandats carry invoice numbers"
    mandat = facture.piece
    log_in(page, ORDONNATEUR)
    page.goto(f"{demo_server}/extranet/mandats/{mandat.pk}/")
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert re.search(r"Factures? payées?", main), main[:300]
    assert f"n° {facture.numero}" in main
    assert_accessible(page, "a mandat with its invoice number")

    page.get_by_role("link", name=f"n° {facture.numero}", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#id_facture").input_value() == facture.numero
    numbers = [n.strip() for n in page.locator("tbody tr td:first-child").all_inner_texts()]
    assert mandat.id_pce in numbers
    assert_accessible(page, "the list filtered by invoice number")
    shot(page, "extranet-facture")

    page.locator("#id_facture").fill("")
    page.locator("#id_q").fill(facture.numero.lower())
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    assert page.get_by_text("Recherche par numéro de facture").is_visible()
    numbers = [n.strip() for n in page.locator("tbody tr td:first-child").all_inner_texts()]
    assert mandat.id_pce in numbers
