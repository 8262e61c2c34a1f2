"""The archivist draws up a bordereau d'élimination, the archives agent gives the visa, the
archivist executes it; a legal hold and a SEDA transfer too. axe-core on every page."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, email: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def _go(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state()


def test_elimination_and_transfer_in_a_browser(page, browser, demo_server, assert_accessible):
    from pigp.core.models import Collectivite
    from pigp.orc.models import ArchiveUnit, Elimination, StatutElimination
    from tests.orc.elimination_helpers import make_agent, make_archivist
    from tests.orc.factories import make_unit

    collectivite = Collectivite.objects.order_by("pk").first()
    archivist = make_archivist(collectivite, email="archiviste@e2e.example.fr")
    agent = make_agent(collectivite.departement, email="agent@e2e.example.fr")
    old = [make_unit(collectivite, annee=2013) for _ in range(3)]
    held = make_unit(collectivite, annee=2013)

    _log_in(page, archivist.email)
    _go(page, f"/orc/gel/piece/{held.pk}/")
    assert_accessible(page, "the legal hold page")
    page.get_by_label("Motif").fill("Contentieux en cours")
    page.get_by_role("button", name="Geler la pièce").click()
    page.wait_for_load_state()
    assert page.get_by_text("Pièce gelée : aucune élimination").is_visible()

    _go(page, "/orc/eliminations/")
    assert_accessible(page, "the eliminations list")
    page.get_by_role("link", name="pièces éliminables").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "the dry run")
    assert page.get_by_text("Contentieux en cours").is_visible()
    page.get_by_role("button", name="Établir le bordereau d'élimination").click()
    page.wait_for_load_state()
    assert_accessible(page, "a bordereau in projet")
    page.get_by_role("button", name="Approuver le bordereau").click()
    page.wait_for_load_state()
    bordereau = Elimination.objects.get(collectivite=collectivite)
    assert bordereau.statut == StatutElimination.APPROUVE

    agent_context = browser.new_context(base_url=demo_server, locale="fr-FR")
    agent_page = agent_context.new_page()
    _log_in(agent_page, agent.email)
    _go(agent_page, f"/orc/eliminations/{bordereau.pk}/")
    assert_accessible(agent_page, "a bordereau awaiting the visa")
    agent_page.get_by_role("button", name="Viser l'élimination").click()
    agent_page.wait_for_load_state()
    agent_context.close()

    page.reload()
    page.get_by_role("button", name="Exécuter l'élimination").click()
    page.wait_for_load_state()
    assert page.get_by_text("Élimination exécutée").is_visible()
    assert_accessible(page, "an executed bordereau")
    assert ArchiveUnit.objects.filter(pk__in=[u.pk for u in old], statut="eliminee").count() == 3

    make_unit(collectivite, annee=2016, numero_bordereau="77")
    _go(page, f"/orc/transferts/collectivite/{collectivite.pk}/")
    assert_accessible(page, "the transfers page")
    page.get_by_label("Transférer").select_option("bordereau")
    page.locator("#id_annee").fill("2016")
    page.get_by_label("N° de bordereau").fill("77")
    page.get_by_role("button", name="Préparer le paquet SEDA").click()
    page.wait_for_load_state()
    assert page.get_by_text("préparé").first.is_visible()
    assert_accessible(page, "a transfer")
