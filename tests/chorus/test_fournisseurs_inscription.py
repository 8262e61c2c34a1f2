"""A supplier's self-registration: the form's checks, the single answer, the confirmation link
(valid, expired, tampered), what an unconfirmed account sees."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing

from pigp.chorus import fournisseurs
from pigp.chorus.models import CompteFournisseur, Fournisseur
from pigp.core.models import Habilitation, JournalEntry, User
from tests.chorus.factories import make_fournisseur
from tests.conftest import make_user, verified_client

URL = "/chorus/fournisseur/inscription/"
SIRET = "73282932000074"
PASSWORD = "une phrase de passe assez longue"


def post(client, **overrides):
    data = {
        "siret": "732 829 320 00074",
        "raison_sociale": "Fournitures du Lauragais",
        "email": "Vendeur@Lauragais.example.fr",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(URL, data)


def link_in(message) -> str:
    match = re.search(r"https?://\S+/chorus/fournisseur/inscription/confirmer/\S+/", message.body)
    assert match, message.body
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.mark.django_db
def test_the_form_is_public(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "Inscription d'un fournisseur" in response.content.decode()
    assert 'href="/chorus/fournisseur/inscription/"' in client.get("/connexion/").content.decode()


@pytest.mark.django_db
def test_a_valid_registration_creates_an_unconfirmed_account_and_mails_the_link(client):
    response = post(client)
    assert (
        response.status_code == 302 and response.url == "/chorus/fournisseur/inscription/envoyee/"
    )
    user = User.objects.get(email="vendeur@lauragais.example.fr")
    assert user.check_password(PASSWORD)
    assert not Habilitation.objects.filter(user=user).exists()
    compte = CompteFournisseur.objects.get(user=user)
    assert not compte.confirme
    assert (compte.fournisseur.siret, compte.fournisseur.email) == (SIRET, user.email)
    assert JournalEntry.objects.filter(action="chorus_fournisseur_inscrit").count() == 1
    [message] = mail.outbox
    assert message.to == [user.email] and "Confirmez" in message.subject
    path = link_in(message)
    # The link shows a button; only the POST confirms (a mail scanner confirms nothing).
    assert "Confirmer le compte" in client.get(path).content.decode()
    compte.refresh_from_db()
    assert not compte.confirme
    response = client.post(path)
    assert response.status_code == 200 and "est confirmé" in response.content.decode()
    compte.refresh_from_db()
    assert compte.confirme
    assert JournalEntry.objects.filter(action="chorus_fournisseur_confirme").count() == 1
    # Used twice: nothing more happens.
    assert client.post(path).status_code == 200
    assert JournalEntry.objects.filter(action="chorus_fournisseur_confirme").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("siret", "error"),
    [
        ("1234", "doit compter exactement 14 chiffres"),
        ("7328293200007A", "doit compter exactement 14 chiffres"),
        ("73282932000075", "sa clé de contrôle est fausse"),
    ],
)
def test_a_bad_siret_is_refused_in_french(client, siret, error):
    response = post(client, siret=siret)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not User.objects.exists() and not Fournisseur.objects.exists()


@pytest.mark.django_db
def test_passwords_follow_the_project_rules(client):
    html = post(client, password1="court", password2="court").content.decode()
    assert "mot de passe" in html.lower() and not User.objects.exists()
    html = post(client, password2="autre chose encore plus longue").content.decode()
    assert "ne sont pas identiques" in html and not User.objects.exists()


@pytest.mark.django_db
def test_an_existing_siret_is_confirmed_by_the_suppliers_registered_address(client):
    make_fournisseur(SIRET, email="factures@lauragais.example.fr")
    response = post(client, email="inconnu@example.fr")
    # The same answer as for a new supplier: the page does not say the SIRET is known.
    assert response.status_code == 302 and response.url.endswith("/inscription/envoyee/")
    compte = CompteFournisseur.objects.get(user__email="inconnu@example.fr")
    assert not compte.confirme and Fournisseur.objects.count() == 1
    to_supplier = next(m for m in mail.outbox if m.to == ["factures@lauragais.example.fr"])
    assert "inconnu@example.fr" in to_supplier.body
    to_registrant = next(m for m in mail.outbox if m.to == ["inconnu@example.fr"])
    assert "/confirmer/" not in to_registrant.body
    client.post(link_in(to_supplier))
    compte.refresh_from_db()
    assert compte.confirme


@pytest.mark.django_db
def test_an_existing_address_gets_the_same_answer_and_no_account(client):
    make_user("vendeur@lauragais.example.fr")
    response = post(client)
    assert response.status_code == 302 and response.url.endswith("/inscription/envoyee/")
    assert not CompteFournisseur.objects.exists() and not Fournisseur.objects.exists()
    [message] = mail.outbox
    assert message.to == ["vendeur@lauragais.example.fr"] and "Mot de passe oublié" in message.body


@pytest.mark.django_db
def test_registrations_are_bounded_per_address(client, settings):
    settings.PIGP_CHORUS_INSCRIPTIONS_PER_HOUR = 1
    post(client)
    response = post(client, email="second@example.fr")
    assert response.status_code == 429 and "Trop d&#x27;inscriptions" in response.content.decode()
    assert not User.objects.filter(email="second@example.fr").exists()


@pytest.mark.django_db
def test_an_expired_link_is_refused(client, settings):
    post(client)
    path = link_in(mail.outbox[0])
    settings.PIGP_CHORUS_CONFIRMATION_HOURS = 0
    response = client.post(path)
    assert response.status_code == 400 and "a expiré" in response.content.decode()
    assert not CompteFournisseur.objects.get().confirme


@pytest.mark.django_db
def test_a_tampered_link_is_refused(client):
    post(client)
    compte = CompteFournisseur.objects.get()
    other = make_user("autre@example.fr")
    forged = signing.dumps({"c": compte.pk, "e": other.email}, salt=fournisseurs.SALT)
    for token in (forged, "abc", link_in(mail.outbox[0]).split("/")[-2][:-3] + "xyz"):
        response = client.post(f"/chorus/fournisseur/inscription/confirmer/{token}/")
        assert response.status_code == 400 and "pas valide" in response.content.decode()
    assert not CompteFournisseur.objects.get().confirme


@pytest.mark.django_db
def test_an_unconfirmed_account_sees_nothing(client):
    post(client)
    user = User.objects.get()
    verified_client(client, user)
    for url in (
        "/chorus/fournisseur/",
        "/chorus/fournisseur/factures/",
        "/chorus/fournisseur/depots/",
        "/chorus/fournisseur/jetons/",
    ):
        assert client.get(url).status_code == 404, url
    home = client.get("/").content.decode()
    assert "attend sa confirmation" in home and "/chorus/fournisseur/" not in home


@pytest.mark.django_db
def test_an_administrator_confirms_an_account_in_the_admin(client, national_admin):
    make_fournisseur(SIRET, email="")
    post(client, email="inconnu@example.fr")
    compte = CompteFournisseur.objects.get()
    # No registered address: nobody got a link, the registrant is told who confirms.
    assert all("/confirmer/" not in m.body for m in mail.outbox)
    assert "administrateur" in mail.outbox[-1].body
    verified_client(client, national_admin)
    response = client.post(
        "/admin/chorus/comptefournisseur/",
        {"action": "confirmer", "_selected_action": [compte.pk]},
    )
    assert response.status_code == 302
    compte.refresh_from_db()
    assert compte.confirme
    entry = JournalEntry.objects.get(action="chorus_fournisseur_confirme")
    assert entry.actor_id == national_admin.pk
