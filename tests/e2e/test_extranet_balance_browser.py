"""The demo ordonnateur opens the Balance des comptes in a real browser; axe-core on the page."""

from __future__ import annotations

import pytest

from tests.e2e.test_extranet_browser import ORDONNATEUR, helios_demo  # noqa: F401 - a fixture
from tests.e2e.test_helios_browser import shot
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def test_ordonnateur_reads_the_balance(page, helios_demo, assert_accessible):  # noqa: F811
    log_in(page, ORDONNATEUR)
    page.get_by_role("link", name="Extranet Hélios").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Balance des comptes").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Balance des comptes").is_visible()
    main = page.locator("main").inner_text()
    assert "Total général" in main and "équilibrée" in main.lower()
    assert_accessible(page, "the balance des comptes")
    shot(page, "extranet-balance")
