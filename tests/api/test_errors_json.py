"""Every answer under /api/ is JSON: unknown addresses (a newline in the path included), a
method not allowed, a refusal, an internal error (issue 9)."""

from __future__ import annotations

import pytest

from tests.api.conftest import make_account

pytestmark = pytest.mark.django_db


def _json(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/v1/flux/%0A/", "/api/%0A", "/api/v1/flux/1/%0D%0A/acquittement/", "/api/x"]
)
def test_unknown_address_with_a_newline_is_a_json_404(client, settings, debug, path):
    settings.DEBUG = debug
    body = _json(client.get(path), 404)
    assert body == {"detail": "Adresse inconnue dans l'API."}


def test_method_not_allowed_and_forbidden_are_json(client, admin_local, sicoval):
    _, token = make_account(admin_local, [sicoval])
    headers = {"Authorization": f"Bearer {token}"}
    assert "detail" in _json(client.delete("/api/v1/flux/", headers=headers), 405)
    assert "detail" in _json(client.get("/api/v1/flux/"), 401)
    _, reader = make_account(admin_local, [sicoval], can_write=False, name="Lecteur")
    refused = client.post(
        "/api/v1/flux/?filename=a.xml",
        data=b"<a/>",
        content_type="application/xml",
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert "consultation" in _json(refused, 403)["detail"]


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_is_a_json_500_and_logged(
    client, admin_local, sicoval, monkeypatch, settings, caplog, debug
):
    """A failure injected into the access layer: a French JSON 500, the traceback in the log."""
    from pigp.api import views

    settings.DEBUG = debug
    _, token = make_account(admin_local, [sicoval])

    def broken(*args, **kwargs):
        raise RuntimeError("panne injectée")

    monkeypatch.setattr(views.access, "flux_for", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/flux/", headers={"Authorization": f"Bearer {token}"})
    body = _json(response, 500)
    assert body["detail"].startswith("Erreur interne du portail")
    assert "panne" not in body["detail"]
    assert any("panne injectée" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_portal_keeps_its_html_404(client):
    response = client.get("/page-inconnue/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_root_handlers_answer_json_under_api_only(rf):
    """Errors raised outside the API's views (a middleware…) use the root handlers."""
    from django.http import Http404

    from pigp import urls

    assert urls.handler500(rf.get("/api/v1/flux/"))["Content-Type"] == "application/json"
    assert urls.handler404(rf.get("/api/v1/"), Http404())["Content-Type"] == "application/json"
    assert urls.handler500(rf.get("/passerelle/"))["Content-Type"].startswith("text/html")
