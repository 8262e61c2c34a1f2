"""Cancelling a flow the pipeline has not picked up (no transaction: processing never starts)."""

from __future__ import annotations

import pytest

from pigp.passerelle.models import Flux, StatutFlux
from tests.conftest import grant, make_user
from tests.flows import aller_bytes

pytestmark = pytest.mark.django_db


def _post(client, caller, sicoval):
    caller.client(client)
    response = client.post(
        f"/api/v1/flux/?filename=a.xml&collectivite={sicoval.pk}",
        data=aller_bytes(sicoval),
        content_type="application/xml",
        headers=caller.headers,
    )
    assert response.status_code == 201
    assert response.json()["statut"] == "poste"
    client.logout()
    return response.json()["id"]


@pytest.mark.parametrize("who", ["entitled", "service"])
def test_sender_cancels_once(client, callers, sicoval, who):
    caller = callers[who]
    pk = _post(client, caller, sicoval)
    caller.client(client)
    response = client.post(f"/api/v1/flux/{pk}/annuler/", headers=caller.headers)
    assert response.status_code == 200, response.content
    assert response.json()["statut"] == "annule"
    flux = Flux.objects.get(pk=pk)
    assert flux.statut == StatutFlux.ANNULE
    assert flux.events.last().statut == StatutFlux.ANNULE
    again = client.post(f"/api/v1/flux/{pk}/annuler/", headers=caller.headers)
    assert again.status_code == 409
    assert "Posté" in again.json()["detail"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("reader", 403),
        ("service_ro", 403),
        ("service", 403),  # not the sender
        ("outsider", 404),
        ("revoked_account", 401),
        ("revoked_token", 401),
        ("anonymous", 401),
    ],
)
def test_others_cannot_cancel(client, callers, sicoval, who, expected):
    pk = _post(client, callers["entitled"], sicoval)
    caller = callers[who]
    caller.client(client)
    response = client.post(f"/api/v1/flux/{pk}/annuler/", headers=caller.headers)
    assert response.status_code == expected
    assert Flux.objects.get(pk=pk).statut == StatutFlux.POSTE


def test_another_writer_is_not_the_sender(client, callers, sicoval):
    pk = _post(client, callers["entitled"], sicoval)
    colleague = make_user("collegue@example.fr")
    grant(colleague, sicoval)
    client.force_login(colleague)
    response = client.post(f"/api/v1/flux/{pk}/annuler/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Seul l'expéditeur du flux peut l'annuler."


def test_a_user_cannot_cancel_what_a_service_account_sent(client, callers, sicoval):
    pk = _post(client, callers["service"], sicoval)
    caller = callers["entitled"]
    caller.client(client)
    response = client.post(f"/api/v1/flux/{pk}/annuler/", headers=caller.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "Seul l'expéditeur du flux peut l'annuler."
    assert Flux.objects.get(pk=pk).statut == StatutFlux.POSTE
