"""The demo comptable works a flow of Saint-Orens in the Hélios workbench, in a real browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pigp.core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

COMPTABLE = "comptable@demo.pigp.fr"
SHOTS = os.environ.get("PIGP_SHOTS")  # a directory to keep screenshots in, when set


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def saint_orens_flow(demo_server, tmp_path):
    from pigp.core.models import Collectivite
    from tests.flows import receive_generated

    coll = Collectivite.objects.select_related("poste").get(siret="21310555400017")
    return receive_generated(
        coll,
        tmp_path / "PES_DEPENSE_2026_042.xml",
        budget=coll.budgets.get(cod_col="055", cod_bud="00"),
        seed=42,
        pieces=4,
        lignes=2,
        pj=1,
        exercice=2026,
    )


def log_in_with_totp(page, email: str) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/securite/verification/" in page.url
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("Code à 6 chiffres").fill(f"{code:0{device.digits}d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    assert "/securite/" not in page.url, page.locator("main").inner_text()


def test_comptable_rejects_a_mandat_with_a_motif(page, saint_orens_flow, assert_accessible):
    from pigp.helios.models import EtatPiece, Piece, PieceEvent

    log_in_with_totp(page, COMPTABLE)
    page.get_by_role("link", name="Hélios", exact=True).first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/helios/")
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == "File d'attente des bordereaux"
    assert "Commune de Saint-Orens-de-Gameville" in main.inner_text()
    shot(page, "helios_queue")
    assert_accessible(page, "the Hélios queue")

    main.get_by_role("link", name="N° 1 (2026)").click()
    page.wait_for_load_state()
    assert "Bordereau dépense n° 1 (2026)" in page.get_by_role("heading", level=1).inner_text()
    assert "Mandat n° 1" in main.inner_text()
    shot(page, "helios_bordereau")
    assert_accessible(page, "a bordereau page")

    main.get_by_role("link", name="Mandat n° 1", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Mandat n° 1"
    assert "Contrôles" in main.inner_text() and "IBAN valide" in main.inner_text()
    shot(page, "helios_piece")
    assert_accessible(page, "a pièce page")

    page.locator("label", has_text="02 — Insuffisance des pièces justificatives").click()
    assert page.get_by_label("02 — Insuffisance des pièces justificatives").is_checked()
    page.get_by_label("Commentaire pour la collectivité").fill("Joindre la facture signée.")
    page.get_by_role("button", name="Rejeter", exact=True).click()
    page.wait_for_load_state()
    text = main.inner_text()
    assert "1 pièce rejetée." in text
    assert "Rejetée" in text and "Joindre la facture signée." in text
    shot(page, "helios_piece_rejected")
    assert_accessible(page, "a rejected pièce")

    piece = Piece.objects.get(bordereau__flux=saint_orens_flow, bordereau__id_bord="1", id_pce="1")
    assert piece.etat == EtatPiece.REJETEE and piece.motif_code == "02"
    event = PieceEvent.objects.get(piece=piece, etat=EtatPiece.REJETEE)
    assert event.actor == COMPTABLE and "Joindre la facture signée." in event.message
