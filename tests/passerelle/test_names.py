"""One rule for deposited file names, on every channel (issue 9): no directory on either
separator, no control or bidirectional formatting character (« facture\u202egpj.xml » shows
as « facturelmx.jpg »), NFC, a fallback when nothing remains."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest

from pigp.passerelle.accounts import issue_token
from pigp.passerelle.models import Flux, ServiceAccount
from pigp.passerelle.names import clean_filename
from tests.conftest import PASSWORD

RLO = "\u202e"
XML = b"<?xml version='1.0'?><Facture/>"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"facture{RLO}gpj.xml", "facturegpj.xml"),
        ("a\\b\\c.xml", "c.xml"),
        ("C:\\Users\\compta\\flux.xml", "flux.xml"),
        ("../../etc/passwd", "passwd"),
        ("dossier/sous\\flux.xml", "flux.xml"),
        ("x\ny\r\t.xml", "xy.xml"),
        ("\u200ef\u200fl\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u061cux.xml", "flux.xml"),
        ("z\u200bw\ufeffj.xml", "zwj.xml"),
        ("e\u0301te\u0301.xml", "\u00e9t\u00e9.xml"),
        ("  deux   espaces .xml ", "deux espaces .xml"),
        ("", "fichier"),
        ("..", "fichier"),
        (RLO, "fichier"),
        ("\\", "fichier"),
    ],
)
def test_clean_filename(raw, clean):
    assert clean_filename(raw) == clean


def test_long_name_keeps_its_extension():
    name = clean_filename("a" * 400 + ".xml")
    assert len(name) == 255 and name.endswith(".xml")


def _is_clean(name: str) -> bool:
    return (
        name == unicodedata.normalize("NFC", name)
        and "/" not in name
        and "\\" not in name
        and not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
    )


HOSTILE_NAME = f"dossier\\facture{RLO}gpj.xml"


@pytest.mark.django_db(transaction=True)
def test_web_name(client, collectivite, depositor):
    client.force_login(depositor)
    upload = io.BytesIO(XML)
    upload.name = HOSTILE_NAME
    response = client.post(f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": upload})
    assert response.status_code in (200, 201), response.content[:300]
    assert Flux.objects.get().original_name == "facturegpj.xml"


def _token(depositor, collectivite) -> str:
    account = ServiceAccount.objects.create(
        name="logiciel", applications=["passerelle"], can_write=True, created_by=depositor
    )
    account.collectivites.add(collectivite)
    return issue_token(depositor, account).clear


@pytest.mark.django_db(transaction=True)
def test_api_names_raw_and_multipart(client, collectivite, depositor):
    from urllib.parse import quote

    token = _token(depositor, collectivite)
    response = client.post(
        f"/api/v1/flux/?filename={quote(HOSTILE_NAME)}&collectivite={collectivite.pk}",
        data=XML,
        content_type="application/xml",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == "facturegpj.xml"
    upload = io.BytesIO(XML + b" ")
    upload.name = f"autre{RLO}lmx.xml"
    response = client.post(
        "/api/v1/flux/",
        {"fichier": upload, "collectivite": collectivite.pk},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == "autrelmx.xml"


@pytest.mark.django_db(transaction=True)
def test_zip_entry_names(client, collectivite, depositor):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lot\\sous-dossier\\mandats.xml", XML)
        archive.writestr(f"titres{RLO}gpj.xml", XML + b" ")
    token = _token(depositor, collectivite)
    response = client.post(
        f"/api/v1/flux/?filename=lot.zip&collectivite={collectivite.pk}",
        data=buffer.getvalue(),
        content_type="application/zip",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    names = sorted(Flux.objects.values_list("original_name", flat=True))
    assert names == ["mandats.xml", "titresgpj.xml"]


@pytest.mark.django_db(transaction=True)
def test_sftp_name(settings, tmp_path, collectivite, depositor):
    from tests.passerelle.test_sftp import ServerThread, sftp

    settings.PIGP_SFTP_HOST_KEY = tmp_path / "sftp_host_key"
    with ServerThread() as server, sftp(server.port, depositor.email, PASSWORD) as client:
        attrs = client.putfo(io.BytesIO(XML), f"/depot/{collectivite.siret}/facture{RLO}gpj.xml")
        assert attrs.st_size == len(XML)
        listed = client.listdir(f"/depot/{collectivite.siret}")
    assert Flux.objects.get().original_name == "facturegpj.xml"
    assert listed == ["facturegpj.xml"]
    assert all(_is_clean(n) for n in Flux.objects.values_list("original_name", flat=True))
