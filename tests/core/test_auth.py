import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pigp.core.models import JournalEntry
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _login(client, email, password):
    return client.post("/connexion/", {"username": email, "password": password})


@pytest.mark.parametrize(
    "password",
    ["court-2026", "password1234", "123456789012345", "aaaaaaaaaaaaaaa", "azertyuiop123"],
)
def test_weak_passwords_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_long_passphrase_accepted():
    validate_password("cheval correct agrafe batterie")


def test_login_required_by_default(client):
    response = client.get("/compte/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=/compte/")


def test_login_and_logout(client):
    make_user("marie@example.fr")
    response = _login(client, "marie@example.fr", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/deconnexion/")
    assert client.get("/").status_code == 302


def test_wrong_password_clear_french_message(client):
    make_user("marie@example.fr")
    response = _login(client, "marie@example.fr", "pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_repeated_failures(client):
    make_user("marie@example.fr")
    for _ in range(3):
        _login(client, "marie@example.fr", "mauvais-mot-de-passe")
    response = _login(client, "marie@example.fr", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Compte temporairement bloqué" in body
    assert client.get("/").status_code == 302  # the right password did not open a session


def test_password_reset_by_emailed_link(client):
    user = make_user("marie@example.fr")
    response = client.post("/mot-de-passe/oublie/", {"email": "marie@example.fr"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+(/mot-de-passe/nouveau/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    post_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new = "une phrase de passe bien longue"
    done = client.post(post_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert JournalEntry.objects.filter(action="mot_de_passe_reinitialise").exists()
    # The link works once only.
    assert "plus valable" in client.get(link, follow=True).content.decode()


def test_password_reset_unknown_address_says_nothing(client):
    response = client.post("/mot-de-passe/oublie/", {"email": "inconnu@example.fr"})
    assert response.status_code == 302 and not mail.outbox


def test_comptable_must_set_up_second_factor(client, comptable):
    _login(client, comptable.email, PASSWORD)
    response = client.get("/")
    assert (
        response.status_code == 302 and response["Location"] == "/securite/double-authentification/"
    )
    page = client.get("/securite/double-authentification/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=comptable, confirmed=False)
    wrong = client.post("/securite/double-authentification/", {"token": "000000"})
    assert "Code incorrect" in wrong.content.decode()
    throttled = client.post("/securite/double-authentification/", {"token": "000000"})
    assert "patientez" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    ok = client.post("/securite/double-authentification/", {"token": f"{code:06d}"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    assert JournalEntry.objects.filter(action="double_authentification_activee").exists()


def test_user_with_device_must_pass_it_after_password(client, comptable):
    device = TOTPDevice.objects.create(user=comptable, name="t", confirmed=True)
    _login(client, comptable.email, PASSWORD)
    response = client.get("/compte/")
    assert response.status_code == 302
    assert response["Location"].startswith("/securite/verification/?next=/compte/")
    bad = client.post("/securite/verification/", {"token": "123456", "next": "/compte/"})
    assert "Code incorrect" in bad.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    ok = client.post("/securite/verification/", {"token": f"{code:06d}", "next": "/compte/"})
    assert ok.status_code == 302 and ok["Location"] == "/compte/"
    assert client.get("/compte/").status_code == 200


def test_verification_refuses_open_redirect(client, comptable):
    device = TOTPDevice.objects.create(user=comptable, name="t", confirmed=True)
    _login(client, comptable.email, PASSWORD)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    ok = client.post(
        "/securite/verification/", {"token": f"{code:06d}", "next": "https://evil.example/"}
    )
    assert ok["Location"] == "/"


def test_ordinary_user_may_opt_in(client):
    user = make_user("marie@example.fr")
    _login(client, user.email, PASSWORD)
    assert client.get("/").status_code == 200
    assert client.get("/securite/double-authentification/").status_code == 200


def test_session_expires_after_inactivity(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 3600


def test_production_settings_pass_check_deploy(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "PIGP_ENV": "production",
        "SECRET_KEY": "x" * 64 + "-production-key-for-the-deploy-check",
        "ALLOWED_HOSTS": "portail.example.fr",
        "PIGP_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pigp.settings",
    }
    env.pop("PIGP_TESTING", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
