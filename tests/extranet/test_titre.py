"""A titre's page: its amounts, encaissements (by origin), recovery stages, history and PJ;
reached from the recouvrement list and the tiers' page; 404 outside the perimeter."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.extranet.conftest import ACTOR, urls

REFUSED = ["outsider_extranet", "other_comptable", "juge", "passerelle_only", "outsider"]


def url(titre) -> str:
    return f"/extranet/titres/{titre.pk}/"


def french(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",")


@pytest.fixture
def recovered(data):
    """The first titre: a manual encaissement, one read on a bank statement, two stages."""
    from pigp.helios.models import Encaissement
    from pigp.helios.money import recovery

    titre = data.titres[0]
    today = timezone.localdate()
    recovery.set_stade(titre, "relance", actor=ACTOR, commentaire="Relance amiable.")
    recovery.set_stade(titre, "mise_en_demeure", actor=ACTOR)
    first, second = Decimal("10.00"), Decimal("5.50")
    recovery.record_encaissement(
        titre, first, today - datetime.timedelta(days=3), actor=ACTOR, reference="CHQ 1234"
    )
    recovery.record_encaissement(
        titre,
        second,
        today,
        actor=ACTOR,
        reference="VIR DUPONT",
        source=Encaissement.Source.RELEVE,
    )
    titre.refresh_from_db()
    return titre, first, second


def test_the_page_shows_encaissements_stages_and_amounts(data, recovered, logged, reader):
    titre, first, second = recovered
    page = logged(reader).get(url(titre)).content.decode()
    assert f"Titre n° {titre.id_pce}" in page
    assert titre.tiers.nom in page and f'href="/extranet/tiers/{titre.tiers_id}/"' in page
    assert titre.reste_a_recouvrer == titre.mt_ttc - first - second
    assert (
        f"<td>{french(titre.mt_ttc)} €</td><td>{french(first + second)} €</td>"
        f"<td>{french(titre.reste_a_recouvrer)} €</td>"
    ) in page
    today = timezone.localdate()
    earlier = today - datetime.timedelta(days=3)
    assert (
        f"<td>{earlier:%d/%m/%Y}</td><td>{french(first)} €</td><td>Saisie manuelle</td>"
        "<td>CHQ 1234</td>"
    ) in page
    assert f"<td>{today:%d/%m/%Y}</td><td>{french(second)} €</td><td>Relevé bancaire</td>" in page
    # Stages in the order reached, the current one with its date.
    stages = page[page.index("Stades de recouvrement") : page.index("<h2>Historique")]
    reached = stages[stages.index("<ol>") :]
    assert reached.index("Relance — Relance amiable.") < reached.index("Mise en demeure")
    assert f"Stade actuel : <strong>Mise en demeure</strong>, atteint le {today:%d/%m/%Y}" in page
    history = page[page.index("<h2>Historique") :]
    assert "Encaissement de" in history and "Lignes du titre" in page


def test_a_titre_without_encaissement_nor_stage(data, logged, reader):
    page = logged(reader).get(url(data.titres[1])).content.decode()
    assert "Aucun encaissement." in page
    assert "n'a pas atteint de stade de recouvrement" in page


def test_linked_from_the_recouvrement_list_and_the_tiers_page(data, logged, reader):
    client = logged(reader)
    titre = data.titres[0]
    assert f'href="{url(titre)}"' in client.get(urls(data)["recouvrement"]).content.decode()
    tiers_page = client.get(f"/extranet/tiers/{titre.tiers_id}/").content.decode()
    assert f'href="{url(titre)}"' in tiers_page


@pytest.mark.parametrize("name", ["entitled", "reader", "comptable"])
def test_entitled_users_see_it(data, logged, request, name):
    client = logged(request.getfixturevalue(name))
    assert client.get(url(data.titres[0])).status_code == 200
    assert client.post(url(data.titres[0])).status_code == 405


def test_everyone_else_gets_a_404(data, logged, request):
    secret = data.titres[0].tiers.nom
    for name in REFUSED:
        response = logged(request.getfixturevalue(name)).get(url(data.titres[0]))
        assert response.status_code == 404, name
        assert secret not in response.content.decode()


def test_a_titre_of_another_collectivite_and_a_mandat_are_404(data, logged, entitled, comptable):
    from pigp.helios.models import Piece

    mandat = data.other_mandat
    other = Piece.objects.create(
        bordereau=mandat.bordereau,
        exercice=mandat.exercice,
        collectivite=mandat.collectivite,
        domaine="recette",
        id_pce="T1",
        etat="prise_en_charge",
        mt_ttc=Decimal("40.00"),
        reste_a_recouvrer=Decimal("40.00"),
    )
    for user in (entitled, comptable):
        client = logged(user)
        assert client.get(url(other)).status_code == 404
        assert client.get(url(data.mandats[0])).status_code == 404


def test_query_count_does_not_grow_with_encaissements(data, logged, comptable):
    from pigp.helios.money import recovery

    client = logged(comptable)
    titre = data.titres[1]
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(titre)).status_code == 200
        counts.append(len(queries))
        for day in range(3):
            recovery.record_encaissement(
                titre, Decimal("1.00"), timezone.localdate(), actor=ACTOR, reference=str(day)
            )
        recovery.set_stade(titre, "relance", actor=ACTOR)
    assert counts[0] == counts[1] <= 15, counts


def test_an_unreadable_pj_of_a_titre_leads_back_to_the_titre(data, logged, reader):
    from pigp.helios.models import PieceJustificative, PjRef

    titre = data.titres[0]
    pj = PieceJustificative.objects.create(
        collectivite=data.collectivite,
        flux=titre.bordereau.flux,
        id_unique="PJ-ILLISIBLE",
        nom="avis.pdf",
        erreur="base64 invalide",
    )
    PjRef.objects.create(piece=titre, id_unique=pj.id_unique, nom="avis.pdf")
    client = logged(reader)
    assert "illisible" in client.get(url(titre)).content.decode()
    response = client.get(f"/extranet/pj/{pj.pk}/")
    assert response.status_code == 302 and response.url == url(titre)
