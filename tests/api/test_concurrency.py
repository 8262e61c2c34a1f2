"""Twenty deposits at once through HTTP: twenty flows, none duplicated, none lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.signals import request_finished, request_started

from pigp.passerelle.models import Flux
from tests.api.conftest import make_account

N = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_api_deposits(live_server, admin_local, sicoval):
    from django.db import connection

    if connection.vendor == "sqlite":
        # An in-memory test database is shared by the live server's threads through ONE
        # connection, which would serialise everything and prove nothing: a file is needed.
        assert not connection.is_in_memory_db()
    _, clear = make_account(admin_local, [sicoval])
    url = f"{live_server.url}/api/v1/flux/"

    def deposit(i: int) -> tuple[int, int, int]:
        body = f'<?xml version="1.0"?><Fichier numero="{i}"/>'.encode()
        response = requests.post(
            url,
            params={"filename": f"f{i}.xml", "collectivite": sicoval.pk},
            data=body,
            headers={"Authorization": f"Bearer {clear}", "Content-Type": "application/xml"},
            timeout=120,
        )
        assert response.status_code == 201, (i, response.status_code, response.text[:500])
        return i, response.status_code, response.json()["id"]

    # How many requests the server had in hand at once: proof that they really overlapped.
    lock = threading.Lock()
    in_flight = {"now": 0, "max": 0}

    def started(**kwargs: object) -> None:
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])

    def finished(**kwargs: object) -> None:
        with lock:
            in_flight["now"] -= 1

    request_started.connect(started, dispatch_uid="api-concurrency")
    request_finished.connect(finished, dispatch_uid="api-concurrency")
    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            results = list(pool.map(deposit, range(N)))
    finally:
        request_started.disconnect(dispatch_uid="api-concurrency")
        request_finished.disconnect(dispatch_uid="api-concurrency")
    assert in_flight["max"] > 1, in_flight

    ids = [pk for _, _, pk in results]
    assert len(set(ids)) == N
    flows = Flux.objects.filter(collectivite=sicoval)
    assert flows.count() == N
    assert sorted(flows.values_list("original_name", flat=True)) == sorted(
        f"f{i}.xml" for i in range(N)
    )
    assert len(set(flows.values_list("fichier__sha256", flat=True))) == N
    # Each was processed once (unknown content: refused with a reason), none left behind.
    for flux in flows:
        assert flux.statut == "refuse", (flux.pk, flux.statut, flux.message)
        assert flux.events.filter(statut="poste").count() == 1
