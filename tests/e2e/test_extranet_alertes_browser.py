"""The demo ordonnateur subscribes to an alert in a real browser, then finds it on the
tableau de bord once the digest has run; axe-core on « Mes alertes » and the dashboard."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.e2e.test_extranet_browser import ORDONNATEUR
from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser


def test_ordonnateur_subscribes_and_sees_his_alerts(page, assert_accessible):
    from pigp.extranet import alerts
    from pigp.extranet.models import Abonnement
    from pigp.helios.demo import load_demo

    load_demo()
    log_in(page, ORDONNATEUR)
    page.get_by_role("link", name="Extranet Hélios").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Mes alertes").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Mes alertes", level=1).is_visible()
    assert_accessible(page, "« Mes alertes », empty")

    page.locator("#id_kind").select_option("mandat_rejete")
    page.get_by_role("button", name="Créer l'alerte").click()
    page.wait_for_load_state()
    assert page.get_by_text("Alerte « Mandat rejeté » créée.").is_visible()
    assert_accessible(page, "« Mes alertes » with one alert")

    # The demo's rejections happened before: as if subscribed earlier, then the digest runs.
    Abonnement.objects.update(cree_le=timezone.now() - datetime.timedelta(days=400))
    assert alerts.detect() > 0
    page.get_by_role("link", name="Tableau de bord").first.click()
    page.wait_for_load_state()
    alert_list = page.locator("h2:has-text('Mes dernières alertes') + ul li")
    assert alert_list.count() > 0
    assert "Mandat rejeté" in alert_list.first.inner_text()
    assert_accessible(page, "the tableau de bord with alerts")
