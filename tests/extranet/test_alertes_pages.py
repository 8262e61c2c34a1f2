"""« Mes alertes »: any user who may consult the collectivité subscribes for himself (POST with
CSRF); an outsider, the comptable of another poste and a juge des comptes get a 404."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SUBSCRIBERS = ["entitled", "reader", "comptable"]
REFUSED = ["outsider_extranet", "other_comptable", "juge", "passerelle_only", "outsider"]


@pytest.fixture(autouse=True)
def extranet_users(entitled, reader, collectivite):
    """`entitled` and `reader` hold every application, the Extranet included."""


def page(collectivite) -> str:
    return f"/extranet/collectivites/{collectivite.pk}/alertes/"


def test_every_user_of_the_collectivite_may_subscribe_and_unsubscribe(
    collectivite, logged, request
):
    from pigp.core.models import JournalEntry
    from pigp.extranet.models import Abonnement

    for name in SUBSCRIBERS:
        user = request.getfixturevalue(name)
        client = logged(user)
        assert "Vous n'avez encore aucune alerte" in client.get(page(collectivite)).content.decode()
        response = client.post(
            page(collectivite), {"kind": "mandat_paye", "seuil": "1 500,00"}, follow=True
        )
        assert "Alerte « Mandat payé à partir d&#x27;un montant » créée." in (
            response.content.decode()
        )
        assert "à partir de 1" in response.content.decode()
        abonnement = Abonnement.objects.get(user=user)
        assert (abonnement.collectivite, str(abonnement.seuil)) == (collectivite, "1500.00")
        assert JournalEntry.objects.filter(
            action="extranet_alerte_abonnement", object_id=str(abonnement.pk)
        ).exists()
        # Twice the same kind: said, not duplicated.
        again = client.post(page(collectivite), {"kind": "mandat_paye", "seuil": "10"}, follow=True)
        assert "déjà abonné" in again.content.decode()
        assert Abonnement.objects.filter(user=user).count() == 1
        client.post(f"{page(collectivite)}{abonnement.pk}/supprimer/")
        assert not Abonnement.objects.filter(user=user).exists()


def test_a_late_titre_alert_takes_the_default_delay_and_a_payment_alert_needs_an_amount(
    collectivite, entitled, logged
):
    from pigp.extranet.models import DELAI_RETARD_DEFAUT, Abonnement

    client = logged(entitled)
    response = client.post(page(collectivite), {"kind": "mandat_paye", "seuil": ""})
    assert response.status_code == 200
    assert "Indiquez le montant" in response.content.decode()
    assert not Abonnement.objects.exists()
    client.post(page(collectivite), {"kind": "titre_en_retard", "seuil": "12"})
    abonnement = Abonnement.objects.get()
    assert (abonnement.delai_jours, abonnement.seuil) == (DELAI_RETARD_DEFAUT, None)


def test_everyone_else_gets_a_404(collectivite, logged, request):
    from pigp.extranet.models import Abonnement, KindAlerte

    mine = Abonnement.objects.create(
        user=request.getfixturevalue("entitled"),
        collectivite=collectivite,
        kind=KindAlerte.MANDAT_REJETE,
    )
    for name in REFUSED:
        client = logged(request.getfixturevalue(name))
        assert client.get(page(collectivite)).status_code == 404, name
        assert client.post(page(collectivite), {"kind": "mandat_rejete"}).status_code == 404
        assert client.post(f"{page(collectivite)}{mine.pk}/supprimer/").status_code == 404
    assert list(Abonnement.objects.all()) == [mine]


def test_one_cannot_remove_another_users_alert(collectivite, entitled, reader, logged):
    from pigp.extranet.models import Abonnement, KindAlerte

    theirs = Abonnement.objects.create(
        user=entitled, collectivite=collectivite, kind=KindAlerte.MANDAT_REJETE
    )
    client = logged(reader)
    assert client.post(f"{page(collectivite)}{theirs.pk}/supprimer/").status_code == 404
    assert client.get(f"{page(collectivite)}{theirs.pk}/supprimer/").status_code == 405
    assert Abonnement.objects.filter(pk=theirs.pk).exists()


def test_subscribing_needs_the_csrf_token(collectivite, entitled):
    from pigp.extranet.models import Abonnement
    from tests.conftest import verified_client

    client = verified_client(Client(enforce_csrf_checks=True), entitled)
    response = client.post(page(collectivite), {"kind": "mandat_rejete"})
    assert response.status_code == 403
    assert not Abonnement.objects.exists()


def test_a_user_whose_habilitation_ended_is_told_so(collectivite, comptable, logged):
    from pigp.core import habilitations
    from tests.conftest import grant

    user = make_user("parti@example.fr")
    hab = grant(user, collectivite, "extranet", "consultation")
    habilitations.revoke(hab, comptable=comptable, motif="Départ")
    assert logged(user).get(page(collectivite)).status_code == 403


def test_the_page_s_queries_do_not_grow_with_the_alerts(collectivite, entitled, logged):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pigp.extranet.models import Abonnement, KindAlerte

    client = logged(entitled)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(collectivite)).status_code == 200
        return len(queries)

    Abonnement.objects.create(
        user=entitled, collectivite=collectivite, kind=KindAlerte.MANDAT_REJETE
    )
    one = count()
    for kind in (KindAlerte.MANDAT_PAYE, KindAlerte.TITRE_EN_RETARD):
        Abonnement.objects.create(user=entitled, collectivite=collectivite, kind=kind)
    assert count() == one
