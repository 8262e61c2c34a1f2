"""The adhesion to the early-destruction offer: the convention, what it covers, its pages."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from pigp.core.models import JournalEntry
from pigp.orc import adhesion, silo
from pigp.orc.models import Adhesion, ArchiveObject, EtatCopie
from tests.conftest import verified_client
from tests.orc import adhesion_helpers as helpers

pytestmark = pytest.mark.django_db

adhere = helpers.adhere
juge = helpers.juge
orc_admin = helpers.orc_admin
other_juge = helpers.other_juge

PDF = b"%PDF-1.7\n% convention signee\n%%EOF\n"


def test_adherer_records_the_convention_and_journals_it(collectivite, orc_admin):
    adh = adhere(collectivite, orc_admin, convention=io.BytesIO(PDF))
    assert adhesion.in_force(collectivite.pk) == adh
    assert adh.convention is not None
    assert silo.read_object(adh.convention) == PDF
    assert set(adh.convention.copies.values_list("storage", "etat")) == {
        (name, EtatCopie.SAINE) for name in silo.copies()
    }
    entry = JournalEntry.objects.get(action="orc_adhesion")
    assert entry.actor_id == orc_admin.pk
    assert entry.details["signataire"] == "Marie Dupont"
    assert entry.details["convention_sha512"] == adh.convention.sha512


def test_one_adhesion_in_force(collectivite, orc_admin):
    adhere(collectivite, orc_admin)
    with pytest.raises(adhesion.AdhesionError, match="déjà en vigueur"):
        adhere(collectivite, orc_admin)
    assert Adhesion.objects.count() == 1


def test_refusals_store_nothing(collectivite, orc_admin):
    with pytest.raises(adhesion.AdhesionError, match="PDF"):
        adhere(collectivite, orc_admin, convention=io.BytesIO(b"GIF89a not a pdf"))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(adhesion.AdhesionError, match="futur"):
        adhere(collectivite, orc_admin, signee_le=tomorrow)
    with pytest.raises(adhesion.AdhesionError, match="obligatoires"):
        adhere(collectivite, orc_admin, signataire="  ")
    assert not Adhesion.objects.exists()
    assert not ArchiveObject.objects.exists()


def test_covers_only_pj_received_while_in_force(collectivite, other_collectivite, orc_admin):
    before = timezone.now() - datetime.timedelta(seconds=1)
    assert not adhesion.covers(collectivite.pk, timezone.now())
    adh = adhere(collectivite, orc_admin, signee_le=datetime.date(2020, 1, 1))
    # Coverage starts at the recording, not at the (earlier) signing date.
    assert not adhesion.covers(collectivite.pk, before)
    during = adh.enregistree_le
    assert adhesion.covers(collectivite.pk, during)
    assert not adhesion.covers(other_collectivite.pk, during)
    ended = adhesion.resilier(collectivite, orc_admin)
    assert adhesion.in_force(collectivite.pk) is None
    assert adhesion.covers(collectivite.pk, during)  # received while in force: stays covered
    assert not adhesion.covers(collectivite.pk, ended.fin_le + datetime.timedelta(seconds=1))
    assert JournalEntry.objects.filter(action="orc_adhesion_resiliee").count() == 1
    with pytest.raises(adhesion.AdhesionError, match="pas d'adhésion"):
        adhesion.resilier(collectivite, orc_admin)
    adhere(collectivite, orc_admin)  # a new adhesion after a résiliation
    assert Adhesion.objects.filter(collectivite=collectivite).count() == 2


# Pages ----------------------------------------------------------------------------------------


def _download(c, url: str) -> tuple[int, bytes]:
    response = c.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if getattr(response, "file_to_stream", None) is not None:
        response.file_to_stream.close()  # response.close() would close the test's database
    return response.status_code, body


def _url(collectivite) -> str:
    return reverse("orc:adhesion", kwargs={"collectivite_pk": collectivite.pk})


def _post(collectivite, **extra):
    data = {
        "signee_le": "2026-02-03",
        "signataire": "Jean Martin",
        "qualite": "Maire",
    }
    data.update(extra)
    return data


def test_the_ordonnateur_adheres_through_the_page(client, collectivite, orc_admin):
    c = verified_client(client, orc_admin)
    page = c.get(_url(collectivite))
    assert page.status_code == 200
    assert "Enregistrer l'adhésion" in page.content.decode()
    upload = io.BytesIO(PDF)
    upload.name = "convention.pdf"
    response = c.post(_url(collectivite), _post(collectivite, convention=upload))
    assert response.status_code == 302
    adh = Adhesion.objects.get()
    assert (adh.signataire, adh.qualite, adh.signee_le) == (
        "Jean Martin",
        "Maire",
        datetime.date(2026, 2, 3),
    )
    assert adh.enregistree_par == orc_admin
    page = c.get(_url(collectivite)).content.decode()
    assert "Adhésion en vigueur" in page
    assert "Enregistrer l'adhésion" not in page
    assert _download(c, reverse("orc:adhesion_convention", kwargs={"pk": adh.pk})) == (200, PDF)


def test_bad_input_is_said_in_french(client, collectivite, orc_admin):
    c = verified_client(client, orc_admin)
    upload = io.BytesIO(b"PK\x03\x04 zip")
    upload.name = "convention.pdf"
    response = c.post(_url(collectivite), _post(collectivite, convention=upload))
    assert response.status_code == 400
    assert "La convention signée doit être un fichier PDF." in response.content.decode()
    response = c.post(_url(collectivite), _post(collectivite, signee_le="31/02/2026"))
    assert response.status_code == 400
    assert "Saisissez une date valide" in response.content.decode()
    assert not Adhesion.objects.exists()


def test_resiliation_needs_its_confirmation(client, collectivite, orc_admin):
    adhere(collectivite, orc_admin)
    c = verified_client(client, orc_admin)
    url = reverse("orc:adhesion_resilier", kwargs={"collectivite_pk": collectivite.pk})
    c.post(url, {})
    assert adhesion.in_force(collectivite.pk) is not None
    response = c.post(url, {"confirmer": "1"}, follow=True)
    assert adhesion.in_force(collectivite.pk) is None
    assert "L&#x27;adhésion est résiliée" in response.content.decode()


@pytest.mark.parametrize("who", ["entitled", "reader", "comptable", "juge"])
def test_readers_see_the_adhesion_but_cannot_adhere(request, client, collectivite, orc_admin, who):
    adh = adhere(collectivite, orc_admin, convention=io.BytesIO(PDF))
    user = request.getfixturevalue(who)
    c = verified_client(client, user)
    page = c.get(_url(collectivite))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Adhésion en vigueur" in body and "Marie Dupont" in body
    assert "Résilier l'adhésion" not in body
    assert _download(c, reverse("orc:adhesion_convention", kwargs={"pk": adh.pk})) == (200, PDF)
    assert c.post(_url(collectivite), _post(collectivite)).status_code == 403
    url = reverse("orc:adhesion_resilier", kwargs={"collectivite_pk": collectivite.pk})
    assert c.post(url, {"confirmer": "1"}).status_code == 403
    assert adhesion.in_force(collectivite.pk) == adh


@pytest.mark.parametrize("who", ["outsider", "other_comptable", "other_juge"])
def test_outsiders_get_404(request, client, collectivite, orc_admin, who):
    adh = adhere(collectivite, orc_admin, convention=io.BytesIO(PDF))
    c = verified_client(client, request.getfixturevalue(who))
    assert c.get(_url(collectivite)).status_code == 404
    assert c.post(_url(collectivite), _post(collectivite)).status_code == 404
    url = reverse("orc:adhesion_resilier", kwargs={"collectivite_pk": collectivite.pk})
    assert c.post(url, {"confirmer": "1"}).status_code == 404
    assert c.get(reverse("orc:adhesion_convention", kwargs={"pk": adh.pk})).status_code == 404
    assert adhesion.in_force(collectivite.pk) == adh


def test_adhesion_page_queries_are_bounded(
    client, collectivite, orc_admin, django_assert_max_num_queries
):
    from pigp.orc.models import Attestation, KindAttestation

    for n in range(5):
        adhere(collectivite, orc_admin)
        adhesion.resilier(collectivite, orc_admin)
    adhere(collectivite, orc_admin, convention=io.BytesIO(PDF))
    for month in range(1, 11):
        Attestation.objects.create(
            collectivite=collectivite,
            kind=KindAttestation.MENSUELLE,
            periode=datetime.date(2026, month, 1),
            contenu={"nombre_pieces": month},
            empreinte="0" * 128,
        )
    c = verified_client(client, orc_admin)
    with django_assert_max_num_queries(15):
        response = c.get(_url(collectivite))
    assert response.status_code == 200
    assert response.content.decode().count("Télécharger<span") == 1
