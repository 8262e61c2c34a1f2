"""Supervision through the API: comptables of the poste and national administrators only."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pigp.passerelle.models import Flux, StatutFlux
from tests.conftest import make_user, verified_client
from tests.flows import aller_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/supervision/"


@pytest.fixture
def stuck_flux(client, callers, sicoval):
    caller = callers["entitled"]
    caller.client(client)
    response = client.post(
        URL.replace("supervision", "flux") + "?filename=a.xml",
        data=aller_bytes(sicoval),
        content_type="application/xml",
    )
    assert response.status_code == 201
    client.logout()
    Flux.objects.filter(pk=response.json()["id"]).update(
        status_changed_at=timezone.now() - datetime.timedelta(hours=3)
    )
    return response.json()["id"]


def test_comptable_of_the_poste_sees_stuck_flows(client, stuck_flux, sicoval):
    comptable = make_user("comptable.labege@example.fr", poste=sicoval.poste)
    verified_client(client, comptable)
    body = client.get(URL).json()
    counts = {row["statut"]: row["nombre"] for row in body["par_statut"]}
    assert counts[StatutFlux.POSTE] == 1
    assert [f["id"] for f in body["bloques"]] == [stuck_flux]


def test_national_admin_sees_all(client, stuck_flux, national_admin):
    verified_client(client, national_admin)
    assert [f["id"] for f in client.get(URL).json()["bloques"]] == [stuck_flux]


def test_other_comptable_sees_nothing(client, stuck_flux, other_comptable):
    verified_client(client, other_comptable)
    body = client.get(URL).json()
    assert body["bloques"] == [] and all(row["nombre"] == 0 for row in body["par_statut"])


@pytest.mark.parametrize("who", ["entitled", "reader", "outsider", "service"])
def test_others_get_404(client, callers, stuck_flux, who):
    caller = callers[who]
    caller.client(client)
    assert client.get(URL, headers=caller.headers).status_code == 404


@pytest.mark.parametrize("who", ["revoked_account", "revoked_token", "anonymous"])
def test_revoked_get_401(client, callers, who):
    assert client.get(URL, headers=callers[who].headers).status_code == 401


def test_session_without_second_factor_never_reaches_data(client, stuck_flux, sicoval):
    comptable = make_user("comptable.sans.otp@example.fr", poste=sicoval.poste)
    client.force_login(comptable)  # password only: the second factor is still owed
    response = client.get(URL)
    # The API answers in JSON (the portal middleware leaves /api/ to DRF), and DRF does not
    # take a session that still owes its second factor.
    assert response.status_code == 401
    assert response.json()["detail"]


def test_session_authentication_refuses_unverified_privileged_users(rf, sicoval):
    """Even if a middleware let the request through, the API would not take the session."""
    from rest_framework.request import Request

    from pigp.api.authentication import PortalSessionAuthentication

    comptable = make_user("comptable.direct@example.fr", poste=sicoval.poste)
    request = rf.get(URL)
    request.user = comptable
    request._dont_enforce_csrf_checks = True
    comptable.is_verified = lambda: False
    assert PortalSessionAuthentication().authenticate(Request(request)) is None
    comptable.is_verified = lambda: True
    assert PortalSessionAuthentication().authenticate(Request(request))[0] == comptable
