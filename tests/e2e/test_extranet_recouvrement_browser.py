"""The demo ordonnateur follows what is still due in a real browser: the État des restes à
recouvrer, its CSV export equal to the page, then a titre's page from the recouvrement list;
axe-core on every page."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_extranet_browser import ORDONNATEUR, helios_demo  # noqa: F401 - a fixture
from tests.e2e.test_helios_browser import shot
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def test_ordonnateur_reads_the_restes_and_a_titre(page, helios_demo, assert_accessible):  # noqa: F811
    log_in(page, ORDONNATEUR)
    page.get_by_role("link", name="Extranet Hélios").first.click()
    page.wait_for_load_state()

    page.get_by_role("link", name="Restes à recouvrer", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="État des restes à recouvrer", level=1).is_visible()
    assert page.get_by_role("heading", name="Par exercice d'origine").is_visible()
    assert_accessible(page, "the restes à recouvrer")
    shot(page, "extranet-restes")
    debtors = page.locator("table:has(caption:text('par débiteur')) tbody tr td:first-child")
    shown = [n.strip() for n in debtors.all_inner_texts()]
    assert shown, "the demo has titres still due"
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    content = download.value.path().read_bytes()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1 : len(shown) + 1]] == shown

    page.get_by_role("link", name="Recouvrement", exact=True).first.click()
    page.wait_for_load_state()
    titres = page.locator("table:has(caption:text('Titres à recouvrer de')) tbody tr")
    first = titres.locator("td:first-child a").first
    number = first.inner_text().strip()
    first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Titre n° {number}", level=1).is_visible()
    assert page.get_by_role("heading", name="Encaissements").is_visible()
    assert_accessible(page, "a titre")
    shot(page, "extranet-titre")
