"""A PES_Retour opened from the mailbox in Chromium: the table is readable and accessible."""

from __future__ import annotations

import pytest

from tests.e2e.test_passerelle_browser import log_in, shot

pytestmark = pytest.mark.browser


def test_retour_table_from_the_mailbox_is_accessible(
    page, demo_server, tmp_path, assert_accessible
):
    import datetime as dt

    from pigp.helios import retours, states
    from pigp.helios.models import EtatPiece, Piece
    from tests.factories import grant, make_collectivite, make_poste, make_user
    from tests.flows import receive_generated

    collectivite = make_collectivite(
        "21310000100006",
        "Commune de test",
        poste=make_poste("031099", "Trésorerie de test"),
        budgets=[("099", "00", "BP")],
    )
    reader = make_user("lecture@test.example.fr")
    grant(reader, collectivite, "passerelle", "consultation")
    flux = receive_generated(
        collectivite,
        tmp_path / "flux.xml",
        seed=5,
        bordereaux=1,
        pieces=2,
        lignes=1,
        domaine="depense",
        exercice=2026,
        nom_fic="PES_TEST_E2E",
    )
    first, second = Piece.objects.filter(bordereau__flux=flux).order_by("id")
    states.transition(first, EtatPiece.PRISE_EN_CHARGE, actor="c", when=dt.date(2026, 4, 1))
    states.transition(second, EtatPiece.REJETEE, actor="c", motif_code="04", commentaire="Revoir")
    [made] = retours.generate_for_budget(collectivite.budgets.first())

    log_in(page, reader.email)
    page.goto(f"/passerelle/{collectivite.pk}/boite/")
    page.get_by_role("link", name=f"Consulter {made.mailbox_item.name}").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "rejetée" in main and "04 — Liquidation erronée" in main and "Revoir" in main
    shot(page, "mailbox-retour-table")
    assert_accessible(page, "a PES_Retour read as a table")
