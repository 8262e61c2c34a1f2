"""Twenty deposits at once through HTTP: twenty flows, none duplicated, none lost."""

from __future__ import annotations

import hashlib
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.signals import request_finished, request_started

from pigp.passerelle import intake
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


API_CALLERS, SFTP_CALLERS, ROUNDS = 10, 5, 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_deposits_by_api_and_sftp(
    live_server, admin_local, sicoval, settings, tmp_path
):
    """The probe of issue 9: the same new bytes deposited by 15 callers at once (10 through the
    API, 5 through the SFTP server), several rounds. Each round gives one flow, one
    acknowledgement, and every caller is answered with that flow: no HTTP 500, no SFTP error."""
    from pigp.passerelle.models import MailboxItem
    from pigp.passerelle.sftp.server import ServerThread
    from tests.conftest import PASSWORD, grant, make_user
    from tests.flows import aller_bytes
    from tests.passerelle.test_sftp import sftp

    _, clear = make_account(admin_local, [sicoval])
    sftp_user = make_user("depot.concurrent@sicoval.fr")
    grant(sftp_user, sicoval)
    settings.PIGP_SFTP_HOST_KEY = tmp_path / "sftp_host_key"
    url = f"{live_server.url}/api/v1/flux/"
    base = aller_bytes(sicoval)

    with ServerThread() as server:
        for round_no in range(ROUNDS):
            # New bytes each round (a comment after the root changes the digest only).
            content = base + f"<!-- tour {round_no} -->".encode()
            # The first round takes the bordereaux in charge: later ones are refused on their
            # NomFic and IdBord, acknowledged all the same.
            expected = "refuse" if round_no else "acquitte"
            barrier = threading.Barrier(API_CALLERS + SFTP_CALLERS, timeout=60)

            def by_api(i: int, content: bytes = content, barrier=barrier) -> tuple[str, object]:
                barrier.wait()
                response = requests.post(
                    url,
                    params={"filename": f"api{i}.xml", "collectivite": sicoval.pk},
                    data=content,
                    headers={"Authorization": f"Bearer {clear}", "Content-Type": "application/xml"},
                    timeout=120,
                )
                assert response.headers["Content-Type"].startswith("application/json"), (
                    response.status_code,
                    response.text[:300],
                )
                assert response.status_code in (200, 201), (response.status_code, response.text)
                return "api", response.json()["id"]

            def by_sftp(i: int, content: bytes = content, barrier=barrier) -> tuple[str, object]:
                with sftp(server.port, sftp_user.email, PASSWORD) as client:
                    barrier.wait()
                    attrs = client.putfo(io.BytesIO(content), f"/depot/sftp{i}.xml")
                    return "sftp", attrs.st_size

            with ThreadPoolExecutor(max_workers=API_CALLERS + SFTP_CALLERS) as pool:
                futures = [pool.submit(by_api, i) for i in range(API_CALLERS)]
                futures += [pool.submit(by_sftp, i) for i in range(SFTP_CALLERS)]
                results = [f.result() for f in futures]

            flux = Flux.objects.get(fichier__sha256=hashlib.sha256(content).hexdigest())
            assert {pk for kind, pk in results if kind == "api"} == {flux.pk}
            assert {size for kind, size in results if kind == "sftp"} == {len(content)}
            assert flux.events.filter(statut="poste").count() == 1
            assert flux.statut == expected, (flux.statut, flux.message)
            assert MailboxItem.objects.filter(related_flux=flux).count() == 1
    assert Flux.objects.filter(collectivite=sicoval).count() == ROUNDS
    assert not list(intake.manifest_dir().glob("*"))
