"""The comptable's home shows his work, not « aucune application »."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext

from tests.conftest import grant, make_user, verified_client
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)  # the ledger is fed after commit


@pytest.fixture
def work(collectivite, tmp_path):
    """Four mandats received (two then taken in charge), four titres taken in charge, one request."""
    from pigp.core.models import Habilitation
    from pigp.helios.models import EtatPiece, Piece

    receive_generated(
        collectivite, tmp_path / "PES_MIXTE.xml", pieces=4, domaine="mixte", exercice=2026
    )
    mandats = Piece.objects.filter(domaine="depense").order_by("pk")
    Piece.objects.filter(pk__in=[p.pk for p in mandats[:2]]).update(etat=EtatPiece.PRISE_EN_CHARGE)
    Piece.objects.filter(domaine="recette").update(etat=EtatPiece.PRISE_EN_CHARGE)
    Habilitation.objects.filter(pk=grant(make_user("nouvelle@example.fr"), collectivite).pk).update(
        statut="demandee"
    )
    amount = sum(p.mt_ttc for p in mandats[:2])
    return amount


def test_comptable_home_shows_queue_payments_recovery_and_requests(client, comptable, work):
    verified_client(client, comptable)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Mon poste comptable</h1>" in html
    assert "aucune application" not in html
    assert "2 pièces à prendre en charge dans 1 bordereau" in html
    assert "2 mandats pris en charge à payer" in html
    assert f"{floatformat(work, '2g')} €" in html  # the two mandats' total, in French
    assert "4 titres pris en charge à recouvrer" in html
    assert "1 demande à décider" in html
    assert len(queries) <= 15, [q["sql"] for q in queries.captured_queries]


def test_other_poste_sees_none_of_it(client, other_comptable, work):
    verified_client(client, other_comptable)
    html = client.get("/").content.decode()
    assert "<h1>Mon poste comptable</h1>" in html
    assert "Aucune pièce en attente" in html
    assert "Aucune demande en attente" in html


@pytest.mark.parametrize("who", ["entitled", "reader", "outsider"])
def test_collectivite_users_keep_their_applications_home(client, request, who, work):
    client.force_login(request.getfixturevalue(who))
    html = client.get("/").content.decode()
    assert "<h1>Mes applications</h1>" in html
    assert "Mon poste comptable" not in html
    assert "à prendre en charge" not in html
