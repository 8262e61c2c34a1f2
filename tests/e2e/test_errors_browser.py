"""Error pages and the comptable's home as a person meets them, in a real browser (DEBUG off)."""

from __future__ import annotations

import pytest

from tests.e2e.test_helios_browser import log_in_with_totp
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def _take_status_error(page_errors: list[str], status: int) -> None:
    """The browser logs the page's own error status in the console: expected here, once."""
    expected = [e for e in page_errors if f"status of {status}" in e]
    assert expected, page_errors
    for entry in expected:
        page_errors.remove(entry)


def test_unknown_page_is_french_and_accessible(page, page_errors, assert_accessible):
    response = page.goto("/nulle-part/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    assert "Identifiant de la requête" in page.locator("main").inner_text()
    assert "URLconf" not in page.content()
    assert_accessible(page, "the 404 page")
    _take_status_error(page_errors, 404)


def test_admin_for_an_ordonnateur_is_a_403_not_a_loop(page, page_errors, assert_accessible):
    log_in(page, "ordonnateur@demo.pigp.fr")
    response = page.goto("/admin/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Accès refusé"
    assert "réservée aux administrateurs nationaux" in page.locator("main").inner_text()
    assert_accessible(page, "the 403 page")
    _take_status_error(page_errors, 403)


def test_comptable_lands_on_his_work(page, assert_accessible):
    log_in_with_totp(page, "comptable@demo.pigp.fr")
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mon poste comptable"
    main = page.locator("main").inner_text()
    assert "File d'attente" in main and "Demandes d'habilitation" in main
    assert "aucune application" not in main
    assert_accessible(page, "the comptable's home")
