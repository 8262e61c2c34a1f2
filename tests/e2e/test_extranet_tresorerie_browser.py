"""The demo ordonnateur follows the treasury from the tableau de bord in a real browser: the
balance and its line, then the Trésorerie page, its chart and table, the movements of a day and
their CSV; axe-core on each page."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_extranet_browser import ORDONNATEUR, helios_demo  # noqa: F401 - fixture
from tests.e2e.test_helios_browser import shot
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def test_ordonnateur_follows_the_treasury(page, helios_demo, assert_accessible):  # noqa: F811
    log_in(page, ORDONNATEUR)
    page.get_by_role("link", name="Extranet Hélios").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Trésorerie", level=2).is_visible()
    assert page.locator("svg[role=img]").count() == 1
    assert_accessible(page, "the tableau de bord with its treasury")

    page.get_by_role("link", name="Trésorerie jour par jour").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Trésorerie", level=1).is_visible()
    page.locator("#soldes summary").click()
    rows = page.locator("#soldes tbody tr")
    assert rows.count() >= 1
    assert_accessible(page, "the trésorerie")
    shot(page, "extranet-tresorerie")

    # The last day that moved: its movements, then their export.
    moved = [
        i
        for i in range(rows.count())
        if rows.nth(i).locator("td").nth(1).inner_text().strip() != "0,00 €"
        or rows.nth(i).locator("td").nth(2).inner_text().strip() != "0,00 €"
    ]
    assert moved, "the demo pays and collects in the last twelve months"
    day = rows.nth(moved[-1]).locator("td a")
    label = day.inner_text().strip()
    day.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Mouvements du {label}").is_visible()
    shown = page.locator("#mouvements ~ .fr-table tbody tr").count()
    assert shown >= 1
    assert_accessible(page, "the movements of a day")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    content = download.value.path().read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert len(lines) - 1 == shown and all(r[0] == label for r in lines[1:])
