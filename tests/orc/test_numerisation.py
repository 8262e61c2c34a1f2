"""Digitised paper PJ: deposit with digitisation metadata, sniffed type, bounded size."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pigp.core.models import JournalEntry
from pigp.orc import attestations, numerisation, silo
from pigp.orc.models import ArchiveDocument, ArchiveObject, EtatCopie, StorageLog
from tests.conftest import verified_client
from tests.orc import adhesion_helpers as helpers
from tests.orc.factories import add_document, make_unit

juge = helpers.juge
orc_admin = helpers.orc_admin
orc_deposer = helpers.orc_deposer
other_juge = helpers.other_juge

PDF = b"%PDF-1.4\n% scan of a paper invoice\n%%EOF\n"
SAMPLES = {
    "application/pdf": PDF,
    "image/tiff": b"II*\x00" + b"\x00" * 64,
    "image/png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "image/jpeg": b"\xff\xd8\xff\xe0" + b"\x00" * 64,
}


def _meta(**changes):
    meta = {
        "numerise_par": "Anne Agent",
        "numerise_le": datetime.date(2026, 3, 4),
        "dispositif": "Fujitsu fi-7160",
        "resolution_dpi": 300,
        "declaration_fidelite": True,
        "declaration_texte": "Copie fidèle et intégrale de l'original papier.",
    }
    meta.update(changes)
    return meta


@pytest.mark.django_db
@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_a_scan_is_archived_on_every_copy_with_its_metadata(collectivite, orc_deposer, media_type):
    unit = make_unit(collectivite)
    content = SAMPLES[media_type]
    doc = numerisation.deposer(unit, orc_deposer, io.BytesIO(content), nom="scan.bin", meta=_meta())
    assert doc.role == "numerise" and doc.media_type == media_type
    assert doc.numerisation == {
        "numerise_par": "Anne Agent",
        "numerise_le": "2026-03-04",
        "dispositif": "Fujitsu fi-7160",
        "resolution_dpi": 300,
        "declaration_fidelite": True,
        "declaration_texte": "Copie fidèle et intégrale de l'original papier.",
        "referentiel": "NF Z42-026",
    }
    assert silo.read_object(doc.obj) == content
    assert set(doc.obj.copies.values_list("storage", "etat")) == {
        (name, EtatCopie.SAINE) for name in silo.copies()
    }
    entry = JournalEntry.objects.get(action="orc_depot_numerise")
    assert entry.actor_id == orc_deposer.pk and entry.details["sha512"] == doc.obj.sha512


def _refused(unit, user, content: bytes, message: str, **kwargs) -> None:
    with pytest.raises(numerisation.NumerisationError, match=message):
        numerisation.deposer(
            unit,
            user,
            io.BytesIO(content),
            nom="scan.pdf",
            meta=kwargs.pop("meta", _meta()),
            **kwargs,
        )


@pytest.mark.django_db
def test_refused_deposits_store_nothing(collectivite, orc_deposer, settings):
    settings.PIGP_ORC_NUMERISATION_MAX_SIZE = 1_000_000
    unit = make_unit(collectivite)
    _refused(unit, orc_deposer, b"GIF89a....", "ni un PDF, ni une image TIFF, PNG ou JPEG")
    _refused(unit, orc_deposer, b"<html>%PDF-</html>", "ni un PDF")
    _refused(unit, orc_deposer, b"", "vide")
    big = PDF + b"0" * 1_000_000
    _refused(unit, orc_deposer, big, "taille maximale autorisée \\(1 Mo\\)")  # read, not told
    _refused(unit, orc_deposer, PDF, "taille maximale", size=1_000_001)  # told by the upload
    _refused(unit, orc_deposer, PDF, "copie fidèle", meta=_meta(declaration_fidelite=False))
    _refused(unit, orc_deposer, PDF, "copie fidèle", meta=_meta(declaration_texte=" "))
    _refused(unit, orc_deposer, PDF, "résolution", meta=_meta(resolution_dpi=100))
    _refused(unit, orc_deposer, PDF, "qui a numérisé", meta=_meta(numerise_par=""))
    _refused(unit, orc_deposer, PDF, "matériel", meta=_meta(dispositif=""))
    future = timezone.localdate() + datetime.timedelta(days=2)
    _refused(unit, orc_deposer, PDF, "futur", meta=_meta(numerise_le=future))
    assert not ArchiveObject.objects.exists()
    assert not StorageLog.objects.exists()
    assert not ArchiveDocument.objects.exists()
    assert not JournalEntry.objects.filter(action="orc_depot_numerise").exists()


@pytest.mark.django_db
def test_same_scan_twice_or_eliminated_unit_refused(collectivite, orc_deposer):
    unit = make_unit(collectivite)
    numerisation.deposer(unit, orc_deposer, io.BytesIO(PDF), nom="scan.pdf", meta=_meta())
    _refused(unit, orc_deposer, PDF, "déjà été déposé")
    gone = make_unit(collectivite, statut="eliminee", eliminee_le=timezone.now())
    _refused(gone, orc_deposer, PDF, "éliminée")
    assert ArchiveDocument.objects.count() == 1


@given(st.binary(max_size=16))
def test_sniff_accepts_only_the_four_signatures(head):
    expected = next((t for m, t in numerisation.SIGNATURES if head.startswith(m)), None)
    assert numerisation.sniff(head) == expected


# Pages ----------------------------------------------------------------------------------------


def _form(content: bytes = PDF, name: str = "scan.pdf", **changes):
    upload = io.BytesIO(content)
    upload.name = name
    data = {
        "fichier": upload,
        "numerise_par": "Anne Agent",
        "numerise_le": "04/03/2026",
        "dispositif": "Fujitsu fi-7160",
        "resolution_dpi": "300",
        "declaration_fidelite": "on",
        "declaration_texte": "Copie fidèle et intégrale de l'original papier.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["orc_deposer", "orc_admin", "entitled"])
def test_depositors_deposit_and_the_scan_is_attested(request, client, collectivite, who):
    unit = make_unit(collectivite, couverte=True)
    add_document(unit, b"%PDF-1.4 facture")
    first = attestations.issue_for(unit)
    assert first is not None
    c = verified_client(client, request.getfixturevalue(who))
    url = reverse("orc:numerisation", kwargs={"pk": unit.pk})
    assert c.get(url).status_code == 200
    response = c.post(url, _form(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("orc:attestation", kwargs={"pk": unit.pk})
    body = response.content.decode()
    assert "figure sur une attestation d&#x27;archivage" in body
    assert "Copie numérisée" in body and "Fujitsu fi-7160" in body
    doc = ArchiveDocument.objects.get(role="numerise")
    assert doc.unit == unit and doc.numerisation["numerise_le"] == "2026-03-04"
    latest = attestations.latest_for(unit)
    assert latest is not None and latest.contenu["rang"] == 2
    assert [d["sha512"] for d in latest.contenu["documents"]] == [doc.obj.sha512]


@pytest.mark.django_db
def test_bad_deposits_are_said_in_french_and_store_nothing(
    client, collectivite, orc_deposer, settings
):
    settings.PIGP_ORC_NUMERISATION_MAX_SIZE = 1_000_000
    unit = make_unit(collectivite)
    c = verified_client(client, orc_deposer)
    url = reverse("orc:numerisation", kwargs={"pk": unit.pk})
    cases = [
        (_form(b"MZ\x90\x00 executable", name="scan.pdf"), "ni un PDF, ni une image"),
        (_form(PDF + b"0" * 1_000_000), "taille maximale autorisée (1 Mo)"),
        (_form(declaration_fidelite=None), "La déclaration de copie fidèle est obligatoire."),
        (_form(resolution_dpi="72"), "au moins 200 points par pouce"),
        (_form(numerise_le="hier"), "Saisissez une date valide"),
    ]
    for data, message in cases:
        response = c.post(url, data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not ArchiveObject.objects.exists()
    assert not ArchiveDocument.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reader", "comptable", "juge"])
def test_readers_may_not_deposit(request, client, collectivite, who):
    unit = make_unit(collectivite)
    c = verified_client(client, request.getfixturevalue(who))
    url = reverse("orc:numerisation", kwargs={"pk": unit.pk})
    assert c.get(url).status_code == 403
    assert c.post(url, _form()).status_code == 403
    page = c.get(reverse("orc:attestation", kwargs={"pk": unit.pk})).content.decode()
    assert "Déposer une PJ papier numérisée" not in page
    assert not ArchiveObject.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "other_comptable", "other_juge"])
def test_outsiders_get_404_on_deposit(request, client, collectivite, who):
    unit = make_unit(collectivite)
    c = verified_client(client, request.getfixturevalue(who))
    url = reverse("orc:numerisation", kwargs={"pk": unit.pk})
    assert c.get(url).status_code == 404
    assert c.post(url, _form()).status_code == 404
    assert not ArchiveObject.objects.exists()
