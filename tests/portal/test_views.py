"""Every portal page seen by an entitled user, a read-only one, an outsider and a foreign comptable.

Each test checks the status code and that nothing outside the user's perimeter shows up.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from pigp.core.models import (
    Collectivite,
    Habilitation,
    JournalEntry,
    StatutHabilitation,
    User,
)
from tests.conftest import make_user, verified_client

pytestmark = pytest.mark.django_db

APPS = ["passerelle", "extranet", "chorus", "orc"]


def text(response) -> str:
    return response.content.decode()


def grant(
    user: User, coll: Collectivite, app: str = "passerelle", profil: str = "transmission", **extra
) -> Habilitation:
    """Like tests.conftest.grant, but the statut may be chosen too."""
    extra.setdefault("statut", StatutHabilitation.ACTIVE)
    extra.setdefault("demandee_par", user)
    return Habilitation.objects.create(
        user=user, collectivite=coll, application=app, profil=profil, **extra
    )


def pending(user: User, coll: Collectivite, app: str = "passerelle", **extra) -> Habilitation:
    return Habilitation.objects.create(
        user=user,
        collectivite=coll,
        application=app,
        profil="transmission",
        demandee_par=extra.pop("demandee_par", user),
        **extra,
    )


# --------------------------------------------------------------------------- home


def test_home_shows_one_card_per_application_of_the_entitled_user(client, entitled, collectivite):
    client.force_login(entitled)
    response = client.get("/")
    assert response.status_code == 200
    page = text(response)
    assert collectivite.nom in page
    assert collectivite.siret in page
    for label in ["Passerelle", "Extranet Hélios", "Chorus Pro", "ORC (archives)"]:
        assert f">{label}</a>" in page
    for app in APPS:
        assert f'href="/applications/{app}/{collectivite.pk}/"' in page
    # One collectivité only: no switcher.
    assert 'id="collectivite-switch"' not in page


def test_home_of_reader_shows_consultation_and_no_comptable_or_admin_entry(
    client, reader, collectivite
):
    client.force_login(reader)
    page = text(client.get("/"))
    assert page.count("fr-card__title") == 4
    assert "Consultation" in page
    assert "Transmission" not in page
    assert "/comptable/" not in page
    assert "/administration/" not in page
    assert "/admin/" not in page


def test_home_of_outsider_shows_only_its_own_collectivite(
    client, outsider, collectivite, other_collectivite
):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 200
    page = text(response)
    assert other_collectivite.nom in page
    assert collectivite.nom not in page
    assert collectivite.siret not in page
    assert f"/{collectivite.pk}/" not in page
    assert page.count("fr-card__title") == 1


def test_home_hides_expired_revoked_refused_and_pending_habilitations(client, collectivite, poste):
    user = make_user("partiel@example.fr")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    grant(user, collectivite, "passerelle", date_fin=yesterday)
    grant(user, collectivite, "extranet", statut=StatutHabilitation.REVOQUEE)
    grant(user, collectivite, "chorus", statut=StatutHabilitation.REFUSEE)
    pending(user, collectivite, "orc")
    client.force_login(user)
    page = text(client.get("/"))
    assert collectivite.nom not in page
    assert "fr-card__title" not in page
    assert "Vous n'avez encore accès à aucune application" in page
    assert "1 demande en attente" in page


def test_home_switcher_lists_only_entitled_collectivites(
    client, entitled, collectivite, other_collectivite, poste
):
    third = Collectivite.objects.create(
        siret="21310395500018",
        nom="Commune de Muret",
        nature="commune",
        poste=poste,
        departement="31",
    )
    grant(entitled, third, "orc", "consultation")
    # A pending request and a revoked access do not put a collectivité in the switcher.
    pending(entitled, other_collectivite, "passerelle")
    client.force_login(entitled)
    page = text(client.get("/"))
    switcher = re.search(r'<select[^>]*id="collectivite-switch".*?</select>', page, re.S).group(0)
    assert collectivite.nom in switcher
    assert third.nom in switcher
    assert other_collectivite.nom not in page
    assert switcher.count("<option") == 2


def test_switching_collectivite_changes_the_cards(client, entitled, collectivite, poste):
    third = Collectivite.objects.create(
        siret="21310395500018",
        nom="Commune de Muret",
        nature="commune",
        poste=poste,
        departement="31",
    )
    grant(entitled, third, "orc", "consultation")
    client.force_login(entitled)
    response = client.post("/collectivite/choisir/", {"collectivite": third.pk})
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = text(client.get("/"))
    assert f"<h2>{third.nom}" in page
    assert page.count("fr-card__title") == 1
    assert f'href="/applications/orc/{third.pk}/"' in page


@pytest.mark.parametrize("value", ["foreign", "unknown", "garbage", ""])
def test_switching_to_a_foreign_collectivite_is_a_404(
    client, entitled, collectivite, other_collectivite, value
):
    target = {
        "foreign": other_collectivite.pk,
        "unknown": 999_999,
        "garbage": "abc",
        "": "",
    }[value]
    client.force_login(entitled)
    response = client.post("/collectivite/choisir/", {"collectivite": target})
    assert response.status_code == 404
    assert other_collectivite.nom not in text(response)
    assert "collectivite_courante" not in client.session


def test_switching_to_a_collectivite_whose_access_expired_is_a_404(client, collectivite):
    user = make_user("expire@example.fr")
    grant(user, collectivite, date_fin=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(user)
    assert (
        client.post("/collectivite/choisir/", {"collectivite": collectivite.pk}).status_code == 404
    )


def test_switch_is_post_only(client, entitled, collectivite):
    client.force_login(entitled)
    assert client.get(f"/collectivite/choisir/?collectivite={collectivite.pk}").status_code == 405


# ------------------------------------------------------------------ application entry


@pytest.mark.parametrize("app", APPS)
def test_application_entry_for_entitled_user(client, entitled, collectivite, app):
    client.force_login(entitled)
    # The passerelle's, the extranet's and chorus' cards lead to their own pages (a redirect).
    response = client.get(f"/applications/{app}/{collectivite.pk}/", follow=True)
    assert response.status_code == 200
    assert collectivite.nom in text(response)
    if app == "extranet":
        assert response.redirect_chain[-1][0] == f"/extranet/collectivites/{collectivite.pk}/"
    elif app == "chorus":
        assert (
            response.redirect_chain[-1][0] == f"/chorus/collectivites/{collectivite.pk}/factures/"
        )
    elif app == "orc":  # the archives' search, on this collectivité
        assert response.redirect_chain[-1][0] == f"/orc/?collectivite={collectivite.pk}"
    else:
        assert "profil « Transmission »" in text(response)


def test_application_entry_for_reader_is_read_only(client, reader, collectivite):
    client.force_login(reader)
    response = client.get(f"/applications/passerelle/{collectivite.pk}/", follow=True)
    assert response.status_code == 200
    page = text(response)
    assert "profil « Consultation »" in page
    assert '<form method="post" action="/applications' not in page


def test_application_entry_for_outsider_is_a_404_without_leak(client, outsider, collectivite):
    client.force_login(outsider)
    for app in APPS:
        response = client.get(f"/applications/{app}/{collectivite.pk}/")
        assert response.status_code == 404
        assert collectivite.nom not in text(response)
        assert collectivite.siret not in text(response)


def test_application_entry_unknown_collectivite_is_a_404(client, entitled):
    client.force_login(entitled)
    assert client.get("/applications/passerelle/999999/").status_code == 404


def test_application_entry_only_for_the_application_granted(client, collectivite):
    user = make_user("passerelle.seule@example.fr")
    grant(user, collectivite, "passerelle")
    client.force_login(user)
    assert (
        client.get(f"/applications/passerelle/{collectivite.pk}/", follow=True).status_code == 200
    )
    assert client.get(f"/applications/chorus/{collectivite.pk}/").status_code == 404


@pytest.mark.parametrize(
    "state",
    [
        {"date_fin": "yesterday"},
        {"statut": StatutHabilitation.REVOQUEE},
        {"statut": StatutHabilitation.REFUSEE},
        {"statut": StatutHabilitation.DEMANDEE},
    ],
    ids=["expired", "revoked", "refused", "pending"],
)
def test_application_entry_needs_an_habilitation_in_force(client, collectivite, state):
    user = make_user("ancien@example.fr")
    if state.get("date_fin") == "yesterday":
        state = {"date_fin": timezone.localdate() - datetime.timedelta(days=1)}
    grant(user, collectivite, "passerelle", **state)
    client.force_login(user)
    response = client.get(f"/applications/passerelle/{collectivite.pk}/")
    if "date_fin" in state or state["statut"] == StatutHabilitation.REVOQUEE:
        # An access that ended says so (to its own holder), instead of « introuvable ».
        assert response.status_code == 403
        assert "a pris fin" in text(response) or "a été révoqué" in text(response)
    else:
        assert response.status_code == 404
        assert collectivite.nom not in text(response)


def test_application_entry_ends_today_still_open(client, collectivite):
    user = make_user("dernier.jour@example.fr")
    grant(user, collectivite, "passerelle", date_fin=timezone.localdate())
    client.force_login(user)
    response = client.get(f"/applications/passerelle/{collectivite.pk}/", follow=True)
    assert response.status_code == 200


def test_application_entry_unknown_application_is_a_404(client, entitled, collectivite):
    client.force_login(entitled)
    assert client.get(f"/applications/helios/{collectivite.pk}/").status_code == 404
    assert client.get(f"/applications/PASSERELLE/{collectivite.pk}/").status_code == 404


def test_comptable_without_habilitation_has_no_application_entry(client, comptable, collectivite):
    verified_client(client, comptable)
    assert client.get(f"/applications/passerelle/{collectivite.pk}/").status_code == 404


# --------------------------------------------------------------------------- account


def test_account_shows_own_habilitations_and_pending_requests_only(
    client, entitled, collectivite, other_collectivite, outsider
):
    pending(entitled, other_collectivite, "chorus", motif="Besoin pour le budget annexe")
    # Someone else's habilitations and motifs must not appear.
    stranger = make_user("autre@example.fr")
    grant(stranger, other_collectivite, "orc", "consultation", motif="MOTIF-DU-VOISIN")
    client.force_login(entitled)
    response = client.get("/compte/")
    assert response.status_code == 200
    page = text(response)
    assert entitled.email in page
    assert page.count("<tr>") == 1 + 5  # header + 4 active + 1 pending
    assert "En attente depuis le" in page
    assert other_collectivite.nom in page  # the pending request is the user's own
    assert "MOTIF-DU-VOISIN" not in page
    assert outsider.email not in page
    assert stranger.email not in page


def test_account_of_outsider_does_not_show_the_collectivite(
    client, outsider, collectivite, entitled
):
    client.force_login(outsider)
    page = text(client.get("/compte/"))
    assert collectivite.nom not in page
    assert entitled.email not in page


def test_account_shows_decisions_and_refusal_motif(client, collectivite, comptable):
    user = make_user("refuse@example.fr")
    grant(
        user,
        collectivite,
        "chorus",
        statut=StatutHabilitation.REFUSEE,
        motif="Pas d'accès aux factures",
        decidee_par=comptable,
        decidee_le=timezone.now(),
    )
    client.force_login(user)
    page = text(client.get("/compte/"))
    assert "Refusée" in page
    assert "Pas d&#x27;accès aux factures" in page


def test_account_of_comptable_offers_2fa_state(client, comptable):
    verified_client(client, comptable)
    page = text(client.get("/compte/"))
    assert "Double authentification active" in page
    assert comptable.poste.nom in page


# ------------------------------------------------------------------- request form


def test_request_form_get(client, reader, other_collectivite):
    client.force_login(reader)
    response = client.get("/habilitations/demander/")
    assert response.status_code == 200
    page = text(response)
    assert 'name="siret"' in page
    # The form names the collectivité by SIRET: it lists none of the platform's collectivités.
    assert "Saint-Orens" not in page and "Tarn" not in page


def test_request_creates_a_pending_request_and_notifies_the_comptable(
    client, outsider, collectivite, comptable, other_comptable, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/habilitations/demander/",
            {
                "siret": collectivite.siret,
                "application": "chorus",
                "profil": "consultation",
                "commentaire": "Arrivée au service",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    hab = Habilitation.objects.get(user=outsider, collectivite=collectivite)
    assert hab.statut == StatutHabilitation.DEMANDEE
    assert hab.application == "chorus"
    assert hab.demandee_par == outsider
    assert JournalEntry.objects.filter(
        action="habilitation_demandee", object_id=str(hab.pk), actor_id=outsider.pk
    ).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [comptable.email]  # not the comptable of another poste
    # Requesting does not open anything yet.
    assert client.get(f"/applications/chorus/{collectivite.pk}/").status_code == 404
    page = text(client.get("/compte/"))
    assert "Votre demande est transmise" in page
    assert collectivite.nom in page


def test_duplicate_request_is_a_french_error_not_a_500(client, entitled, collectivite):
    client.force_login(entitled)
    data = {"siret": collectivite.siret, "application": "passerelle", "profil": "transmission"}
    response = client.post("/habilitations/demander/", data)
    assert response.status_code == 200
    assert "Une demande ou une habilitation est déjà ouverte" in text(response)
    assert Habilitation.objects.filter(user=entitled, application="passerelle").count() == 1


def test_duplicate_pending_request_is_refused(client, outsider, collectivite):
    client.force_login(outsider)
    data = {"siret": collectivite.siret, "application": "orc", "profil": "consultation"}
    assert client.post("/habilitations/demander/", data).status_code == 302
    response = client.post("/habilitations/demander/", data)
    assert response.status_code == 200
    assert "déjà ouverte" in text(response)
    assert Habilitation.objects.filter(user=outsider, collectivite=collectivite).count() == 1


@pytest.mark.parametrize("who", ["entitled", "reader", "outsider"])
def test_non_admin_cannot_ask_for_a_colleague(client, request, collectivite, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.post(
        "/habilitations/demander/",
        {
            "siret": collectivite.siret,
            "application": "orc",
            "profil": "consultation",
            "beneficiaire": "collegue@example.fr",
        },
    )
    assert response.status_code == 200
    assert "Seul l&#x27;administrateur local de la collectivité" in text(response)
    assert not User.objects.filter(email="collegue@example.fr").exists()
    assert not Habilitation.objects.filter(application="orc", user__email="collegue@example.fr")
    assert len(mail.outbox) == 0


def test_admin_of_another_collectivite_cannot_ask_for_a_colleague_here(
    client, collectivite, other_collectivite
):
    admin_ailleurs = make_user("admin.ailleurs@example.fr")
    grant(admin_ailleurs, other_collectivite, "passerelle", "administration")
    client.force_login(admin_ailleurs)
    response = client.post(
        "/habilitations/demander/",
        {
            "siret": collectivite.siret,
            "application": "orc",
            "profil": "consultation",
            "beneficiaire": "collegue@example.fr",
        },
    )
    assert response.status_code == 200
    assert "Seul l&#x27;administrateur local" in text(response)


def test_local_admin_asks_for_a_colleague(
    client, local_admin, collectivite, comptable, django_capture_on_commit_callbacks
):
    client.force_login(local_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/habilitations/demander/",
            {
                "siret": collectivite.siret,
                "application": "extranet",
                "profil": "consultation",
                "beneficiaire": "Nouveau.Collegue@Example.fr",
            },
        )
    assert response.status_code == 302
    colleague = User.objects.get(email="nouveau.collegue@example.fr")
    assert not colleague.has_usable_password()
    hab = Habilitation.objects.get(user=colleague)
    assert hab.statut == StatutHabilitation.DEMANDEE
    assert hab.demandee_par == local_admin
    assert JournalEntry.objects.filter(action="compte_cree", object_id=str(colleague.pk)).exists()
    to_colleague = [m for m in mail.outbox if m.to == [colleague.email]]
    assert len(to_colleague) == 1
    assert [m.to for m in mail.outbox if m is not to_colleague[0]] == [[comptable.email]]
    link = re.search(r"https?://\S+/mot-de-passe/nouveau/\S+/", to_colleague[0].body).group(0)
    # The link lets the colleague choose a password.
    client.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    assert 'name="new_password1"' in text(response)


def test_request_with_a_past_end_date_is_refused(client, outsider, collectivite):
    client.force_login(outsider)
    response = client.post(
        "/habilitations/demander/",
        {
            "siret": collectivite.siret,
            "application": "orc",
            "profil": "consultation",
            "date_fin": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "La date de fin ne peut pas être dans le passé." in text(response)
    assert not Habilitation.objects.filter(user=outsider, collectivite=collectivite).exists()


def test_empty_request_reports_the_missing_fields(client, outsider):
    client.force_login(outsider)
    response = client.post("/habilitations/demander/", {})
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in text(response)


def test_request_with_invalid_choices_is_a_form_error(client, outsider):
    client.force_login(outsider)
    response = client.post(
        "/habilitations/demander/",
        {"collectivite": 999_999, "application": "helios", "profil": "dieu"},
    )
    assert response.status_code == 200
    assert not Habilitation.objects.filter(user=outsider).exclude(
        collectivite__siret="22810001200019"
    )


# ----------------------------------------------------------------- comptable pages


@pytest.fixture
def demande(collectivite):
    """A pending request on the comptable's poste."""
    return pending(make_user("demandeur@example.fr"), collectivite, "chorus", motif="Nouvel agent")


@pytest.fixture
def foreign_demande(other_collectivite):
    """A pending request on the other poste."""
    return pending(make_user("demandeur.albi@example.fr"), other_collectivite, "orc")


def test_comptable_sees_its_pending_requests_only(
    client, comptable, demande, foreign_demande, entitled
):
    verified_client(client, comptable)
    response = client.get("/comptable/demandes/")
    assert response.status_code == 200
    page = text(response)
    assert demande.user.email in page
    assert "Nouvel agent" in page
    assert f"/comptable/habilitations/{demande.pk}/accorder/" in page
    assert foreign_demande.user.email not in page
    assert foreign_demande.collectivite.nom not in page
    # Active habilitations are not requests.
    assert entitled.email not in page
    assert "1 demande en attente" in page


def test_comptable_of_another_poste_sees_none_of_them(
    client, other_comptable, demande, collectivite, entitled
):
    verified_client(client, other_comptable)
    page = text(client.get("/comptable/demandes/"))
    assert demande.user.email not in page
    assert collectivite.nom not in page
    assert "Aucune demande en attente." in page
    page = text(client.get("/comptable/habilitations/"))
    assert entitled.email not in page
    assert collectivite.nom not in page


@pytest.mark.parametrize("decision", ["accorder", "refuser", "revoquer"])
def test_comptable_of_another_poste_cannot_decide(
    client, other_comptable, demande, entitled, decision, django_capture_on_commit_callbacks
):
    active = entitled.habilitations.get(application="passerelle")
    verified_client(client, other_comptable)
    journal_before = JournalEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        for hab in (demande, active):
            response = client.post(
                f"/comptable/habilitations/{hab.pk}/{decision}/", {"motif": "Intrusion"}
            )
            assert response.status_code == 404
            assert hab.user.email not in text(response)
    demande.refresh_from_db()
    active.refresh_from_db()
    assert demande.statut == StatutHabilitation.DEMANDEE
    assert active.statut == StatutHabilitation.ACTIVE
    assert JournalEntry.objects.count() == journal_before
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["entitled", "reader", "outsider", "local_admin", "national_admin"])
def test_non_comptables_get_404_on_every_comptable_url(client, request, demande, who):
    user = request.getfixturevalue(who)
    verified_client(client, user)
    assert client.get("/comptable/demandes/").status_code == 404
    assert client.get("/comptable/habilitations/").status_code == 404
    for decision in ["accorder", "refuser", "revoquer"]:
        response = client.post(f"/comptable/habilitations/{demande.pk}/{decision}/", {"motif": "x"})
        assert response.status_code == 404
    demande.refresh_from_db()
    assert demande.statut == StatutHabilitation.DEMANDEE
    # Nor is the comptable menu offered.
    assert "/comptable/" not in text(client.get("/compte/"))


def test_comptable_menu_is_offered_to_comptables(client, comptable):
    verified_client(client, comptable)
    page = text(client.get("/compte/"))
    assert 'href="/comptable/demandes/"' in page
    assert 'href="/comptable/habilitations/"' in page


def test_decide_is_post_only(client, comptable, demande):
    verified_client(client, comptable)
    assert client.get(f"/comptable/habilitations/{demande.pk}/accorder/").status_code == 405
    demande.refresh_from_db()
    assert demande.statut == StatutHabilitation.DEMANDEE


def test_grant(client, comptable, demande, django_capture_on_commit_callbacks):
    verified_client(client, comptable)
    fin = timezone.localdate() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/comptable/habilitations/{demande.pk}/accorder/", {"date_fin": fin.isoformat()}
        )
    assert response.status_code == 302
    assert response["Location"] == "/comptable/demandes/"
    demande.refresh_from_db()
    assert demande.statut == StatutHabilitation.ACTIVE
    assert demande.decidee_par == comptable
    assert demande.date_fin == fin
    entry = JournalEntry.objects.get(action="habilitation_accordee", object_id=str(demande.pk))
    assert entry.actor_id == comptable.pk
    assert [m.to for m in mail.outbox] == [[demande.user.email]]
    assert "accordée" in mail.outbox[0].subject
    page = text(client.get("/comptable/demandes/"))
    assert f"Habilitation accordée à {demande.user.email}." in page
    assert "Aucune demande en attente." in page
    # The beneficiary can now open the application.
    client.logout()
    client.force_login(demande.user)
    response = client.get(f"/applications/chorus/{demande.collectivite_id}/", follow=True)
    assert response.status_code == 200  # the Chorus inbox


def test_refuse(client, comptable, demande, django_capture_on_commit_callbacks):
    verified_client(client, comptable)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/comptable/habilitations/{demande.pk}/refuser/", {"motif": "Agent inconnu du service"}
        )
    assert response.status_code == 302
    demande.refresh_from_db()
    assert demande.statut == StatutHabilitation.REFUSEE
    assert demande.motif == "Agent inconnu du service"
    assert JournalEntry.objects.filter(
        action="habilitation_refusee", object_id=str(demande.pk), actor_id=comptable.pk
    ).exists()
    assert [m.to for m in mail.outbox] == [[demande.user.email]]
    assert "Agent inconnu du service" in mail.outbox[0].body


def test_revoke(client, comptable, entitled, collectivite, django_capture_on_commit_callbacks):
    active = entitled.habilitations.get(application="passerelle")
    verified_client(client, comptable)
    page = text(client.get("/comptable/habilitations/"))
    assert f"/comptable/habilitations/{active.pk}/revoquer/" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/comptable/habilitations/{active.pk}/revoquer/", {"motif": "Départ de l'agent"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/comptable/habilitations/"
    active.refresh_from_db()
    assert active.statut == StatutHabilitation.REVOQUEE
    assert JournalEntry.objects.filter(
        action="habilitation_revoquee", object_id=str(active.pk), actor_id=comptable.pk
    ).exists()
    assert [m.to for m in mail.outbox] == [[entitled.email]]
    client.logout()
    client.force_login(entitled)
    response = client.get(f"/applications/passerelle/{collectivite.pk}/")
    assert response.status_code == 403
    assert "a été révoqué" in text(response)


@pytest.mark.parametrize("decision", ["refuser", "revoquer"])
def test_refuse_or_revoke_without_motif_changes_nothing(
    client, comptable, demande, entitled, decision, django_capture_on_commit_callbacks
):
    hab = demande if decision == "refuser" else entitled.habilitations.get(application="orc")
    before = hab.statut
    verified_client(client, comptable)
    journal_before = JournalEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/comptable/habilitations/{hab.pk}/{decision}/", {"motif": "   "}, follow=True
        )
    assert response.status_code == 200
    assert "Indiquez le motif" in text(response)
    hab.refresh_from_db()
    assert hab.statut == before
    assert JournalEntry.objects.count() == journal_before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("statut", "decision", "label"),
    [
        (StatutHabilitation.DEMANDEE, "revoquer", "demandée"),
        (StatutHabilitation.REFUSEE, "accorder", "refusée"),
        (StatutHabilitation.REFUSEE, "revoquer", "refusée"),
        (StatutHabilitation.REVOQUEE, "accorder", "révoquée"),
        (StatutHabilitation.ACTIVE, "accorder", "active"),
        (StatutHabilitation.ACTIVE, "refuser", "active"),
    ],
)
def test_forbidden_transitions_are_refused_with_a_message(
    client, comptable, collectivite, statut, decision, label, django_capture_on_commit_callbacks
):
    hab = grant(make_user("cible@example.fr"), collectivite, "orc", statut=statut)
    verified_client(client, comptable)
    journal_before = JournalEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/comptable/habilitations/{hab.pk}/{decision}/", {"motif": "Un motif"}, follow=True
        )
    assert response.status_code == 200
    assert f"Impossible : l&#x27;habilitation est « {label} »." in text(response)
    hab.refresh_from_db()
    assert hab.statut == statut
    assert JournalEntry.objects.count() == journal_before
    assert mail.outbox == []


@pytest.mark.parametrize("decision", ["supprimer", "ACCORDER", "revoke"])
def test_unknown_decision_is_a_404_and_changes_nothing(client, comptable, entitled, decision):
    active = entitled.habilitations.get(application="passerelle")
    verified_client(client, comptable)
    response = client.post(f"/comptable/habilitations/{active.pk}/{decision}/", {"motif": "x"})
    assert response.status_code == 404
    active.refresh_from_db()
    assert active.statut == StatutHabilitation.ACTIVE


def test_grant_with_a_past_end_date_changes_nothing(client, comptable, demande):
    verified_client(client, comptable)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        f"/comptable/habilitations/{demande.pk}/accorder/",
        {"date_fin": yesterday.isoformat()},
        follow=True,
    )
    assert response.status_code == 200
    assert "La date de fin ne peut pas être dans le passé." in text(response)
    demande.refresh_from_db()
    assert demande.statut == StatutHabilitation.DEMANDEE


def test_decide_with_a_malformed_date_changes_nothing(client, comptable, demande):
    verified_client(client, comptable)
    response = client.post(
        f"/comptable/habilitations/{demande.pk}/accorder/", {"date_fin": "demain"}, follow=True
    )
    assert response.status_code == 200
    assert "Formulaire invalide" in text(response)
    demande.refresh_from_db()
    assert demande.statut == StatutHabilitation.DEMANDEE


def test_comptable_habilitations_lists_its_poste_and_filters(
    client, comptable, entitled, reader, outsider, demande, collectivite
):
    grant(make_user("parti@example.fr"), collectivite, "orc", statut=StatutHabilitation.REVOQUEE)
    verified_client(client, comptable)
    response = client.get("/comptable/habilitations/")
    assert response.status_code == 200
    page = text(response)
    assert entitled.email in page
    assert reader.email in page
    assert "parti@example.fr" in page
    assert outsider.email not in page  # another poste
    assert demande.user.email not in page  # requests are on the other page
    assert "9 habilitations" in page
    page = text(client.get("/comptable/habilitations/?statut=revoquee"))
    assert "1 habilitation<" in page
    assert entitled.email not in page
    assert "/revoquer/" not in page  # nothing left to revoke among revoked ones
    # An unknown filter is ignored rather than failing.
    assert client.get("/comptable/habilitations/?statut=<script>").status_code == 200


# -------------------------------------------------------------------------- import

HEADER = "siret;nom;nature;codique;departement;cod_col;cod_bud;libelle_budget;nomenclature;actif\n"


@pytest.mark.parametrize(
    "who", ["entitled", "reader", "outsider", "local_admin", "comptable", "other_comptable"]
)
def test_import_page_is_for_national_admins_only(client, request, who):
    user = request.getfixturevalue(who)
    verified_client(client, user)
    assert client.get("/administration/import/").status_code == 404
    csv = (
        HEADER + "21310395500018;Commune de Muret;commune;031042;31;395;00;Budget principal;M57;1\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/administration/import/",
        {"fichier": SimpleUploadedFile("c.csv", csv.encode(), content_type="text/csv")},
    )
    assert response.status_code == 404
    assert not Collectivite.objects.filter(siret="21310395500018").exists()


def test_import_page_for_national_admin(client, national_admin):
    verified_client(client, national_admin)
    response = client.get("/administration/import/")
    assert response.status_code == 200
    assert "siret;nom;nature;codique" in text(response)


def upload(client, content: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/administration/import/",
        {
            "fichier": SimpleUploadedFile(
                "collectivites.csv", content.encode(), content_type="text/csv"
            )
        },
    )


def test_bad_csv_reports_line_numbers_and_imports_nothing(client, national_admin, poste):
    verified_client(client, national_admin)
    journal_before = JournalEntry.objects.count()
    response = upload(
        client,
        HEADER
        + "21310395500018;Commune de Muret;commune;031042;31;395;00;Budget principal;M57;1\n"
        + "12345678901234;Commune fausse;commune;031042;31;001;00;Budget principal;M57;1\n"
        + "20005426000019;CC du Volvestre;epci;999999;31;426;00;Budget principal;M57;1\n"
        + "20005426000019;CC du Volvestre;epci;031042;31;42;00;Budget principal;M57;1\n",
    )
    assert response.status_code == 200
    page = text(response)
    assert "Rien n'a été importé : 3 erreurs" in page
    assert "Ligne 3 : " in page
    assert "Ligne 4 : poste comptable « 999999 » inconnu." in page
    assert "Ligne 5 : " in page
    assert "Ligne 2 :" not in page
    assert Collectivite.objects.count() == 0
    assert JournalEntry.objects.count() == journal_before


def test_good_csv_imports(client, national_admin, poste, collectivite):
    verified_client(client, national_admin)
    response = upload(
        client,
        HEADER
        + "21310395500018;Commune de Muret;commune;031042;31;395;00;Budget principal;M57;1\n"
        + "21310395500018;Commune de Muret;commune;031042;31;395;01;Eau;M4;1\n"
        + f"{collectivite.siret};Commune de Saint-Orens-de-Gameville;commune;031042;31;055;00;"
        "Budget principal;M57;1\n",
    )
    assert response.status_code == 200
    page = text(response)
    assert (
        "Import terminé : 1 collectivité(s) créée(s), 1 mise(s) à jour, 2 budget(s) créé(s), 1 mis à jour."
        in page
    )
    muret = Collectivite.objects.get(siret="21310395500018")
    assert muret.poste == poste
    assert muret.budgets.count() == 2
    collectivite.refresh_from_db()
    assert collectivite.nom == "Commune de Saint-Orens-de-Gameville"
    assert JournalEntry.objects.filter(
        action="import_collectivites", actor_id=national_admin.pk
    ).exists()


def test_csv_with_missing_columns_is_reported(client, national_admin):
    verified_client(client, national_admin)
    response = upload(client, "siret;nom\n21310395500018;Muret\n")
    assert response.status_code == 200
    assert "Colonnes manquantes" in text(response)
    assert Collectivite.objects.count() == 0


def test_import_without_file_is_a_form_error(client, national_admin):
    verified_client(client, national_admin)
    response = client.post("/administration/import/", {})
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in text(response)


def test_request_with_unknown_siret_gets_a_french_error(client, reader):
    client.force_login(reader)
    response = client.post(
        "/habilitations/demander/",
        {"siret": "21310555400099", "application": "orc", "profil": "consultation"},
    )
    assert response.status_code == 200
    assert "Aucune collectivité" in text(response)


def test_comptable_cannot_decide_their_own_request(client, comptable, collectivite):
    from pigp.core.models import Habilitation

    hab = Habilitation.objects.create(
        user=comptable,
        collectivite=collectivite,
        application="orc",
        profil="consultation",
        demandee_par=comptable,
    )
    verified_client(client, comptable)
    client.post(f"/comptable/habilitations/{hab.pk}/accorder/")
    hab.refresh_from_db()
    assert hab.statut == "demandee"
