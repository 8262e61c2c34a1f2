"""Who reaches which page before anything else: anonymous visitors and the second factor."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, grant, make_user, verified_client

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/connexion/",
    "/accessibilite/",
    "/mentions-legales/",
    "/mot-de-passe/oublie/",
    "/mot-de-passe/envoye/",
    "/mot-de-passe/modifie/",
]


def private_get_urls(collectivite_pk: int) -> list[str]:
    return [
        "/",
        "/compte/",
        f"/applications/passerelle/{collectivite_pk}/",
        "/habilitations/demander/",
        "/comptable/demandes/",
        "/comptable/habilitations/",
        "/administration/import/",
        "/securite/double-authentification/",
        "/securite/verification/",
    ]


def private_post_urls(habilitation_pk: int) -> list[str]:
    return [
        "/collectivite/choisir/",
        f"/comptable/habilitations/{habilitation_pk}/accorder/",
        f"/comptable/habilitations/{habilitation_pk}/refuser/",
        f"/comptable/habilitations/{habilitation_pk}/revoquer/",
    ]


def test_urls_under_test_are_the_real_ones(collectivite):
    assert reverse("portal:home") == "/"
    assert reverse("portal:account") == "/compte/"
    assert reverse("portal:login") == "/connexion/"
    assert reverse("portal:import_csv") == "/administration/import/"
    assert reverse("portal:otp_setup") == "/securite/double-authentification/"
    assert reverse("portal:otp_verify") == "/securite/verification/"
    assert reverse("portal:comptable_decide", args=[1, "accorder"]) == (
        "/comptable/habilitations/1/accorder/"
    )


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_pages_are_reachable_anonymously_in_the_portal_layout(client, url):
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    # Not the Django admin's registration templates (they used to shadow the portal's).
    assert "Portail de la gestion publique" in content
    assert "Django" not in content


def test_every_other_page_redirects_anonymous_users_to_login(client, collectivite, entitled):
    for url in private_get_urls(collectivite.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/connexion/?next={quote(url)}", url


def test_anonymous_posts_are_redirected_and_change_nothing(client, collectivite, entitled):
    hab = entitled.habilitations.first()
    for url in private_post_urls(hab.pk):
        response = client.post(url, {"collectivite": collectivite.pk, "motif": "x"})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/connexion/?next="), url
    hab.refresh_from_db()
    assert hab.statut == "active"
    assert "collectivite_courante" not in client.session


def test_anonymous_response_does_not_leak_the_collectivite(client, collectivite):
    response = client.get(f"/applications/passerelle/{collectivite.pk}/", follow=True)
    assert response.status_code == 200
    assert collectivite.nom.encode() not in response.content
    assert collectivite.siret.encode() not in response.content


@pytest.mark.parametrize("who", ["comptable", "national_admin"])
def test_privileged_user_without_device_must_set_up_2fa_on_every_page(
    client, request, collectivite, who
):
    user = request.getfixturevalue(who)
    grant(user, collectivite, "passerelle", "consultation")
    client.force_login(user)
    for url in private_get_urls(collectivite.pk):
        if url == "/securite/double-authentification/":
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        # The verify page sends users without a device on to the set-up page itself.
        assert response["Location"] == "/securite/double-authentification/", url
    response = client.get("/securite/double-authentification/")
    assert response.status_code == 200
    assert "exige une double authentification" in response.content.decode()
    # The pages that show nothing private stay reachable.
    for url in ["/accessibilite/", "/mentions-legales/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["comptable", "national_admin"])
def test_privileged_user_with_unverified_device_is_asked_for_the_code(
    client, request, collectivite, who
):
    user = request.getfixturevalue(who)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    hab = grant(make_user("owner@example.fr"), collectivite, "chorus", "consultation")
    client.force_login(user)
    for url in private_get_urls(collectivite.pk):
        if url == "/securite/verification/":
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        if url == "/securite/double-authentification/":
            # The set-up page is exempt; it sends a user who already has a device to verification.
            assert response["Location"] == "/securite/verification/", url
        else:
            assert response["Location"] == f"/securite/verification/?next={url}", url
    assert client.get("/securite/verification/").status_code == 200
    for url in private_post_urls(hab.pk):
        response = client.post(url, {"collectivite": collectivite.pk, "motif": "x"})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/securite/verification/"), url
    hab.refresh_from_db()
    assert hab.statut == "active"


def test_ordinary_user_needs_no_second_factor(client, entitled, collectivite):
    client.force_login(entitled)
    assert client.get("/").status_code == 200
    assert client.get("/compte/").status_code == 200
    assert (
        client.get(f"/applications/passerelle/{collectivite.pk}/", follow=True).status_code == 200
    )


def test_verified_comptable_and_admin_reach_their_pages(client, comptable, national_admin):
    verified_client(client, comptable)
    assert client.get("/comptable/demandes/").status_code == 200
    client.logout()
    verified_client(client, national_admin)
    assert client.get("/administration/import/").status_code == 200


def test_logout_is_post_only_and_lands_on_login(client, entitled):
    client.force_login(entitled)
    assert client.get("/deconnexion/").status_code == 405
    response = client.post("/deconnexion/")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/"
    assert client.get("/").status_code == 302


def test_login_with_password_reaches_home(client, entitled, collectivite):
    response = client.post(
        "/connexion/", {"username": entitled.email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    assert collectivite.nom in response.content.decode()


def test_registering_a_new_device_cannot_replace_the_existing_one(client, comptable):
    """With the password alone, setting up a second authenticator must not pass the factor."""
    from django_otp.oath import totp

    TOTPDevice.objects.create(user=comptable, name="app", confirmed=True)
    client.force_login(comptable)
    assert client.get("/securite/double-authentification/")["Location"] == (
        "/securite/verification/"
    )
    response = client.post("/securite/double-authentification/", {"token": "123456"})
    assert response.status_code == 302
    assert response["Location"] == "/securite/verification/"
    assert TOTPDevice.objects.filter(user=comptable).count() == 1
    # Even when a stray unconfirmed device exists, its code is not accepted.
    stray = TOTPDevice.objects.create(user=comptable, name="stray", confirmed=False)
    code = f"{totp(stray.bin_key, step=stray.step, t0=stray.t0, digits=stray.digits):06d}"
    client.post("/securite/double-authentification/", {"token": code})
    stray.refresh_from_db()
    assert not stray.confirmed
    assert client.get("/comptable/demandes/").status_code == 302


def test_second_factor_redirect_keeps_the_whole_query_string(client, comptable):
    TOTPDevice.objects.create(user=comptable, name="app", confirmed=True)
    client.force_login(comptable)
    url = "/comptable/habilitations/?statut=active&page=2"
    response = client.get(url)
    assert response["Location"] == f"/securite/verification/?next={quote(url)}"
