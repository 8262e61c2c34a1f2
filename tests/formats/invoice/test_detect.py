"""Each sample is recognised with its syntax and profile; anything else is no invoice."""

from __future__ import annotations

import pytest

from pigp.formats.invoice import InvoiceError, cii_profile, detect, read
from tests.reference import pes_sample

from .conftest import blank_pdf, sample_bytes

SAMPLES = [
    ("ubl/ubl-tc434-example1.xml", "ubl", "ubl-invoice", "EN 16931"),
    ("ubl/BIS3_Invoice_positive.XML", "ubl", "ubl-invoice", "EN 16931"),
    ("ubl/ubl-tc434-creditnote1.xml", "ubl", "ubl-creditnote", "EN 16931"),
    ("cii/CII_example1.xml", "cii", "cii", "EN 16931"),
    ("cii/CII_example3.xml", "cii", "cii", "EN 16931"),
    ("facturx/zugferd_2p1_MINIMUM_Rechnung.xml", "cii", "cii", "MINIMUM"),
    ("facturx/zugferd_2p1_BASIC-WL_Einfach.xml", "cii", "cii", "BASIC WL"),
    ("facturx/zugferd_2p1_BASIC_Einfach.xml", "cii", "cii", "BASIC"),
    ("facturx/zugferd_2p1_EN16931_Einfach.xml", "cii", "cii", "EN 16931"),
    ("facturx/zugferd_2p1_EXTENDED_Warenrechnung.xml", "cii", "cii", "EXTENDED"),
]


@pytest.mark.parametrize(("rel", "fmt", "syntax", "profile"), SAMPLES)
def test_samples_are_recognised(rel: str, fmt: str, syntax: str, profile: str) -> None:
    detected = detect(sample_bytes(rel))
    assert (detected.format, detected.syntax, detected.profile) == (fmt, syntax, profile)
    assert detected.root is not None
    assert detected.findings == ()


@pytest.mark.parametrize(
    ("guideline", "profile"),
    [
        ("urn:factur-x.eu:1p0:minimum", "MINIMUM"),
        ("urn:factur-x.eu:1p0:basicwl", "BASIC WL"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "BASIC"),
        ("urn:cen.eu:en16931:2017", "EN 16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "EXTENDED"),
        (
            "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
            "EXTENDED-CTC-FR",
        ),
        ("urn:something:else", "D16B"),
        (None, "D16B"),
    ],
)
def test_cii_profile_from_guideline(guideline: str | None, profile: str) -> None:
    assert cii_profile(guideline) == profile


def test_a_cii_without_guideline_is_d16b() -> None:
    xml = sample_bytes("cii/CII_example3.xml").replace(
        b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", b"<ram:ID>urn:example:custom</ram:ID>"
    )
    assert detect(xml).profile == "D16B"


def test_a_plain_pdf_is_recognised_and_says_it_holds_no_data() -> None:
    report = read(blank_pdf())
    assert (report.format, report.syntax, report.invoice) == ("pdf", None, None)
    assert [f.rule for f in report.findings] == ["pdf-sans-donnees"]
    assert report.findings[0].severity == "warning"


def test_a_facturx_pdf_gives_its_embedded_cii(facturx_pdf: bytes) -> None:
    detected = detect(facturx_pdf)
    assert (detected.format, detected.syntax, detected.profile) == ("facturx", "cii", "EN 16931")
    assert detected.embedded_name == "factur-x.xml"
    report = read(facturx_pdf)
    assert report.invoice is not None and report.invoice.number == "471102"


def test_a_broken_pdf_is_an_error_finding() -> None:
    report = read(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> broken")
    assert report.format == "pdf"
    assert [f.rule for f in report.findings] == ["pdf-illisible"]
    assert not report.valid


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "vide"),
        (b"   \n", "vide"),
        (b"\x00\x01\x02garbage\xff", "ni un XML lisible"),
        (b"<?xml version='1.0'?><Commande xmlns='urn:example'><Id>1</Id></Commande>", "Commande"),
        (b"<Invoice><ID>1</ID></Invoice>", "sans espace de noms"),
    ],
)
def test_not_an_invoice(data: bytes, words: str) -> None:
    with pytest.raises(InvoiceError) as caught:
        detect(data)
    message = str(caught.value)
    assert message.startswith(
        "Ce fichier n'est pas une facture électronique (UBL, CII ou Factur-X) : "
    )
    assert words in message


def test_a_pes_flow_is_not_an_invoice() -> None:
    data = pes_sample("aller/sicoval_mandat_sur_marche.xml").read_bytes()
    with pytest.raises(InvoiceError, match="flux PES"):
        read(data)


def test_an_xml_that_mentions_pdf_is_still_xml() -> None:
    with pytest.raises(InvoiceError, match="Commande"):
        detect(b"<Commande><!-- %PDF-1.7 --></Commande>")
