"""Hostile invoices: no DTD, no entity, a size limit; violations are error findings."""

from __future__ import annotations

import pytest

from pigp.formats.invoice import InvoiceError, read, validate

from .conftest import sample_bytes

UBL_ROOT = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'

BOMB = (
    b'<?xml version="1.0"?>\n'
    b"<!DOCTYPE Invoice [\n"
    b' <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">\n'
    + b"".join(
        b' <!ENTITY %s "%s">\n' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10)
        for i in range(9)
    )
    + b"]>\n"
    + UBL_ROOT
    + b'><ID xmlns="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">&j;</ID>'
    b"</Invoice>"
)

XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    + UBL_ROOT
    + b">&x;</Invoice>"
)


@pytest.mark.parametrize("data", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_a_doctype_is_an_error_finding_and_nothing_is_expanded(data: bytes) -> None:
    for report in (read(data), validate(data)):
        assert report.syntax == "ubl-invoice"
        assert report.invoice is None
        assert [f.rule for f in report.findings] == ["dtd-interdite"]
        assert report.findings[0].line is not None
        assert "DOCTYPE" in report.findings[0].message_fr
        assert not report.valid


def test_a_doctype_on_something_else_is_not_an_invoice() -> None:
    with pytest.raises(InvoiceError):
        read(b'<!DOCTYPE html [<!ENTITY a "b">]><html>&a;</html>')


def test_the_size_limit_is_an_error_finding() -> None:
    data = sample_bytes("ubl/ubl-tc434-example1.xml")
    report = validate(data, max_size=1000)
    assert report.format == "ubl"
    assert [f.rule for f in report.findings] == ["taille-maximale"]
    assert str(len(data)) in report.findings[0].message_fr
    assert report.invoice is None and not report.valid


def test_a_malformed_invoice_is_an_error_finding_with_its_line() -> None:
    data = sample_bytes("ubl/BIS3_Invoice_positive.XML").replace(b"</cbc:ID>", b"</cbc:Id>", 1)
    report = validate(data)
    assert report.syntax == "ubl-invoice"
    assert [f.rule for f in report.findings] == ["xml-mal-forme"]
    assert report.findings[0].line is not None
    assert "mal formé" in report.findings[0].message_fr


def test_a_cii_with_a_doctype_keeps_its_format() -> None:
    data = (
        b'<!DOCTYPE x [<!ENTITY e "e">]>\n'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
        b'CrossIndustryInvoice:100">&e;</rsm:CrossIndustryInvoice>'
    )
    report = read(data)
    assert (report.format, report.syntax) == ("cii", "cii")
    assert [f.rule for f in report.findings] == ["dtd-interdite"]


def test_the_xml_inside_a_pdf_is_held_to_the_same_rules() -> None:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment(
        "factur-x.xml",
        BOMB.replace(
            UBL_ROOT,
            b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"',
        ).replace(b"</Invoice>", b"</rsm:CrossIndustryInvoice>"),
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    report = validate(buffer.getvalue())
    assert (report.format, report.syntax, report.invoice) == ("facturx", "cii", None)
    assert [f.rule for f in report.findings] == ["dtd-interdite"]
