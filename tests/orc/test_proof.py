"""The proof report (« relevé de valeur probante »): built from the silo and the journal,
checked now; its page, JSON and PDF for every reader, 404 for everyone else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from pigp.core import journal
from pigp.core.models import Juridiction
from pigp.core.models.journal import JournalEntry
from pigp.orc import proof, seals, silo
from tests.conftest import verified_client
from tests.factories import grant, make_user
from tests.orc.factories import add_document, make_unit


@pytest.fixture(autouse=True)
def _seal_key(settings, tmp_path):
    settings.PIGP_ORC_SEAL_KEY = tmp_path / "cle" / "orc_seal_key.pem"
    settings.PIGP_ORC_TSA_URL = ""


@pytest.fixture
def unit(collectivite):
    unit = make_unit(collectivite, objet="Réparation de la toiture de l'école")
    add_document(unit, b"%PDF-1.4 facture toiture", nom="facture.pdf")
    add_document(unit, b"<PES_Aller/>", nom="flux.xml", role="flux", media_type="text/xml")
    journal.record("orc_archivage", obj=unit, collectivite=collectivite, actor_label="pigp")
    journal.record("demo", actor_label="autre", details={"n": 1})  # concerns another thing
    seals.seal_now()
    return unit


@pytest.fixture
def orc_less(collectivite):
    """An ordonnateur of the collectivité, habilitated to the passerelle but not to ORC."""
    user = make_user("sans.orc@example.fr")
    grant(user, collectivite, "passerelle", "transmission")
    return user


@pytest.fixture
def juge(juridiction):
    return make_user("juge@example.fr", juridiction=juridiction)


@pytest.fixture
def juge_ailleurs(db):
    other = Juridiction.objects.create(nom="CRC Île-de-France", departements="75, 92")
    return make_user("juge.paris@example.fr", juridiction=other)


@pytest.mark.django_db
def test_build_probante(unit):
    report = proof.build(unit)
    assert report["verdict"]["probante"] is True, report["verdict"]
    assert [d["nom"] for d in report["documents"]] == ["facture.pdf", "flux.xml"]
    for doc in report["documents"]:
        assert all(copy["conforme"] for copy in doc["copies"])
        assert len(doc["copies"]) == 2
    actions = [entry["action"] for entry in report["journal"]]
    assert actions == ["orc_archivage"]
    entry = report["journal"][0]
    stored = JournalEntry.objects.get(pk=entry["id"])
    assert entry["empreinte"] == stored.entry_hash
    assert entry["contenu"] == stored.content()
    assert entry["scellement"] == report["scellements"][0]["id"]
    assert report["scellements"][0]["verification"] == "valide"
    assert report["plateforme"]["cle_id"] == seals.key_id_of(seals.public_key())
    assert report["unite"]["objet"] == "Réparation de la toiture de l'école"


@pytest.mark.django_db
def test_entries_naming_the_unit_in_details_and_unsealed(unit):
    journal.record("orc_export", actor_label="pigp", details={"unite": unit.pk})
    report = proof.build(unit)
    assert [e["action"] for e in report["journal"]] == ["orc_archivage", "orc_export"]
    assert report["journal"][1]["scellement"] == proof.NOT_SEALED
    assert report["verdict"]["probante"] is True
    assert any("pas encore scellée" in r for r in report["verdict"]["reserves"])


@pytest.mark.django_db
def test_entries_listing_the_unit_among_others(unit, other_collectivite):
    c = unit.collectivite
    journal.record("orc_transfert", collectivite=c, details={"unites": [unit.pk + 7, unit.pk]})
    journal.record(
        "orc_elimination", collectivite=c, details={"unites": [{"id": unit.pk, "numero": "1"}]}
    )
    journal.record("orc_transfert", collectivite=c, details={"unites": [unit.pk + 7]})
    journal.record("orc_transfert", collectivite=other_collectivite, details={"unites": [unit.pk]})
    actions = [e["action"] for e in proof.build(unit)["journal"]]
    assert actions == ["orc_archivage", "orc_transfert", "orc_elimination"]


@pytest.mark.django_db
def test_a_damaged_copy_is_a_reserve_all_damaged_is_refusal(unit):
    doc = unit.documents.get(nom="facture.pdf")
    first, second = silo.copies()
    Path(storages[second].path(silo.name_for(doc.obj.sha512))).write_bytes(b"altere")
    report = proof.build(unit)
    assert report["verdict"]["probante"] is True
    assert any("à réparer" in r for r in report["verdict"]["reserves"])
    Path(storages[first].path(silo.name_for(doc.obj.sha512))).unlink()
    report = proof.build(unit)
    assert report["verdict"]["probante"] is False
    assert "aucune copie du document « facture.pdf »" in report["verdict"]["motifs"][0]


@pytest.mark.django_db
def test_a_forged_seal_makes_it_non_probante(unit):
    from pigp.orc.models import Seal

    Seal.objects.update(count=99)
    report = proof.build(unit)
    assert report["verdict"]["probante"] is False
    assert "signature" in " ".join(report["verdict"]["motifs"])


READERS = ["entitled", "reader", "comptable", "juge"]
REFUSED = ["outsider", "other_comptable", "juge_ailleurs", "orc_less"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", READERS)
def test_views_for_readers(client, request, unit, who, django_assert_max_num_queries):
    user = request.getfixturevalue(who)
    verified_client(client, user)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("orc:preuve", args=[unit.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Verdict : probante" in html
    assert "Réparation de la toiture" in html
    assert seals.key_id_of(seals.public_key()) in html
    data = client.get(reverse("orc:preuve_json", args=[unit.pk]))
    assert data.status_code == 200
    assert "attachment" in data["Content-Disposition"]
    report = json.loads(data.content)
    assert report["verdict"]["probante"] is True
    pdf = client.get(reverse("orc:preuve_pdf", args=[unit.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    logged = JournalEntry.objects.filter(action="orc_preuve_consultee", actor_id=user.pk)
    assert sorted(logged.values_list("details__format", flat=True)) == ["json", "page", "pdf"]
    assert all(e.object_id == str(unit.pk) for e in logged)


@pytest.mark.django_db
@pytest.mark.parametrize("who", REFUSED)
@pytest.mark.parametrize("name", ["orc:preuve", "orc:preuve_json", "orc:preuve_pdf"])
def test_views_hidden_from_others(client, request, unit, who, name):
    user = request.getfixturevalue(who)
    verified_client(client, user)
    assert client.get(reverse(name, args=[unit.pk])).status_code == 404
    assert client.get(reverse(name, args=[unit.pk + 1000])).status_code == 404
    assert not JournalEntry.objects.filter(action="orc_preuve_consultee").exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, unit):
    response = client.get(reverse("orc:preuve", args=[unit.pk]))
    assert response.status_code == 302


@pytest.mark.django_db
def test_page_queries_bounded_whatever_the_journal(
    client, unit, reader, django_assert_max_num_queries
):
    verified_client(client, reader)
    for n in range(30):
        journal.record("orc_consultation", obj=unit, actor_label="x", details={"n": n})
        if n % 10 == 0:
            seals.seal_now()
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("orc:preuve", args=[unit.pk])).status_code == 200
    for n in range(30):
        journal.record("orc_consultation", obj=unit, actor_label="x", details={"n": n})
        seals.seal_now()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("orc:preuve", args=[unit.pk])).status_code == 200
