"""Deposit and follow flows through the API, with every kind of caller."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pigp.passerelle.models import Flux, MailboxItem, StatutFlux
from tests.flows import aller_bytes

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/flux/"


def multipart(client, caller, content, *, name="flux.xml", coll=None):
    data = {"fichier": SimpleUploadedFile(name, content, "application/xml")}
    if coll is not None:
        data["collectivite"] = str(coll.pk)
    return caller.client(client).post(URL, data, headers=caller.headers)


def raw(client, caller, content, *, name="flux.xml", coll=None, content_type="application/xml"):
    query = f"?filename={name}" + (f"&collectivite={coll.pk}" if coll is not None else "")
    return caller.client(client).post(
        URL + query, data=content, content_type=content_type, headers=caller.headers
    )


@pytest.mark.parametrize("who", ["entitled", "service"])
def test_real_sample_by_multipart_then_raw_body(client, callers, sicoval, who):
    caller = callers[who]
    first = multipart(client, caller, aller_bytes(sicoval), name="sicoval.xml", coll=sicoval)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["statut"] == "acquitte", body["message"]
    assert body["canal"] == "api" and body["acquittement_disponible"] is True
    assert body["lot"] == [{"id": body["id"], "cree": True, "original_name": "sicoval.xml"}]
    # Same content again, as a raw body and without naming the collectivité: the same flow.
    again = raw(client, caller, aller_bytes(sicoval), name="autre.xml")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == body["id"]
    assert Flux.objects.count() == 1
    flux = Flux.objects.get()
    if who == "service":
        assert flux.sender_account is not None and flux.sender_user is None
    else:
        assert flux.sender_user == caller.user


def test_raw_body_real_sample_created(client, callers, sicoval):
    response = raw(
        client, callers["service"], aller_bytes(sicoval), name="SICOVAL.xml", coll=sicoval
    )
    assert response.status_code == 201
    assert response.json()["statut"] == "acquitte"
    assert response.json()["original_name"] == "SICOVAL.xml"


def test_octet_stream_and_gzip_bodies(client, callers, sicoval):
    import gzip

    response = raw(
        client,
        callers["entitled"],
        gzip.compress(aller_bytes(sicoval)),
        name="sicoval.xml.gz",
        content_type="application/gzip",
    )
    assert response.status_code == 201, response.content
    assert response.json()["statut"] == "acquitte"
    assert response.json()["original_name"] == "sicoval.xml"


def test_garbage_is_a_refused_flow_with_a_message(client, callers, sicoval):
    response = raw(client, callers["entitled"], b"\x00\x01 ceci n'est pas du XML", name="x.xml")
    assert response.status_code == 201
    body = response.json()
    assert body["statut"] == "refuse"
    assert body["message"]
    detail = client.get(f"{URL}{body['id']}/").json()
    assert detail["historique"][-1]["statut"] == "refuse"


@pytest.mark.parametrize("how", ["raw", "multipart"])
def test_empty_file_is_a_400_in_french(client, callers, sicoval, how):
    send = raw if how == "raw" else multipart
    response = send(client, callers["entitled"], b"", coll=sicoval)
    assert response.status_code == 400
    assert "vide" in str(response.json())
    assert not Flux.objects.exists()


def test_missing_file_field_and_bad_ids(client, callers, sicoval):
    caller = callers["entitled"]
    response = caller.client(client).post(URL, {"collectivite": sicoval.pk})
    assert response.status_code == 400 and "fichier" in response.json()["erreurs"]
    response = raw(client, caller, b"<a/>", name="a.xml")
    assert response.status_code == 201
    response = client.post(
        URL + "?filename=a.xml&collectivite=abc", data=b"<b/>", content_type="application/xml"
    )
    assert response.status_code == 400


def test_unsupported_content_type(client, callers, sicoval):
    response = raw(client, callers["entitled"], b"{}", content_type="application/json")
    assert response.status_code == 415
    assert not Flux.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("reader", 403),
        ("service_ro", 403),
        ("outsider", 404),
        ("revoked_account", 401),
        ("revoked_token", 401),
        ("anonymous", 401),
    ],
)
def test_deposit_refused(client, callers, sicoval, who, expected):
    response = multipart(client, callers[who], aller_bytes(sicoval), coll=sicoval)
    assert response.status_code == expected, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert not Flux.objects.exists()


def test_reader_without_collectivite_gets_403(client, callers, sicoval):
    response = raw(client, callers["reader"], aller_bytes(sicoval))
    assert response.status_code == 403
    assert "consultation" in response.json()["detail"]


def _deposited(client, callers, sicoval) -> dict:
    response = multipart(client, callers["entitled"], aller_bytes(sicoval), coll=sicoval)
    assert response.status_code == 201
    client.logout()
    return response.json()


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("entitled", True),
        ("reader", True),
        ("service", True),
        ("service_ro", True),
        ("outsider", False),
    ],
)
def test_list_and_detail_by_caller(client, callers, sicoval, who, sees):
    flux = _deposited(client, callers, sicoval)
    caller = callers[who]
    listing = caller.client(client).get(URL, headers=caller.headers)
    assert listing.status_code == 200
    ids = [f["id"] for f in listing.json()["results"]]
    assert ids == ([flux["id"]] if sees else [])
    detail = client.get(f"{URL}{flux['id']}/", headers=caller.headers)
    assert detail.status_code == (200 if sees else 404)
    if sees:
        body = detail.json()
        assert [e["statut"] for e in body["historique"]] == [
            "poste",
            "en_cours",
            "transmis",
            "acquitte",
        ]
        assert body["nombre_anomalies"] == len(body["anomalies"])
        assert body["resume"]["bordereaux"]


@pytest.mark.parametrize("who", ["revoked_account", "revoked_token", "anonymous"])
def test_unauthenticated_callers_get_401_json(client, callers, sicoval, who):
    flux = _deposited(client, callers, sicoval)
    caller = callers[who]
    for url in (URL, f"{URL}{flux['id']}/", f"{URL}{flux['id']}/acquittement/", "/api/v1/boite/"):
        response = client.get(url, headers=caller.headers)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["detail"]


def test_revoked_messages_are_french(client, callers):
    response = client.get(URL, headers=callers["revoked_token"].headers)
    assert response.json() == {"detail": "Ce jeton d'API a été révoqué."}
    response = client.get(URL, headers=callers["revoked_account"].headers)
    assert response.json() == {"detail": "Le compte de service de ce jeton a été révoqué."}
    response = client.get(URL, headers={"Authorization": "Bearer pigp_0000000000_" + "x" * 43})
    assert response.json() == {"detail": "Jeton d'API inconnu ou mal formé."}


def test_list_filters_and_pagination(client, callers, sicoval):
    caller = callers["service"]
    ok = raw(client, caller, aller_bytes(sicoval), name="ok.xml").json()
    bad = raw(client, caller, b"pas du xml", name="ko.xml").json()

    def ids(query: str) -> list[int]:
        response = client.get(URL + query, headers=caller.headers)
        assert response.status_code == 200, response.content
        return [f["id"] for f in response.json()["results"]]

    assert ids("") == [bad["id"], ok["id"]]
    assert ids("?statut=acquitte") == [ok["id"]]
    assert ids("?statut=refuse") == [bad["id"]]
    assert ids("?kind=pes_aller") == [ok["id"]]
    assert ids(f"?collectivite={sicoval.pk}") == [bad["id"], ok["id"]]
    today = datetime.date.today()
    assert (
        len(
            ids(
                f"?since={today - datetime.timedelta(days=1)}&until={today + datetime.timedelta(days=1)}"
            )
        )
        == 2
    )
    assert ids(f"?until={today - datetime.timedelta(days=2)}") == []
    assert ids("?since=0001-01-01&until=9999-12-31") == [bad["id"], ok["id"]]
    first = client.get(URL + "?page_size=1", headers=caller.headers).json()
    assert [f["id"] for f in first["results"]] == [bad["id"]]
    second = client.get(first["next"], headers=caller.headers).json()
    assert [f["id"] for f in second["results"]] == [ok["id"]]
    for query in ("?statut=nimporte", "?since=hier", "?collectivite=x"):
        response = client.get(URL + query, headers=caller.headers)
        assert response.status_code == 400


def test_acquittement_download_marks_it_read(client, callers, sicoval):
    flux = _deposited(client, callers, sicoval)
    caller = callers["reader"]
    response = caller.client(client).get(f"{URL}{flux['id']}/acquittement/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    content = b"".join(response.streaming_content)
    assert b"PES_ACQUIT" in content
    item = MailboxItem.objects.get(related_flux_id=flux["id"])
    assert item.read_at is not None and item.read_by == caller.user.email


def test_acquittement_404_when_none_and_outside(client, callers, sicoval):
    caller = callers["entitled"]
    refused = raw(client, caller, b"pas du xml", name="ko.xml").json()
    # A refused deposit is acknowledged too (issue 9): its PES_ACQUIT carries the reason.
    response = client.get(
        f"{URL}{refused['id']}/acquittement/", headers={"Accept": "application/xml"}
    )
    assert response.status_code == 200
    assert b"ERREUR_AUTRE" in b"".join(response.streaming_content)
    # A flow not yet acknowledged (as one still waiting for its control): 404.
    Flux.objects.filter(pk=refused["id"]).update(acquit=None)
    response = client.get(
        f"{URL}{refused['id']}/acquittement/", headers={"Accept": "application/xml"}
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "Aucun acquittement n'est encore disponible pour ce flux."
    flux = _deposited(client, callers, sicoval)
    outsider = callers["outsider"]
    assert outsider.client(client).get(f"{URL}{flux['id']}/acquittement/").status_code == 404
    assert not MailboxItem.objects.filter(
        related_flux_id=flux["id"], read_at__isnull=False
    ).exists()


def test_session_post_needs_csrf(callers, sicoval):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(callers["entitled"].user)
    response = client.post(
        URL + "?filename=a.xml", data=aller_bytes(sicoval), content_type="application/xml"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/api/v1/flux/")  # any page sets no cookie by itself: fetch one from the portal
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(
        URL + "?filename=a.xml",
        data=aller_bytes(sicoval),
        content_type="application/xml",
        headers={"X-CSRFToken": _mask_cipher_secret(secret)},
    )
    assert response.status_code == 201, response.content


def test_bearer_needs_no_csrf(callers, sicoval):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    caller = callers["service"]
    response = client.post(
        URL + "?filename=a.xml",
        data=aller_bytes(sicoval),
        content_type="application/xml",
        headers=caller.headers,
    )
    assert response.status_code == 201


def test_flux_statuses_are_french(client, callers, sicoval):
    flux = _deposited(client, callers, sicoval)
    assert flux["statut_libelle"] == StatutFlux.ACQUITTE.label


def test_too_big_raw_body_refused_before_reading(client, callers, sicoval, settings):
    settings.PIGP_PASSERELLE_MAX_SIZE = 100
    response = raw(client, callers["entitled"], b"<a>" + b"x" * 200 + b"</a>", coll=sicoval)
    assert response.status_code == 400
    assert "taille maximale" in response.json()["detail"]
    response = multipart(client, callers["entitled"], b"<a>" + b"x" * 200 + b"</a>", coll=sicoval)
    assert response.status_code == 400
    assert "taille maximale" in response.json()["detail"]
    assert not Flux.objects.exists()


def test_list_query_count_does_not_grow_with_rows(client, callers, sicoval):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    caller = callers["service"]
    headers = caller.headers

    def count() -> int:
        client.get(URL, headers=headers)  # token use journaled once a minute: warm it up
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, headers=headers).status_code == 200
            assert client.get("/api/v1/boite/", headers=headers).status_code == 200
        return len(ctx.captured_queries)

    raw(client, caller, b"<a/>", name="a.xml")
    one = count()
    for i in range(5):
        raw(client, caller, f"<b n='{i}'/>".encode(), name=f"b{i}.xml")
    assert count() == one
