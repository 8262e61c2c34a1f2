"""Web uploads are written once, straight into the intake spool (`passerelle.uploads`).

Django's own handlers would put a file above 2.5 MB in a temporary file of theirs, which the
intake then copied into its spool. Here Django's temporary directory stays empty, the spool is
left as it was, and the file is in the object store, byte for byte.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import Client, RequestFactory, override_settings

from pigp.core.models import StoredFile
from pigp.passerelle import intake, uploads
from pigp.passerelle.models import Flux, StatutFlux
from tests.passerelle.spooling import (
    BIG,
    content,
    named,
    seen_when_flows_are_created,
    sha,
    spool_files,
    stored_bytes,
)

pytestmark = pytest.mark.django_db


def file_url(coll) -> str:
    return f"/passerelle/{coll.pk}/deposer/fichier/"


# ------------------------------------------------------------------ one copy, not two


def test_django_alone_would_write_a_temporary_copy(django_tmp):
    """The control of the figure below: without our handler, Django writes its own copy."""
    request = RequestFactory().post("/", {"fichiers": named(content(), "gros.xml")})
    upload = request.FILES["fichiers"]
    try:
        assert isinstance(upload, TemporaryUploadedFile)
        assert list(django_tmp.iterdir()) == [Path(upload.temporary_file_path())]
    finally:
        upload.close()  # removes Django's temporary file, as the end of a request does


def test_big_upload_is_written_once_and_becomes_a_flow(
    client, collectivite, entitled, django_tmp, django_capture_on_commit_callbacks
):
    data = content()
    client.force_login(entitled)
    before = spool_files()
    with (
        seen_when_flows_are_created(django_tmp) as seen,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = client.post(file_url(collectivite), {"fichiers": named(data, "gros.xml")})
    assert response.status_code == 201, response.content
    # The figure: while the flow was created, Django's temporary directory held no copy.
    assert seen == [[]]
    [answer] = response.json()["flux"]
    assert answer["nouveau"] is True and answer["statut"] == StatutFlux.POSTE
    flux = Flux.objects.select_related("fichier").get(pk=answer["id"])
    assert flux.original_name == "gros.xml" and flux.canal == "web"
    assert flux.sender_user == entitled and flux.collectivite == collectivite
    assert (flux.fichier.size, flux.fichier.sha256) == (len(data), sha(data))
    assert stored_bytes(flux) == data
    assert len(callbacks) == 1  # its control is queued once the row commits
    # Nothing in Django's temporary directory (checked by the fixture), nothing left in the spool.
    assert list(django_tmp.iterdir()) == []
    assert spool_files() == before


def test_plain_form_with_several_files_spools_each_once(client, collectivite, entitled, django_tmp):
    big, small = content(seed=2), content(1000, seed=3)
    client.force_login(entitled)
    before = spool_files()
    with seen_when_flows_are_created(django_tmp) as seen:
        response = client.post(
            f"/passerelle/{collectivite.pk}/deposer/",
            {"fichiers": [named(big, "gros.xml"), named(small, "petit.xml")]},
        )
    assert response.status_code == 200
    assert seen == [[], []]
    flows = {f.original_name: f for f in Flux.objects.select_related("fichier")}
    assert set(flows) == {"gros.xml", "petit.xml"}
    assert stored_bytes(flows["gros.xml"]) == big and stored_bytes(flows["petit.xml"]) == small
    assert spool_files() == before


# ----------------------------------------------------------------------- size limit


@override_settings(PIGP_PASSERELLE_MAX_SIZE=1_000_000)
def test_too_big_is_refused_in_french_and_leaves_nothing(
    client, collectivite, entitled, django_tmp
):
    data = content()
    client.force_login(entitled)
    before = spool_files()
    response = client.post(file_url(collectivite), {"fichiers": named(data, "gros.xml")})
    assert response.status_code == 400
    assert response.json() == {
        "erreur": "Le fichier dépasse la taille maximale autorisée (1 Mo).",
        "nom": "gros.xml",
    }
    assert not Flux.objects.exists()
    assert not StoredFile.objects.filter(sha256=sha(data)).exists()
    assert spool_files() == before


@override_settings(PIGP_PASSERELLE_MAX_SIZE=1_000_000)
def test_plain_form_refuses_the_too_big_file_and_keeps_the_other(
    client, collectivite, entitled, django_tmp
):
    client.force_login(entitled)
    before = spool_files()
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/",
        {"fichiers": [named(content(), "gros.xml"), named(content(1000), "petit.xml")]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "gros.xml" in page and "taille maximale autorisée (1 Mo)" in page
    assert list(Flux.objects.values_list("original_name", flat=True)) == ["petit.xml"]
    assert spool_files() == before


def test_handler_stops_writing_at_the_limit(settings):
    """Fed as Django feeds it: the partial file goes as soon as the limit is crossed."""
    settings.PIGP_PASSERELLE_MAX_SIZE = 10
    before = spool_files()
    handler = uploads.SpoolUploadHandler()
    handler.new_file("fichiers", "g.xml", "application/xml", None)
    handler.receive_data_chunk(b"x" * 8, 0)
    [partial] = spool_files() - before
    assert partial.name.startswith("recu-")  # being written
    handler.receive_data_chunk(b"x" * 8, 8)
    assert spool_files() == before
    handler.receive_data_chunk(b"x" * 8, 16)  # the rest of the part is dropped, not written
    assert spool_files() == before
    upload = handler.file_complete(24)
    with pytest.raises(intake.IntakeError, match="taille maximale"):
        upload.take()
    # A part that announces its size is refused before a file is even created.
    handler.new_file("fichiers", "h.xml", "application/xml", 11)
    assert spool_files() == before
    handler.receive_data_chunk(b"x" * 11, 0)
    assert spool_files() == before
    assert handler.file_complete(11).error.startswith("Le fichier dépasse")
    handler.cleanup()
    assert spool_files() == before


# ------------------------------------------------- duplicates and archives, as before


def test_duplicate_through_the_handler_returns_the_same_flow(
    client, collectivite, entitled, django_tmp, django_capture_on_commit_callbacks
):
    data = content(seed=4)
    client.force_login(entitled)
    before = spool_files()
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(file_url(collectivite), {"fichiers": named(data, "a.xml")})
        second = client.post(file_url(collectivite), {"fichiers": named(data, "b.xml")})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["flux"][0]["id"] == second.json()["flux"][0]["id"]
    assert second.json()["flux"][0]["nouveau"] is False
    assert Flux.objects.count() == 1 and len(callbacks) == 1
    assert spool_files() == before


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.mkdir("lot")
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ARCHIVES = {
    "lot.zip": _zip({"lot/a.xml": content(1000, seed=5), "b.xml": content(BIG, seed=6)}),
    "flux.xml.gz": gzip.compress(content(seed=7)),
    "casse.zip": _zip({"a.xml": content(1000, seed=8)})[:-30],
    "vide.zip": _zip({"vide.xml": b""}),
}


def _outcome(received: list[intake.Received]) -> list[tuple[str, str, str, str, bool]]:
    flows = [Flux.objects.select_related("fichier").get(pk=r.flux.pk) for r in received]
    return [
        (f.original_name, f.fichier.sha256, f.statut, f.message, r.created)
        for f, r in zip(flows, received, strict=True)
    ]


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_archives_give_the_same_flows_as_the_stream_intake(
    client,
    collectivite,
    other_collectivite,
    entitled,
    django_tmp,
    django_capture_on_commit_callbacks,
    name,
):
    """The same archive through the web (spooled upload) and through `intake.receive` (stream
    copied into the spool) gives the same flows, refusals and queued controls."""
    data = ARCHIVES[name]
    client.force_login(entitled)
    before = spool_files()
    with django_capture_on_commit_callbacks() as web_callbacks:
        response = client.post(file_url(collectivite), {"fichiers": named(data, name)})
    with django_capture_on_commit_callbacks() as stream_callbacks:
        by_stream = intake.receive(
            io.BytesIO(data),
            filename=name,
            collectivite=other_collectivite,
            canal="web",
            sender_user=entitled,
        )
    by_web = [
        intake.Received(Flux.objects.get(pk=f["id"]), f["nouveau"]) for f in response.json()["flux"]
    ]
    assert response.status_code == 201
    assert _outcome(by_web) == _outcome(by_stream)
    assert len(web_callbacks) == len(stream_callbacks)
    assert spool_files() == before


def test_zip_gives_one_flow_per_file(client, collectivite, entitled, django_tmp):
    client.force_login(entitled)
    data = ARCHIVES["lot.zip"]
    response = client.post(file_url(collectivite), {"fichiers": named(data, "lot.zip")})
    assert response.status_code == 201
    ids = [f["id"] for f in response.json()["flux"]]
    flows = Flux.objects.filter(pk__in=ids)
    assert sorted(flows.values_list("original_name", flat=True)) == ["a.xml", "b.xml"]
    # The archive itself is not kept: its files are.
    assert not StoredFile.objects.filter(sha256=sha(data)).exists()


# ------------------------------------------------------- access, CSRF, broken bodies


def test_reader_and_outsider_leave_nothing_behind(
    client, collectivite, reader, outsider, django_tmp
):
    before = spool_files()
    for user, status in ((reader, 403), (outsider, 404)):
        client.force_login(user)
        response = client.post(file_url(collectivite), {"fichiers": named(content(), "x.xml")})
        assert response.status_code == status
        response = client.post(
            f"/passerelle/{collectivite.pk}/deposer/", {"fichiers": named(content(), "x.xml")}
        )
        assert response.status_code == status
    assert not Flux.objects.exists()
    assert spool_files() == before


def test_csrf_still_checked_on_both_deposit_views(collectivite, entitled, django_tmp):
    client = Client(enforce_csrf_checks=True)
    client.force_login(entitled)
    before = spool_files()
    refused = client.post(file_url(collectivite), {"fichiers": named(content(), "x.xml")})
    assert refused.status_code == 403
    assert not Flux.objects.exists()
    assert spool_files() == before
    # The deposit page gives the token; the JS sends it as a header, the plain form as a field.
    assert client.get(f"/passerelle/{collectivite.pk}/deposer/").status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(
        file_url(collectivite),
        {"fichiers": named(content(seed=9), "x.xml")},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/",
        {"fichiers": named(content(seed=10), "y.xml"), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200
    assert Flux.objects.count() == 2
    assert spool_files() == before


def test_truncated_body_leaves_nothing(client, collectivite, entitled, django_tmp):
    """A client gone mid-upload: no closing boundary; the partial spool file is removed."""
    client.force_login(entitled)
    before = spool_files()
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="fichiers"; filename="coupe.xml"\r\n'
        b"Content-Type: application/xml\r\n\r\n" + content()
    )
    response = client.generic(
        "POST", file_url(collectivite), body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert response.status_code == 400
    assert "un fichier par requête" in response.json()["erreur"]
    assert not Flux.objects.exists()
    assert spool_files() == before
