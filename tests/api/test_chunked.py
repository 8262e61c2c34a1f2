"""A body sent in chunks (`Transfer-Encoding: chunked`, no Content-Length) through a real
server: refused with HTTP 411 and a French message naming the transfer encoding — it was
answered « Le fichier est vide » (issue 9)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from pigp.passerelle.models import Flux
from tests.api.conftest import make_account
from tests.flows import aller_bytes


def _chunks(content: bytes, size: int = 4096):
    for start in range(0, len(content), size):
        yield content[start : start + size]


def _post_chunked(live_server, path: str, headers: dict[str, str], content: bytes):
    where = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        conn.request("POST", path, body=_chunks(content), headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("content_type", ["application/xml", "multipart/form-data; boundary=x"])
def test_chunked_deposit_is_refused_by_its_transfer_encoding(
    live_server, admin_local, sicoval, content_type
):
    _, token = make_account(admin_local, [sicoval])
    status, media, body = _post_chunked(
        live_server,
        f"/api/v1/flux/?filename=morceaux.xml&collectivite={sicoval.pk}",
        {"Authorization": f"Bearer {token}", "Content-Type": content_type},
        aller_bytes(sicoval),
    )
    assert status == 411, body
    assert media.startswith("application/json")
    detail = json.loads(body)["detail"]
    assert "Transfer-Encoding: chunked" in detail and "Content-Length" in detail
    assert "vide" not in detail
    assert not Flux.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_unauthenticated_chunked_request_is_still_a_401(live_server):
    status, _, _ = _post_chunked(
        live_server, "/api/v1/flux/", {"Content-Type": "application/xml"}, b"<a/>"
    )
    assert status == 401
