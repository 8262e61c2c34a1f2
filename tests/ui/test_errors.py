"""Error pages: French, DSFR, with the request id; never Django's debug or English pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db


def _assert_french_page(response, status: int, title: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert f"<h1>{title}</h1>" in html
    assert "fr-header" in html  # the portal's layout, not a bare Django page
    request_id = response["X-Request-ID"]
    assert len(request_id) >= 8
    assert f"<code>{request_id}</code>" in html
    for english in ("Not Found", "Forbidden", "Server Error", "URLconf", "Traceback"):
        assert english not in html
    return html


def test_unknown_url_is_a_french_404_without_the_url_configuration(client):
    html = _assert_french_page(client.get("/nulle-part/"), 404, "Page introuvable")
    assert "connexion" in html  # an anonymous visitor is offered to log in
    assert "passerelle/" not in html.split("<main", 1)[1]  # no URL pattern listed


def test_access_helper_message_is_shown_on_the_404(client, entitled, other_collectivite):
    client.force_login(entitled)
    html = _assert_french_page(
        client.get(f"/applications/extranet/{other_collectivite.pk}/"), 404, "Page introuvable"
    )
    assert "Collectivité introuvable." in html


def test_read_only_profile_gets_a_french_403(client, reader, collectivite):
    client.force_login(reader)
    response = client.post(f"/passerelle/{collectivite.pk}/deposer/")
    html = _assert_french_page(response, 403, "Accès refusé")
    assert "consultation" in html


def test_bad_host_is_a_french_400(client):
    _assert_french_page(
        client.get("/connexion/", HTTP_HOST="intrus.example"), 400, "Requête incorrecte"
    )


def test_server_error_is_a_french_500_with_the_request_id(settings):
    settings.ROOT_URLCONF = "tests.ui.urls"
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/", HTTP_X_REQUEST_ID="proxy-id-12345678")
    html = _assert_french_page(response, 500, "Erreur du portail")
    assert response["X-Request-ID"] == "proxy-id-12345678"  # the proxy's id is kept
    assert "a bug" not in html


def test_server_error_page_survives_a_failing_context(settings, monkeypatch):
    settings.ROOT_URLCONF = "tests.ui.urls"

    def broken(request):  # the database is down: the menu's context cannot be built
        raise RuntimeError("database unreachable")

    monkeypatch.setattr("pigp.ui.context_processors.portal", broken)
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "pigp.ui.context_processors.portal",
                ]
            },
        }
    ]
    response = Client(raise_request_exception=False).get("/test-boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Erreur du portail</h1>" in html
    assert response["X-Request-ID"] in html


def test_csrf_failure_is_a_french_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/connexion/", {"username": "x@example.fr", "password": "y"})
    _assert_french_page(response, 403, "Formulaire expiré")


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/nulle-part/")
    assert response.status_code in (401, 403, 404)
    assert response["Content-Type"].startswith("application/json")


def test_revoked_access_says_it_ended(client, collectivite, comptable):
    from pigp.core.habilitations import revoke

    user = make_user("revoque@example.fr")
    habilitation = grant(user, collectivite, "extranet", "consultation")
    client.force_login(user)
    # The card leads to the Extranet's tableau de bord.
    assert client.get(f"/applications/extranet/{collectivite.pk}/").status_code == 302
    revoke(habilitation, comptable=comptable, motif="Départ de l'agent")
    response = client.get(f"/applications/extranet/{collectivite.pk}/")
    html = _assert_french_page(response, 403, "Accès refusé")
    assert "a été révoqué le" in html
    assert "Départ de l&#x27;agent" in html
    assert "Collectivité introuvable" not in html


def test_revoked_passerelle_access_says_it_ended(client, collectivite, comptable):
    from pigp.core.habilitations import revoke

    user = make_user("revoque.flux@example.fr")
    habilitation = grant(user, collectivite, "passerelle", "transmission")
    client.force_login(user)
    revoke(habilitation, comptable=comptable, motif="Changement de service")
    html = _assert_french_page(client.get(f"/passerelle/{collectivite.pk}/"), 403, "Accès refusé")
    assert "Passerelle pour" in html and "révoqué" in html


def test_an_outsider_is_not_told_about_others_habilitations(client, outsider, collectivite):
    client.force_login(outsider)
    response = client.get(f"/passerelle/{collectivite.pk}/")
    assert response.status_code == 404
