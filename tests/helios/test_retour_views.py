"""/helios/retours/: list, download, "générer maintenant"; agents of the poste only."""

from __future__ import annotations

import pytest

from pigp.helios import states
from pigp.helios.models import EtatPiece, Piece, RetourEmis
from tests.conftest import verified_client
from tests.helios.test_retour import deposit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def decided(collectivite, tmp_path):
    flux = deposit(collectivite, tmp_path, domaine="depense", pieces=3)
    for piece in Piece.objects.filter(bordereau__flux=flux):
        states.transition(piece, EtatPiece.PRISE_EN_CHARGE, actor="c")
    return flux


def test_generate_now_list_and_download(client, comptable, collectivite, decided):
    c = verified_client(client, comptable)
    page = c.get("/helios/retours/")
    assert page.status_code == 200 and "Aucun PES_Retour" in page.content.decode()
    r = c.post(f"/helios/retours/collectivites/{collectivite.pk}/generer/", follow=True)
    assert r.status_code == 200 and "Génération des PES_Retour demandée" in r.content.decode()
    retour = RetourEmis.objects.get()  # tasks run at once in tests; dépense only
    assert retour.nom in r.content.decode()
    dl = c.get(f"/helios/retours/{retour.pk}/telecharger/")
    assert dl.status_code == 200
    assert retour.nom in dl["Content-Disposition"]
    assert b"PES_Retour" in b"".join(dl.streaming_content)
    # Nothing changed: a second request makes no file.
    c.post(f"/helios/retours/collectivites/{collectivite.pk}/generer/")
    assert RetourEmis.objects.count() == 1


def test_outsiders_get_404_on_every_page_and_action(
    client, comptable, other_comptable, entitled, reader, outsider, collectivite, decided
):
    verified_client(client, comptable).post(
        f"/helios/retours/collectivites/{collectivite.pk}/generer/"
    )
    retour = RetourEmis.objects.get()
    for user in (other_comptable, entitled, reader, outsider):
        client.logout()
        c = verified_client(client, user)
        assert c.get(f"/helios/retours/{retour.pk}/telecharger/").status_code == 404
        assert (
            c.post(f"/helios/retours/collectivites/{collectivite.pk}/generer/").status_code == 404
        )
        listing = c.get("/helios/retours/")
        if user is other_comptable:
            assert listing.status_code == 200
            body = listing.content.decode()
            assert retour.nom not in body and collectivite.nom not in body
        else:
            assert listing.status_code == 404
    assert RetourEmis.objects.count() == 1


def test_list_queries_do_not_grow(
    client, comptable, collectivite, decided, tmp_path, django_assert_max_num_queries
):
    c = verified_client(client, comptable)
    c.post(f"/helios/retours/collectivites/{collectivite.pk}/generer/")
    with django_assert_max_num_queries(12):
        c.get("/helios/retours/")
    for piece in Piece.objects.filter(etat=EtatPiece.PRISE_EN_CHARGE):
        states.transition(piece, EtatPiece.PAYEE, actor="c")
        c.post(f"/helios/retours/collectivites/{collectivite.pk}/generer/")
    assert RetourEmis.objects.count() == 4
    with django_assert_max_num_queries(12):
        assert c.get("/helios/retours/").status_code == 200
