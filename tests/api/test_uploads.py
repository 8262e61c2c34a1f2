"""API multipart deposits are written once, straight into the intake spool."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client, override_settings

from pigp.core.models import StoredFile
from pigp.passerelle.models import Flux
from tests.passerelle.spooling import (
    content,
    seen_when_flows_are_created,
    sha,
    spool_files,
    stored_bytes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/flux/"


def form(data: bytes, coll, name: str = "gros.xml") -> dict[str, object]:
    return {
        "fichier": SimpleUploadedFile(name, data, "application/xml"),
        "collectivite": str(coll.pk),
    }


@pytest.mark.parametrize("who", ["service", "entitled"])
def test_big_multipart_is_written_once(client, callers, sicoval, django_tmp, who):
    caller = callers[who]
    data = content()
    before = spool_files()
    with seen_when_flows_are_created(django_tmp) as seen:
        response = caller.client(client).post(URL, form(data, sicoval), headers=caller.headers)
    assert response.status_code == 201, response.content
    assert seen == [[]]  # no copy in Django's temporary directory while the flow was created
    flux = Flux.objects.select_related("fichier").get(pk=response.json()["id"])
    assert flux.canal == "api" and flux.original_name == "gros.xml"
    assert (flux.fichier.size, flux.fichier.sha256) == (len(data), sha(data))
    assert stored_bytes(flux) == data
    assert spool_files() == before


@override_settings(PIGP_PASSERELLE_MAX_SIZE=1_000_000)
def test_too_big_multipart_refused_and_nothing_left(client, callers, sicoval, django_tmp):
    caller = callers["service"]
    data = content()
    before = spool_files()
    response = client.post(URL, form(data, sicoval), headers=caller.headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "Le fichier dépasse la taille maximale autorisée (1 Mo)."}
    assert not Flux.objects.exists()
    assert not StoredFile.objects.filter(sha256=sha(data)).exists()
    assert spool_files() == before


@pytest.mark.parametrize(
    "who, status", [("reader", 403), ("service_ro", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_refused_callers_leave_nothing(client, callers, sicoval, django_tmp, who, status):
    caller = callers[who]
    before = spool_files()
    response = caller.client(client).post(URL, form(content(), sicoval), headers=caller.headers)
    assert response.status_code == status
    assert not Flux.objects.exists()
    assert spool_files() == before


def test_duplicate_multipart_returns_the_same_flow(client, callers, sicoval, django_tmp):
    caller = callers["service"]
    data = content(seed=11)
    first = client.post(URL, form(data, sicoval, "a.xml"), headers=caller.headers)
    second = client.post(URL, form(data, sicoval, "b.xml"), headers=caller.headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Flux.objects.count() == 1


def test_session_multipart_still_needs_csrf(callers, sicoval, django_tmp):
    """A portal session's CSRF check parses the body: it does so through the spool handler."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(callers["entitled"].user)
    before = spool_files()
    response = client.post(URL, form(content(seed=12), sicoval))
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert spool_files() == before
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(
        URL,
        form(content(seed=12), sicoval),
        headers={"X-CSRFToken": _mask_cipher_secret(secret)},
    )
    assert response.status_code == 201, response.content
    assert spool_files() == before
