"""The SEDA 2.2 library: manifests valid against the official schemas, offline; replies read."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pigp.formats import seda

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "seda"
WHEN = datetime.datetime(2026, 12, 7, 10, 0)


def _transfer(title: str = "Mandat n° 1", sha512: str = "ab" * 64) -> seda.Transfer:
    piece = seda.Unit(
        id="AU-PIECE-1",
        title=title,
        identifier="21310555400017/00/2014/MANDAT/1",
        document_type="Mandat de dépense",
        keywords=(seda.Keyword("Exercice 2014"), seda.Keyword("Papeterie du Midi", "corpname")),
        start_date=datetime.date(2014, 3, 2),
        end_date=datetime.date(2014, 3, 20),
        appraisal_rule=("mandat", datetime.date(2015, 1, 1), "Destroy"),
        children=(seda.Unit(id="AU-DOC-1", title="facture.pdf", data_object_group="GOT-1"),),
    )
    return seda.Transfer(
        message_identifier="ORC-TEST-1",
        date=WHEN,
        archival_agency="Archives départementales de la Haute-Garonne",
        transferring_agency="21310555400017",
        originating_agency="21310555400017",
        units=(
            seda.Unit(
                id="AU-SEL", title="Exercice 2014", description_level="File", children=(piece,)
            ),
        ),
        groups={
            "GOT-1": (
                seda.DataObject(
                    "BDO-1", "content/1-facture.pdf", sha512, 12, "application/pdf", "facture.pdf"
                ),
            )
        },
    )


def test_manifest_is_valid_and_carries_digest_size_format_and_rule():
    manifest = seda.build_transfer(_transfer())
    seda.validate(manifest)
    root = etree.fromstring(manifest)
    ns = {"s": seda.NAMESPACE}
    assert root.findtext(".//s:BinaryDataObject/s:MessageDigest", namespaces=ns) == "ab" * 64
    assert root.find(".//s:MessageDigest", ns).get("algorithm") == "SHA-512"
    assert root.findtext(".//s:BinaryDataObject/s:Size", namespaces=ns) == "12"
    assert root.findtext(".//s:FormatIdentification/s:MimeType", namespaces=ns) == "application/pdf"
    assert root.findtext(".//s:AppraisalRule/s:Rule", namespaces=ns) == "mandat"
    assert root.findtext(".//s:AppraisalRule/s:StartDate", namespaces=ns) == "2015-01-01"
    assert root.findtext(".//s:AppraisalRule/s:FinalAction", namespaces=ns) == "Destroy"


def test_reference_example_is_valid():
    example = REFERENCE / "example" / "manifest_mandat_seda2.2.xml"
    if not example.exists():
        pytest.skip("reference folder not available")
    seda.validate(example.read_bytes())


def test_invalid_manifest_is_refused_with_the_errors():
    manifest = seda.build_transfer(_transfer())
    root = etree.fromstring(manifest)
    ns = {"s": seda.NAMESPACE}
    bdo = root.find(".//s:BinaryDataObject", ns)
    bdo.remove(bdo.find("s:Size", ns))
    bdo.insert(0, bdo.find("s:Uri", ns))  # Uri before DataObjectVersion: wrong order
    bad = etree.tostring(root)
    with pytest.raises(seda.SedaSchemaError) as err:
        seda.validate(bad)
    assert err.value.errors and "ligne" in err.value.errors[0]
    wrong_action = manifest.replace(
        b"<FinalAction>Destroy</FinalAction>", b"<FinalAction>Burn</FinalAction>"
    )
    assert seda.schema_errors(wrong_action)


def test_unsafe_or_broken_xml_is_refused():
    with pytest.raises(seda.SedaUnsafeXmlError):
        seda.validate(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    with pytest.raises(seda.SedaUnsafeXmlError):
        seda.validate(b"<ArchiveTransfer")


def test_reply_round_trip_and_code():
    reply = seda.build_reply(
        message_identifier="AD31-R-1",
        request_identifier="ORC-TEST-1",
        reply_code="OK",
        archival_agency="AD31",
        transferring_agency="21310555400017",
        date=WHEN,
        comment="Transfert pris en charge",
    )
    read = seda.read_reply(reply)
    assert (read.request_identifier, read.reply_code, read.accepted) == ("ORC-TEST-1", "OK", True)
    assert read.comment == "Transfert pris en charge"
    with pytest.raises(seda.SedaSchemaError):
        seda.read_reply(seda.build_transfer(_transfer()))


@settings(max_examples=25, deadline=None)
@given(
    title=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
        lambda t: t.strip()
    ),
    digest=st.text("0123456789abcdef", min_size=128, max_size=128),
)
def test_any_title_and_digest_give_a_valid_manifest(title, digest):
    seda.validate(seda.build_transfer(_transfer(title=title, sha512=digest)))
