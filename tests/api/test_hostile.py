"""Hostile inputs through the API: a clear status and message, the original kept, never a 500."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile

import pytest

from pigp.core import files
from pigp.passerelle.models import Flux, StatutFlux
from tests.flows import aller_bytes

pytestmark = pytest.mark.django_db(transaction=True)

NS = b"http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


HOSTILE = {
    "billion_laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<n:PES_Aller xmlns:n="' + NS + b'">&lol2;</n:PES_Aller>'
    ),
    "xxe": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<n:PES_Aller xmlns:n="' + NS + b'">&e;</n:PES_Aller>'
    ),
    "deep": b'<n:PES_Aller xmlns:n="'
    + NS
    + b'">'
    + b"<a>" * 20000
    + b"</a>" * 20000
    + b"</n:PES_Aller>",
    "truncated": b"",  # half of a generated flow, made in the test
    "garbage": bytes(range(256)) * 40,
    "utf16": '<?xml version="1.0" encoding="UTF-16"?><PES_Aller/>'.encode("utf-16"),
    "wrong_root": b'<?xml version="1.0"?><html><body>bonjour</body></html>',
    "gzip_bomb": gzip.compress(b"\0" * 5_000_000),
    "zip_bomb": _zip({"a.xml": b"\0" * 5_000_000}),
    "broken_gzip": gzip.compress(b"<x/>" * 1000)[:50],
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_gets_a_clear_status(client, callers, sicoval, settings, name):
    settings.PIGP_PASSERELLE_MAX_DECOMPRESSED = 1_000_000
    content = HOSTILE[name] or aller_bytes(sicoval)[: len(aller_bytes(sicoval)) // 2]
    caller = callers["service"]
    response = client.post(
        f"/api/v1/flux/?filename={name}.xml",
        data=content,
        content_type="application/octet-stream",
        headers=caller.headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["statut"] == StatutFlux.REFUSE, (body["statut"], body["message"])
    assert body["message"]
    flux = Flux.objects.get(pk=body["id"])
    with files.open_stored(flux.fichier) as fh:
        kept = fh.read()
    # The original is kept as received (for archives, the refused archive itself).
    assert hashlib.sha256(kept).hexdigest() == flux.fichier.sha256
    if not name.endswith("bomb") and name != "broken_gzip":
        assert kept == content
    detail = client.get(f"/api/v1/flux/{flux.pk}/", headers=caller.headers)
    assert detail.status_code == 200
