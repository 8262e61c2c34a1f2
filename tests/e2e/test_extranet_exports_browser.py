"""The demo ordonnateur exports a list above the threshold in a real browser: the request is
sent to the worker (run at once in tests), « Mes exports » shows it ready with its progress,
and the file downloads; axe-core on « Mes exports »."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.e2e.test_extranet_browser import ORDONNATEUR
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def test_ordonnateur_gets_a_large_export_from_mes_exports(page, settings, assert_accessible):
    from pigp.extranet.models import EtatExport, ExportDemande
    from pigp.helios.demo import load_demo

    load_demo()
    settings.PIGP_EXTRANET_EXPORT_XLSX_MAX = 1
    log_in(page, ORDONNATEUR)
    page.get_by_role("link", name="Extranet Hélios").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Mes exports").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Mes exports", level=1).is_visible()
    assert_accessible(page, "« Mes exports », empty")

    page.get_by_role("link", name="État des paiements").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Exporter en XLSX").click()
    page.wait_for_load_state()
    demande = ExportDemande.objects.get()
    assert demande.etat == EtatExport.PRET
    assert page.get_by_text("est en préparation").is_visible()
    assert page.locator("progress").count() == 1
    assert page.get_by_text(f"{demande.rows_total} / {demande.rows_total} lignes").is_visible()
    assert_accessible(page, "« Mes exports » with an export ready")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger", exact=True).click()
    rows = list(load_workbook(io.BytesIO(download.value.path().read_bytes())).active.iter_rows())
    assert len(rows) - 1 == demande.rows_total
    page.get_by_role("link", name="Actualiser").click()
    page.wait_for_load_state()
    assert page.get_by_text("téléchargé le").is_visible()
