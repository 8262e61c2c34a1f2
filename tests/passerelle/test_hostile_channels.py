"""Every hostile input of the PES library, sent through the web, the API and SFTP.

Each one ends as a flow with a clear French status message and its original kept byte for
byte; no channel answers with a server error.
"""

from __future__ import annotations

import gzip
import io

import pytest

from pigp.core import files
from pigp.passerelle.accounts import issue_token
from pigp.passerelle.models import Flux, ServiceAccount, StatutFlux
from tests.conftest import PASSWORD

NS = b"http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
ROOT = b'<n:PES_Aller xmlns:n="' + NS + b'">'
LOL = b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))


def _nested(depth: int) -> bytes:
    return b"<?xml version='1.0'?>" + ROOT + b"<a>" * depth + b"</a>" * depth + b"</n:PES_Aller>"


def _gzip_bomb_in_pj() -> bytes:
    import base64

    bomb = base64.b64encode(gzip.compress(b"\0" * 50_000_000))
    return (
        b"<?xml version='1.0' encoding='ISO-8859-1'?>"
        + ROOT
        + b"<PES_PJ><PJ><Contenu><Fichier MIMEType='application/pdf'>"
        + bomb
        + b"</Fichier></Contenu></PJ></PES_PJ></n:PES_Aller>"
    )


HOSTILE = {
    "billion-laughs": b"<?xml version='1.0'?><!DOCTYPE l [<!ENTITY lol0 'lol'>"
    + LOL
    + b"]>"
    + ROOT
    + b"&lol9;</n:PES_Aller>",
    "xxe-file": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
    + ROOT
    + b"&e;</n:PES_Aller>",
    "xxe-url": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'http://example.invalid/x'>]>"
    + ROOT
    + b"&e;</n:PES_Aller>",
    "external-dtd": b"<?xml version='1.0'?><!DOCTYPE n:PES_Aller SYSTEM 'http://example.invalid/p.dtd'>"
    + ROOT
    + b"</n:PES_Aller>",
    "deep-nesting": _nested(10_000),
    "gzip-bomb-in-pj": _gzip_bomb_in_pj(),
    "truncated": b"<?xml version='1.0' encoding='ISO-8859-1'?>"
    + ROOT
    + b"<Enveloppe><Parametres><Version V='2'/>",
    "binary-garbage": bytes(range(256)) * 40,
    "utf16": "<?xml version='1.0' encoding='UTF-16'?><n:PES_Aller xmlns:n='http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller'/>".encode(
        "utf-16"
    ),
    "wrong-root": b"<?xml version='1.0'?><Facture><Montant>12</Montant></Facture>",
    "foreign-namespace": b"<?xml version='1.0'?><n:PES_Aller xmlns:n='urn:ailleurs'/>",
}


def _assert_refused_and_kept(flux: Flux, content: bytes) -> None:
    flux.refresh_from_db()
    assert flux.statut == StatutFlux.REFUSE, (flux.statut, flux.message)
    assert flux.message.strip()
    with files.open_stored(flux.fichier) as fh:
        assert fh.read() == content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_web(client, collectivite, depositor, name):
    content = HOSTILE[name]
    client.force_login(depositor)
    upload = io.BytesIO(content)
    upload.name = f"{name}.xml"
    response = client.post(f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": upload})
    assert response.status_code in (200, 201), response.content[:300]
    _assert_refused_and_kept(Flux.objects.get(original_name=f"{name}.xml"), content)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_api(client, collectivite, depositor, name):
    content = HOSTILE[name]
    account = ServiceAccount.objects.create(
        name="logiciel", applications=["passerelle"], can_write=True, created_by=depositor
    )
    account.collectivites.add(collectivite)
    token = issue_token(depositor, account).clear
    response = client.post(
        f"/api/v1/flux/?filename={name}.xml&collectivite={collectivite.pk}",
        data=content,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (200, 201), response.content[:300]
    _assert_refused_and_kept(Flux.objects.get(pk=response.json()["id"]), content)


@pytest.mark.django_db(transaction=True)
def test_sftp(settings, tmp_path, collectivite, depositor):
    from tests.passerelle.test_sftp import ServerThread, sftp

    settings.PIGP_SFTP_HOST_KEY = tmp_path / "sftp_host_key"
    with ServerThread() as server, sftp(server.port, depositor.email, PASSWORD) as client:
        for name, content in sorted(HOSTILE.items()):
            with client.open(f"/depot/{collectivite.siret}/{name}.xml", "wb") as fh:
                fh.write(content)
    for name, content in HOSTILE.items():
        _assert_refused_and_kept(
            Flux.objects.get(original_name=f"{name}.xml", canal="sftp"), content
        )
