"""What a new user meets first: the admin, lockout and second-factor messages, session expiry, menu."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import PASSWORD, grant, make_user, verified_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("profil", ["transmission", "consultation"])
def test_admin_as_a_non_staff_user_ends_on_a_403_not_a_loop(client, collectivite, profil):
    user = make_user(f"{profil}@example.fr")
    grant(user, collectivite, "passerelle", profil)
    client.force_login(user)
    response = client.get("/admin/", follow=True)
    assert len(response.redirect_chain) <= 2, response.redirect_chain
    assert response.status_code == 403
    assert "réservée aux administrateurs nationaux" in response.content.decode()


def test_admin_as_a_juge_ends_on_a_403(client, juridiction):
    juge = make_user("juge@example.fr", juridiction=juridiction)
    verified_client(client, juge)
    response = client.get("/admin/habilitation/", follow=True)
    assert response.status_code in (403, 404)
    assert len(response.redirect_chain) <= 3


def test_admin_anonymous_goes_to_the_portal_login(client):
    response = client.get("/admin/core/user/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/connexion/?next=/admin/core/user/")


def test_admin_speaks_french_and_reads_the_journal_newest_first(client, national_admin):
    from pigp.core import journal

    journal.record("habilitation_accordee", actor=national_admin, obj=national_admin)
    journal.record("connexion_echouee", actor=national_admin, obj=national_admin)
    verified_client(client, national_admin)
    index = client.get("/admin/").content.decode()
    for english in ("Task results", "Task Results", "TOTP devices", "Access attempts"):
        assert english not in index, english
    listing = client.get("/admin/core/journalentry/").content.decode()
    shown = re.sub(r'(href|value)="[^"]*"', "", listing)
    assert "habilitation_accordee" not in shown  # neither in the list nor in its filter
    assert listing.index("Connexion échouée") < listing.index("Habilitation accordée")


def test_lockout_says_minutes_not_an_iso_duration(client, settings):
    user = make_user("verrou@example.fr")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/connexion/", {"username": user.email, "password": "mauvais-mot-de-passe"})
    response = client.post("/connexion/", {"username": user.email, "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "pendant 15 minutes" in html
    assert "PT15M" not in html


def test_a_throttled_second_factor_says_how_long(client, comptable):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=comptable, name="t", confirmed=True)
    client.force_login(comptable)
    client.post("/securite/verification/", {"token": "000000"})
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post("/securite/verification/", {"token": f"{totp.token():06d}"})
    html = response.content.decode()
    assert "Trop d&#x27;essais" in html
    assert re.search(r"patientez \d+ secondes?", html), html
    assert "quelques instants" not in html


def test_an_expired_session_says_so_on_the_login_page(entitled, settings):
    from django.contrib.sessions.models import Session

    client = Client()
    client.post("/connexion/", {"username": entitled.email, "password": PASSWORD})
    assert client.get("/").status_code == 200
    Session.objects.all().delete()  # what the idle expiry does to it
    response = client.get("/compte/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/connexion/")
    assert "Votre session a expiré" in response.content.decode()
    # Once: the next visit to the login page does not say it again.
    assert "Votre session a expiré" not in client.get("/connexion/").content.decode()


def test_no_expiry_message_after_logging_out(entitled):
    client = Client()
    client.post("/connexion/", {"username": entitled.email, "password": PASSWORD})
    response = client.post("/deconnexion/", follow=True)
    assert "Votre session a expiré" not in response.content.decode()


def test_one_menu_tab_is_current_on_passerelle_pages(client, entitled, collectivite, comptable):
    client.force_login(entitled)
    for url in (f"/passerelle/{collectivite.pk}/", "/passerelle/flux/"):
        html = client.get(url).content.decode()
        nav = html.split('id="fr-navigation"', 1)[1].split("</nav>", 1)[0]
        assert nav.count('aria-current="page"') == 1, url
        assert re.search(r'aria-current="page"\s*>Mes flux<', nav), url
    verified_client(client, comptable)
    html = client.get("/passerelle/supervision/").content.decode()
    nav = html.split('id="fr-navigation"', 1)[1].split("</nav>", 1)[0]
    assert nav.count('aria-current="page"') == 1
    assert re.search(r'aria-current="page"\s*>Supervision des flux<', nav)


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
