"""A transmission user deposits two files in Chromium, watches them through, opens the
acknowledgement; axe-core on every passerelle page seen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.flows import aller_bytes, with_wrong_bordereau_total

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("PIGP_SHOTS")  # a directory to keep screenshots in, when set
GARBAGE = b"\x00\x01ceci n'est pas un flux\xff"
# Processing runs inside the upload request; on a loaded machine that takes a while.
SLOW = 60_000


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def sicoval_writer(demo_server):
    from tests.factories import grant, make_sicoval, make_user

    coll = make_sicoval()
    user = make_user("depot@sicoval.example.fr")
    grant(user, coll, "passerelle", "transmission")
    return user, coll


def log_in(page, email: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_deposit_two_files_watch_them_and_open_the_acknowledgement(
    page, sicoval_writer, assert_accessible
):
    from pigp.passerelle.models import Flux, StatutFlux

    user, coll = sicoval_writer
    log_in(page, user.email)
    # The portal's card leads to the passerelle's home for that collectivité.
    page.goto(f"/applications/passerelle/{coll.pk}/")
    assert page.url.endswith(f"/passerelle/{coll.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Passerelle"
    assert_accessible(page, "the passerelle home")

    page.get_by_role("link", name="Déposer des fichiers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Déposer des fichiers"
    # With JavaScript the files leave as soon as they are chosen: no submit button.
    assert page.locator("#depot-submit").is_hidden()
    assert page.locator("#depot-hint").is_visible()
    shot(page, "deposit-empty")
    assert_accessible(page, "the deposit page")

    content = aller_bytes(coll, nom_fic="SICOVAL201512104")
    page.locator("#depot-fichiers").set_input_files(
        [
            {"name": "sicoval.xml", "mimeType": "application/xml", "buffer": content},
            {"name": "pas-un-flux.bin", "mimeType": "application/octet-stream", "buffer": GARBAGE},
        ]
    )
    items = page.locator("#depot-liste > li")
    page.wait_for_function(
        "document.querySelectorAll('#depot-liste [data-final=\"1\"]').length === 2", timeout=SLOW
    )
    assert items.count() == 2
    for i in range(2):
        assert items.nth(i).locator("progress").evaluate("p => p.value") == 100
        assert items.nth(i).locator("[data-pourcent]").inner_text() == "100 %"
    first, second = items.nth(0), items.nth(1)
    assert "sicoval.xml" in first.inner_text()
    assert first.locator(".fr-badge").text_content().strip() == "Acquittement reçu"
    assert second.locator(".fr-badge").text_content().strip() == "Refusé"
    assert "XML" in second.inner_text()
    shot(page, "deposit-done")
    assert_accessible(page, "the deposit page with its results")

    # Drag and drop works as well (a DataTransfer dropped on the zone).
    page.evaluate(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(["<racine-inconnue/>"], "glisse.xml", {type: "text/xml"}));
            const zone = document.getElementById("depot-zone");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }"""
    )
    page.wait_for_function(
        "document.querySelectorAll('#depot-liste [data-final=\"1\"]').length === 3", timeout=SLOW
    )
    assert "glisse.xml" in items.nth(2).inner_text()
    assert items.nth(2).locator(".fr-badge").text_content().strip() == "Refusé"

    # The acknowledgement, straight from the result.
    with page.expect_download() as info:
        first.get_by_role("link", name="Télécharger l'acquittement").click()
    download = info.value
    assert download.suggested_filename.startswith("ACQUIT_")
    assert b"PES_ACQUIT" in Path(download.path()).read_bytes()

    # The flow's page.
    first.get_by_role("link", name="Voir le flux sicoval.xml").click()
    page.wait_for_load_state()
    assert "Flux sicoval.xml" in page.get_by_role("heading", level=1).inner_text()
    assert "SICOVAL201512104" in page.locator("main").inner_text()
    shot(page, "flux-accepted")
    assert_accessible(page, "an accepted flow's page")

    refused = Flux.objects.get(original_name="pas-un-flux.bin")
    page.goto(f"/passerelle/flux/{refused.pk}/")
    assert "Refusé" in page.locator("main").inner_text()
    assert_accessible(page, "a refused flow's page")

    page.goto(f"/passerelle/{coll.pk}/flux/")
    assert page.locator("tbody tr").count() == 3
    shot(page, "flux-list")
    assert_accessible(page, "the flow list")
    page.goto(f"/passerelle/{coll.pk}/flux/?statut=refuse")
    assert page.locator("tbody tr").count() == 2

    page.goto(f"/passerelle/{coll.pk}/boite/")
    mailbox = page.locator("main").inner_text()
    # Downloaded from the deposit's result, the acknowledgement is already marked read; the
    # two refused files' reports (a PES_ACQUIT each, as SFTP clients get them) wait unread.
    assert "ACQUIT_" in mailbox and "2 fichiers non lus" in mailbox
    shot(page, "mailbox")
    assert_accessible(page, "the mailbox")

    assert Flux.objects.filter(collectivite=coll).count() == 3
    assert Flux.objects.get(original_name="sicoval.xml").statut == StatutFlux.ACQUITTE


def test_refused_simulator_flow_page_is_accessible(page, demo_server, assert_accessible):
    """A flow refused for business errors: findings grouped with element and line."""
    import io

    from pigp.passerelle import intake
    from tests.factories import grant, make_simu, make_user

    coll = make_simu()
    user = make_user("lecture@simu.example.fr")
    grant(user, coll, "passerelle", "consultation")
    [r] = intake.receive(
        io.BytesIO(with_wrong_bordereau_total(aller_bytes(coll))),
        filename="simu.xml",
        collectivite=coll,
        canal="api",
    )
    log_in(page, user.email)
    page.goto(f"/passerelle/flux/{r.flux.pk}/")
    main = page.locator("main").inner_text()
    assert "Refusé" in main and "ERREUR_CUMUL_MONTANTS" in main and "Bordereau" in main
    assert page.get_by_role("button", name="Annuler ce flux").count() == 0
    shot(page, "flux-refused-findings")
    assert_accessible(page, "a flow page with findings")


def test_flow_page_follows_the_status_until_final(page, sicoval_writer):
    """A flow still "posté": its page polls the status and shows the outcome when it comes."""
    from pigp.passerelle.history import set_status
    from pigp.passerelle.models import FluxEvent, StatutFlux
    from tests.factories import make_flux

    user, coll = sicoval_writer
    # Created by hand, so no processing is queued: it stays "posté" until we move it.
    flux = make_flux(coll, name="en-attente.xml", content=b"<en-attente/>", sender_user=user)
    FluxEvent.objects.create(flux=flux, statut=StatutFlux.POSTE, message="Fichier reçu.")
    log_in(page, user.email)
    page.goto(f"/passerelle/flux/{flux.pk}/")
    assert page.locator("#flux-statut .fr-badge").text_content().strip() == "Posté"
    assert page.get_by_role("button", name="Annuler ce flux").is_visible()
    set_status(flux, StatutFlux.REFUSE, "Refusé pour le test.")
    page.wait_for_function(
        "document.querySelector('#flux-statut .fr-badge').textContent.trim() === 'Refusé'",
        timeout=SLOW,
    )
    page.wait_for_load_state()
    page.get_by_text("Refusé pour le test.").first.wait_for()
    assert page.get_by_role("button", name="Annuler ce flux").count() == 0


def test_supervision_and_preferences_are_accessible(page, sicoval_writer, assert_accessible):
    """The comptable of the SICOVAL's poste (with TOTP) sees a stuck flow; the writer's notices."""
    import datetime

    from django.utils import timezone
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pigp.passerelle.models import Flux
    from tests.factories import make_flux, make_user

    user, coll = sicoval_writer
    make_flux(
        coll,
        name="coince.xml",
        content=b"<coince/>",
        canal="sftp",
        message="Fichier reçu et conservé.",
    )
    Flux.objects.filter(original_name="coince.xml").update(
        status_changed_at=timezone.now() - datetime.timedelta(hours=2)
    )
    comptable = make_user("comptable@labege.example.fr", poste=coll.poste)
    device = TOTPDevice.objects.create(user=comptable, name="test", confirmed=True)

    log_in(page, user.email)
    page.goto("/passerelle/preferences/")
    assert_accessible(page, "the notification preferences")
    box = page.get_by_label("M'écrire quand un retour (PES_Retour) arrive")
    page.locator("label[for='id_retours']").click()  # DSFR draws the box on the label
    assert not box.is_checked()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert "préférences de notification sont enregistrées" in page.locator("main").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()

    log_in(page, comptable.email)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("Code à 6 chiffres").fill(f"{code:0{device.digits}d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    page.goto("/passerelle/supervision/")
    main = page.locator("main").inner_text()
    assert "coince.xml" in main and "SICOVAL" in main
    shot(page, "supervision")
    assert_accessible(page, "the supervision page")
