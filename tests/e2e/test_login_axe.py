"""The demo accounts in a real browser, with axe-core on every page they see."""

from __future__ import annotations

import pytest

from pigp.core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

ORDONNATEUR = "ordonnateur@demo.pigp.fr"
COMPTABLE = "comptable@demo.pigp.fr"
NEWCOMER = "nouvel.agent@demo.pigp.fr"


def log_in(page, email: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def card_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(".fr-card__title").all_inner_texts()]


def test_ordonnateur_sees_its_applications_and_logs_out(page, assert_accessible):
    page.goto("/")
    # Anonymous: sent to the login page, which remembers where to go back.
    assert "/connexion/?next=/" in page.url
    assert_accessible(page, "the login page")

    log_in(page, ORDONNATEUR)
    assert page.url.endswith("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mes applications"
    # Two collectivités: the switcher picks the one with every application.
    page.get_by_label("Collectivité").select_option(label="Commune de Saint-Orens-de-Gameville")
    page.get_by_role("button", name="Changer de collectivité").click()
    page.wait_for_load_state()
    titles = card_titles(page)
    assert titles == ["Chorus Pro", "Extranet Hélios", "ORC (archives)", "Passerelle"], titles
    assert "Commune de Saint-Orens-de-Gameville" in page.locator("main").inner_text()
    assert_accessible(page, "the home page")

    page.get_by_role("link", name="Passerelle").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Passerelle"
    assert_accessible(page, "an application entry page")

    page.goto("/compte/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mon compte"
    assert ORDONNATEUR in page.locator("main").inner_text()
    assert_accessible(page, "the account page")

    page.goto("/habilitations/demander/")
    assert_accessible(page, "the request form")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    assert page.url.endswith("/connexion/")
    assert page.get_by_role("heading", level=1).inner_text() == "Connexion au portail"
    page.goto("/compte/")
    assert "/connexion/?next=/compte/" in page.url


def test_comptable_passes_totp_and_grants_the_pending_request(page, assert_accessible):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pigp.core.models import Habilitation, JournalEntry, StatutHabilitation

    log_in(page, COMPTABLE)
    assert "/securite/verification/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Double authentification"
    assert_accessible(page, "the TOTP page")

    # A wrong code is refused.
    page.get_by_label("Code à 6 chiffres").fill("000000")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    assert "/securite/verification/" in page.url
    assert "Code incorrect ou expiré." in page.locator("main").inner_text()

    # django-otp then throttles the device for one second.
    page.wait_for_timeout(1_500)
    device = TOTPDevice.objects.get(user__email=COMPTABLE, confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("Code à 6 chiffres").fill(f"{code:0{device.digits}d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    assert "/securite/" not in page.url, page.locator("main").inner_text()

    page.get_by_role("link", name="Demandes à traiter").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/comptable/demandes/")
    main = page.locator("main")
    assert NEWCOMER in main.inner_text()
    assert_accessible(page, "the pending requests page")

    row = main.locator("tr", has_text=NEWCOMER)
    row.get_by_role("button", name="Accorder").click()
    page.wait_for_load_state()
    assert f"Habilitation accordée à {NEWCOMER}." in main.inner_text()
    assert "Aucune demande en attente." in main.inner_text()
    assert_accessible(page, "the pending requests page after a decision")

    hab = Habilitation.objects.get(user__email=NEWCOMER)
    assert hab.statut == StatutHabilitation.ACTIVE
    assert hab.decidee_par.email == COMPTABLE
    assert JournalEntry.objects.filter(
        action="habilitation_accordee", object_id=str(hab.pk)
    ).exists()

    page.get_by_role("link", name="Habilitations", exact=True).click()
    page.wait_for_load_state()
    assert NEWCOMER in page.locator("main").inner_text()
    assert_accessible(page, "the habilitations page")


def test_public_pages_are_accessible(page, assert_accessible):
    for url in ["/accessibilite/", "/mentions-legales/", "/mot-de-passe/oublie/"]:
        page.goto(url)
        assert_accessible(page, url)


def test_axe_does_report_serious_violations(page):
    """The check itself works: a page with an image without text alternative fails it."""
    from tests.e2e.conftest import serious_violations

    page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'
    )
    assert "image-alt" in {v["id"] for v in serious_violations(page)}
