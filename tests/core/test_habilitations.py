import datetime

import pytest
from django.core import mail
from django.utils import timezone

from pigp.core import habilitations as services
from pigp.core.models import Habilitation, JournalEntry, StatutHabilitation, User
from pigp.core.models.habilitations import TRANSITIONS
from tests.conftest import PASSWORD, grant, make_user

pytestmark = pytest.mark.django_db


def _request(user, collectivite, **kw):
    return services.request_habilitation(
        requester=user,
        collectivite=collectivite,
        application="passerelle",
        profil="transmission",
        **kw,
    )


def test_request_is_pending_journaled_and_notifies_the_poste(collectivite, comptable):
    user = make_user("agent@example.fr")
    hab = _request(user, collectivite)
    assert hab.statut == StatutHabilitation.DEMANDEE
    assert hab.demandee_par == user
    assert JournalEntry.objects.filter(
        action="habilitation_demandee", object_id=str(hab.pk)
    ).exists()
    assert [m.to for m in mail.outbox] == [[comptable.email]]


def test_duplicate_request_refused(collectivite):
    user = make_user("agent@example.fr")
    _request(user, collectivite)
    with pytest.raises(services.HabilitationError, match="déjà ouverte"):
        _request(user, collectivite)


def test_only_local_admin_asks_for_a_colleague(collectivite, entitled, local_admin):
    with pytest.raises(services.HabilitationError, match="administrateur local"):
        _request(entitled, collectivite, beneficiary_email="collegue@example.fr")
    hab = _request(local_admin, collectivite, beneficiary_email="Collegue@Example.fr")
    colleague = User.objects.get(email="collegue@example.fr")
    assert hab.user == colleague and hab.demandee_par == local_admin
    assert not colleague.has_usable_password()
    assert any("/mot-de-passe/nouveau/" in m.body for m in mail.outbox if m.to == [colleague.email])


def test_end_date_in_the_past_refused(collectivite):
    with pytest.raises(services.HabilitationError, match="passé"):
        _request(
            make_user("a@example.fr"),
            collectivite,
            date_fin=timezone.localdate() - datetime.timedelta(days=1),
        )


ALL_STATUTS = list(StatutHabilitation)


@pytest.mark.parametrize("start", ALL_STATUTS)
@pytest.mark.parametrize("action", ["grant", "refuse", "revoke"])
def test_state_machine_every_transition(collectivite, comptable, start, action):
    user = make_user("agent@example.fr")
    hab = Habilitation.objects.create(
        user=user,
        collectivite=collectivite,
        application="orc",
        profil="consultation",
        statut=start,
        demandee_par=user,
    )
    target = {
        "grant": StatutHabilitation.ACTIVE,
        "refuse": StatutHabilitation.REFUSEE,
        "revoke": StatutHabilitation.REVOQUEE,
    }[action]
    call = {
        "grant": lambda: services.grant(hab, comptable=comptable),
        "refuse": lambda: services.refuse(hab, comptable=comptable, motif="Pas dans le service"),
        "revoke": lambda: services.revoke(hab, comptable=comptable, motif="Départ"),
    }[action]
    allowed = target in TRANSITIONS[start]
    if allowed:
        result = call()
        assert result.statut == target
        assert result.decidee_par == comptable and result.decidee_le is not None
        assert JournalEntry.objects.filter(object_id=str(hab.pk), actor_id=comptable.pk).exists()
        assert mail.outbox[-1].to == [user.email]
    else:
        with pytest.raises(services.HabilitationError, match="Impossible"):
            call()
        hab.refresh_from_db()
        assert hab.statut == start


def test_refuse_and_revoke_need_a_motif(collectivite, comptable):
    hab = _request(make_user("a@example.fr"), collectivite)
    with pytest.raises(services.HabilitationError, match="motif"):
        services.refuse(hab, comptable=comptable, motif="  ")
    hab.refresh_from_db()
    assert hab.statut == StatutHabilitation.DEMANDEE


def test_comptable_of_another_poste_cannot_decide(collectivite, other_comptable):
    hab = _request(make_user("a@example.fr"), collectivite)
    with pytest.raises(services.HabilitationError, match="votre poste"):
        services.grant(hab, comptable=other_comptable)
    hab.refresh_from_db()
    assert hab.statut == StatutHabilitation.DEMANDEE


def test_revocation_stops_an_open_session_at_once(client, collectivite, comptable):
    user = make_user("agent@example.fr")
    hab = grant(user, collectivite, "orc")
    client.post("/connexion/", {"username": user.email, "password": PASSWORD})
    url = f"/applications/orc/{collectivite.pk}/"
    assert client.get(url, follow=True).status_code == 200  # the card leads to ORC's search
    services.revoke(hab, comptable=comptable, motif="Départ de l'agent")
    response = client.get(url)
    # Refused at once, and told why (the access ended), not « introuvable ».
    assert response.status_code == 403
    assert "a été révoqué" in response.content.decode()
    assert collectivite.nom not in client.get("/").content.decode()


def test_expiry_stops_access(client, collectivite):
    user = make_user("agent@example.fr")
    hab = grant(user, collectivite, "orc", date_fin=timezone.localdate())
    client.force_login(user)
    url = f"/applications/orc/{collectivite.pk}/"
    assert client.get(url, follow=True).status_code == 200  # the card leads to ORC's search
    Habilitation.objects.filter(pk=hab.pk).update(
        date_fin=timezone.localdate() - datetime.timedelta(days=1)
    )
    response = client.get(url)
    assert response.status_code == 403
    assert "a pris fin le" in response.content.decode()
