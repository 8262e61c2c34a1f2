"""The mailbox through the API: list, pick up (marks read), acknowledge a PES_Retour."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pigp.passerelle import mailbox
from pigp.passerelle.models import Flux, KindFlux, MailboxItem, StatutFlux
from tests.flows import acquit_retour_xml, retour_bytes

RETOUR_NAME = "PES2R_DEP_P_710_20_044090_20250307_20250307_20250308182309.xml"
URL = "/api/v1/boite/"


@pytest.fixture
def items(sicoval, collectivite):
    retour = mailbox.deliver(
        sicoval,
        KindFlux.PES_RETOUR,
        RETOUR_NAME,
        retour_bytes(sicoval),
    )
    acquit = mailbox.deliver(sicoval, KindFlux.PES_ACQUIT, "ACQUIT_1.xml", b"<PES_ACQUIT/>")
    # Delivered one after the other, they sort newest first by (created_at, id).
    elsewhere = mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_2.xml", b"<x/>")
    return {"retour": retour, "acquit": acquit, "elsewhere": elsewhere}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "sees"),
    [("entitled", True), ("reader", True), ("service", True), ("outsider", False)],
)
def test_list_and_pick_up(client, callers, items, who, sees):
    caller = callers[who]
    caller.client(client)
    listing = client.get(URL, headers=caller.headers)
    assert listing.status_code == 200
    names = [i["name"] for i in listing.json()["results"]]
    if who == "outsider":
        assert names == ["ACQUIT_2.xml"]
    else:
        assert names == ["ACQUIT_1.xml", RETOUR_NAME]
    item = items["acquit"]
    response = client.get(f"{URL}{item.pk}/fichier/", headers=caller.headers)
    assert response.status_code == (200 if sees else 404)
    item.refresh_from_db()
    if sees:
        assert b"".join(response.streaming_content) == b"<PES_ACQUIT/>"
        assert item.read_at is not None
        unread = client.get(URL + "?non_lus=1", headers=caller.headers).json()["results"]
        assert [i["name"] for i in unread] == [RETOUR_NAME]
        read = client.get(URL, headers=caller.headers).json()["results"][0]
        assert read["lu"] is True and read["read_by"]
    else:
        assert item.read_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["revoked_account", "revoked_token", "anonymous"])
def test_revoked_get_401(client, callers, items, who):
    caller = callers[who]
    assert client.get(URL, headers=caller.headers).status_code == 401
    response = client.get(f"{URL}{items['acquit'].pk}/fichier/", headers=caller.headers)
    assert response.status_code == 401
    response = client.post(f"{URL}{items['retour'].pk}/acquitter/", headers=caller.headers)
    assert response.status_code == 401
    items["acquit"].refresh_from_db()
    assert items["acquit"].read_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["multipart", "raw"])
def test_acknowledge_a_retour(client, callers, items, how):
    caller = callers["service"]
    content = acquit_retour_xml(items["retour"].collectivite, RETOUR_NAME)
    url = f"{URL}{items['retour'].pk}/acquitter/"
    if how == "multipart":
        upload = SimpleUploadedFile("ACK.xml", content, "application/xml")
        response = client.post(url, {"fichier": upload}, headers=caller.headers)
    else:
        response = client.post(
            url + "?filename=ACK.xml",
            data=content,
            content_type="application/xml",
            headers=caller.headers,
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == KindFlux.PES_ACQUIT_RETOUR
    assert body["statut"] == StatutFlux.TRANSMIS, body["message"]
    retour = MailboxItem.objects.get(pk=items["retour"].pk)
    assert retour.acknowledged_by_id == body["id"]
    listed = client.get(URL, headers=caller.headers).json()["results"]
    assert {i["name"]: i["acquitte_par"] for i in listed}[RETOUR_NAME] == body["id"]
    # The same file again: the same flow, nothing processed twice.
    again = client.post(
        url + "?filename=ACK2.xml",
        data=content,
        content_type="application/xml",
        headers=caller.headers,
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Flux.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [("reader", 403), ("service_ro", 403), ("outsider", 404)],
)
def test_acknowledge_refused(client, callers, items, who, expected):
    caller = callers[who]
    caller.client(client)
    response = client.post(
        f"{URL}{items['retour'].pk}/acquitter/?filename=a.xml",
        data=b"<x/>",
        content_type="application/xml",
        headers=caller.headers,
    )
    assert response.status_code == expected
    assert not Flux.objects.exists()


@pytest.mark.django_db
def test_only_a_retour_is_acknowledged_and_not_empty(client, callers, items):
    caller = callers["service"]
    response = client.post(
        f"{URL}{items['acquit'].pk}/acquitter/?filename=a.xml",
        data=b"<x/>",
        content_type="application/xml",
        headers=caller.headers,
    )
    assert response.status_code == 400
    assert "PES_Retour" in response.json()["detail"]
    response = client.post(f"{URL}{items['retour'].pk}/acquitter/", headers=caller.headers)
    assert response.status_code == 400


@pytest.mark.django_db
def test_bad_filters(client, callers, items):
    caller = callers["service"]
    assert client.get(URL + "?non_lus=peut-etre", headers=caller.headers).status_code == 400
    assert (
        client.get(URL + "?kind=pes_retour", headers=caller.headers).json()["results"][0]["name"]
        == RETOUR_NAME
    )
