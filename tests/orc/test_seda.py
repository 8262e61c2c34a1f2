"""SEDA 2.2 transfers of ORC's archive units: the package, its validity, the reply."""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from lxml import etree

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.formats import seda
from pigp.orc import seda as orc_seda
from pigp.orc.models import StatutTransfert
from tests.orc.elimination_helpers import make_agent, make_archivist
from tests.orc.factories import add_document, make_unit

pytestmark = pytest.mark.django_db
NS = {"s": seda.NAMESPACE}


@pytest.fixture
def archivist(collectivite):
    return make_archivist(collectivite)


def _package(transfert) -> zipfile.ZipFile:
    with files.open_stored(transfert.paquet) as fh:
        return zipfile.ZipFile(io.BytesIO(fh.read()))


def _reply(transfert, code="OK", request_identifier=None) -> bytes:
    return seda.build_reply(
        message_identifier="AD31-R-1",
        request_identifier=request_identifier or transfert.identifiant,
        reply_code=code,
        archival_agency="AD31",
        transferring_agency=transfert.collectivite.siret,
        date=datetime.datetime(2026, 12, 8, 9, 0),
    )


def test_bordereau_export_is_a_valid_package_with_its_content(collectivite, archivist):
    make_agent("31")
    unit = make_unit(collectivite, annee=2014, numero_bordereau="42", numeros_factures="F-2014-7")
    other = make_unit(collectivite, annee=2014, numero_bordereau="42", domaine="depense")
    make_unit(collectivite, annee=2014, numero_bordereau="43")
    doc = add_document(unit, b"%PDF-1.4 facture 2014", nom="facture 2014.pdf")
    flux = add_document(other, b"<PES_Aller/>", nom="flux.xml", role="flux", media_type="text/xml")
    selection = orc_seda.Selection("bordereau", annee=2014, bordereau="42", domaine="depense")
    transfert = orc_seda.exporter(collectivite, archivist, selection)

    assert set(transfert.units.values_list("pk", flat=True)) == {unit.pk, other.pk}
    package = _package(transfert)
    manifest = package.read("manifest.xml")
    seda.validate(manifest)
    root = etree.fromstring(manifest)
    assert root.findtext("s:MessageIdentifier", namespaces=NS) == transfert.identifiant
    assert (
        root.findtext("s:ArchivalAgency/s:Identifier", namespaces=NS)
        == "Archives départementales (31)"
    )
    objects = root.findall(".//s:BinaryDataObject", NS)
    assert len(objects) == 2
    for bdo in objects:
        content = package.read(bdo.findtext("s:Uri", namespaces=NS))
        assert hashlib.sha512(content).hexdigest() == bdo.findtext("s:MessageDigest", namespaces=NS)
        assert str(len(content)) == bdo.findtext("s:Size", namespaces=NS)
    assert {b.findtext("s:MessageDigest", namespaces=NS) for b in objects} == {
        doc.obj.sha512,
        flux.obj.sha512,
    }
    pieces = [
        u
        for u in root.iter(f"{{{seda.NAMESPACE}}}ArchiveUnit")
        if u.get("id", "").startswith("AU-PIECE")
    ]
    assert len(pieces) == 2
    rule = pieces[0].find("s:Management/s:AppraisalRule", NS)
    assert rule.findtext("s:StartDate", namespaces=NS) == "2015-01-01"
    assert rule.findtext("s:FinalAction", namespaces=NS) == "Destroy"
    keywords = {k.text for k in root.iter(f"{{{seda.NAMESPACE}}}KeywordContent")}
    assert {
        f"SIRET de la collectivité {collectivite.siret}",
        "Exercice 2014",
        "Bordereau 42",
        "Facture F-2014-7",
        "Papeterie du Midi",
        "Montant TTC 120.00 EUR",
    } <= keywords
    entry = JournalEntry.objects.get(action="orc_transfert")
    assert entry.details["identifiant"] == transfert.identifiant


def test_export_of_pieces_and_exercice_and_empty_selection(
    collectivite, other_collectivite, archivist
):
    a = make_unit(collectivite, annee=2015)
    foreign = make_unit(other_collectivite, annee=2015)
    transfert = orc_seda.exporter(
        collectivite, archivist, orc_seda.Selection("pieces", pieces=(a.pk, foreign.pk))
    )
    assert list(transfert.units.values_list("pk", flat=True)) == [a.pk]
    seda.validate(_package(transfert).read("manifest.xml"))
    by_year = orc_seda.exporter(collectivite, archivist, orc_seda.Selection("exercice", annee=2015))
    assert list(by_year.units.values_list("pk", flat=True)) == [a.pk]
    with pytest.raises(orc_seda.TransfertError):
        orc_seda.exporter(collectivite, archivist, orc_seda.Selection("exercice", annee=1999))


def test_export_needs_the_archivist(collectivite, reader, comptable):
    make_unit(collectivite, annee=2015)
    for user in (reader, comptable):
        with pytest.raises(PermissionDenied):
            orc_seda.exporter(collectivite, user, orc_seda.Selection("exercice", annee=2015))


def test_altered_copy_stops_the_export(collectivite, archivist):
    from pigp.orc import silo

    unit = make_unit(collectivite, annee=2015)
    doc = add_document(unit, b"%PDF-1.4 original")
    for name in silo.copies():
        with open(silo.storage(name).path(silo.name_for(doc.obj.sha512)), "wb") as fh:
            fh.write(b"%PDF-1.4 altered!")
    with pytest.raises(orc_seda.TransfertError):
        orc_seda.exporter(collectivite, archivist, orc_seda.Selection("exercice", annee=2015))
    assert not JournalEntry.objects.filter(action="orc_transfert").exists()


def test_reply_marks_the_transfer(collectivite, archivist):
    make_unit(collectivite, annee=2015)
    transfert = orc_seda.exporter(
        collectivite, archivist, orc_seda.Selection("exercice", annee=2015)
    )
    with pytest.raises(orc_seda.TransfertError, match="concerne le message"):
        orc_seda.importer_reponse(
            transfert, archivist, _reply(transfert, request_identifier="AUTRE")
        )
    with pytest.raises(orc_seda.TransfertError, match="SEDA"):
        orc_seda.importer_reponse(transfert, archivist, b"<pas-du-seda/>")
    done = orc_seda.importer_reponse(transfert, archivist, _reply(transfert))
    assert done.statut == StatutTransfert.ACCEPTE and done.reponse["code"] == "OK"
    with pytest.raises(orc_seda.TransfertError, match="déjà"):
        orc_seda.importer_reponse(transfert, archivist, _reply(transfert))
    assert JournalEntry.objects.filter(action="orc_transfert_reponse").count() == 1


def test_reply_not_ok_rejects(collectivite, archivist):
    make_unit(collectivite, annee=2015)
    transfert = orc_seda.exporter(
        collectivite, archivist, orc_seda.Selection("exercice", annee=2015)
    )
    done = orc_seda.importer_reponse(transfert, archivist, _reply(transfert, code="KO"))
    assert done.statut == StatutTransfert.REJETE
