"""The EN 16931 core read from the samples (values read from the files by eye)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pigp.formats.invoice import Invoice, Totals, read

from .conftest import sample_bytes


def invoice(rel: str) -> Invoice:
    report = read(sample_bytes(rel))
    assert report.invoice is not None
    return report.invoice


def test_ubl_tc434_example1() -> None:
    inv = invoice("ubl/ubl-tc434-example1.xml")
    assert (inv.format, inv.kind, inv.type_code) == ("ubl", "invoice", "380")
    assert inv.number == "12115118"
    assert inv.issue_date == date(2015, 1, 9) and inv.due_date == date(2015, 1, 9)
    assert inv.currency == "EUR"
    assert inv.totals == Totals(
        ht=Decimal("229.60"),
        tva=Decimal("20.73"),
        ttc=Decimal("250.33"),
        prepaid=None,
        payable=Decimal("250.33"),
        lines_total=Decimal("229.60"),
    )
    assert inv.seller is not None and inv.seller.name == "De Koksmaat"
    assert inv.seller.vat == "NL8200.98.395.B.01"
    assert inv.seller.address is not None and inv.seller.address.city == "Velsen-Noord"
    assert inv.buyer is not None and inv.buyer.name == "ODIN 59"
    assert len(inv.lines) == 20
    first = inv.lines[0]
    assert (first.id, first.quantity, first.unit_price, first.net_amount) == (
        "1",
        Decimal("2"),
        Decimal("9.95"),
        Decimal("19.90"),
    )
    assert (first.vat_category, first.vat_rate, first.description) == (
        "S",
        Decimal("6"),
        "PATAT FRITES 10MM 10KG",
    )
    assert [(v.rate, v.taxable_amount, v.tax_amount) for v in inv.vat] == [
        (Decimal("6"), Decimal("183.23"), Decimal("10.99")),
        (Decimal("21"), Decimal("46.37"), Decimal("9.74")),
    ]
    assert sum((line.net_amount or Decimal(0) for line in inv.lines), Decimal(0)) == inv.totals.ht
    assert (inv.payment_means, inv.iban) == ("30", "NL57 RABO 0107307510")


def test_the_same_invoice_in_cii_reads_the_same() -> None:
    ubl, cii = invoice("ubl/ubl-tc434-example1.xml"), invoice("cii/CII_example1.xml")
    assert cii.format == "cii"
    for field in ("number", "issue_date", "currency", "payment_means", "iban", "kind"):
        assert getattr(cii, field) == getattr(ubl, field), field
    assert cii.totals == ubl.totals  # Decimal("229.6") == Decimal("229.60")
    assert len(cii.lines) == len(ubl.lines) == 20
    assert cii.seller is not None and cii.seller.name == "De Koksmaat"


def test_ubl_credit_note() -> None:
    inv = invoice("ubl/ubl-tc434-creditnote1.xml")
    assert (inv.kind, inv.type_code, inv.number) == ("credit_note", "381", "018304 / 28865")
    assert inv.issue_date == date(2019, 9, 23)
    assert (inv.totals.ht, inv.totals.tva, inv.totals.payable) == (
        Decimal("100.11"),
        Decimal("0.00"),
        Decimal("100.11"),
    )
    assert inv.lines[0].vat_category == "E" and inv.lines[0].quantity == Decimal("1.00")
    assert inv.vat[0].category == "E"
    assert inv.iban == "BE91000000143476"


def test_peppol_bis3_references() -> None:
    inv = invoice("ubl/BIS3_Invoice_positive.XML")
    assert (inv.number, inv.currency, inv.due_date) == ("12345", "DKK", date(2019, 2, 24))
    assert (inv.buyer_reference, inv.order_reference, inv.contract) == ("n/a", "n/a", "12345")
    assert inv.seller is not None
    assert (inv.seller.legal_id, inv.seller.scheme, inv.seller.siret) == (
        "DK12345678",
        "0184",
        None,
    )
    assert inv.totals.ttc == Decimal("782179.43")


def test_a_french_siret_gives_siret_and_siren() -> None:
    data = sample_bytes("ubl/BIS3_Invoice_positive.XML").replace(
        b'<cbc:CompanyID schemeID="0184">DK12345678</cbc:CompanyID>',
        b'<cbc:CompanyID schemeID="0009">21310555400017</cbc:CompanyID>',
    )
    seller = read(data).invoice.seller  # type: ignore[union-attr]
    assert seller is not None
    assert (seller.siret, seller.siren, seller.scheme) == ("21310555400017", "213105554", "0009")


def test_a_siren_as_legal_id_takes_the_siret_of_its_establishment() -> None:
    data = (
        sample_bytes("ubl/BIS3_Invoice_positive.XML")
        .replace(
            b'<cbc:CompanyID schemeID="0184">DK12345678</cbc:CompanyID>',
            b'<cbc:CompanyID schemeID="0002">213105554</cbc:CompanyID>',
        )
        .replace(
            b'<cbc:ID schemeID="0184">DK12345678</cbc:ID>',
            b'<cbc:ID schemeID="0009">21310555400017</cbc:ID>',
            1,
        )
    )
    seller = read(data).invoice.seller  # type: ignore[union-attr]
    assert seller is not None
    assert (seller.siret, seller.siren, seller.scheme) == ("21310555400017", "213105554", "0002")
    # Another company's SIRET beside the SIREN is not taken for this one's.
    other = data.replace(b">21310555400017<", b">55208131766522<")
    seller = read(other).invoice.seller  # type: ignore[union-attr]
    assert seller is not None and (seller.siret, seller.siren) == (None, "213105554")


def test_cii_extended() -> None:
    inv = invoice("facturx/zugferd_2p1_EXTENDED_Warenrechnung.xml")
    assert (inv.profile, inv.number, inv.issue_date) == (
        "EXTENDED",
        "R87654321012345",
        date(2018, 8, 6),
    )
    assert (inv.totals.ht, inv.totals.tva, inv.totals.ttc, inv.totals.lines_total) == (
        Decimal("448.99"),
        Decimal("70.00"),
        Decimal("518.99"),
        Decimal("457.20"),
    )
    assert inv.order_reference == "B123456789"
    assert len(inv.lines) == 6
    assert inv.lines[0].description == "Zitronensäure 100ml"
    assert inv.seller is not None and inv.seller.name == "MUSTERLIEFERANT GMBH"


def test_cii_minimum_has_totals_but_no_lines() -> None:
    inv = invoice("facturx/zugferd_2p1_MINIMUM_Rechnung.xml")
    assert (inv.profile, inv.number, inv.lines) == ("MINIMUM", "471102", ())
    assert (inv.totals.ht, inv.totals.tva, inv.totals.ttc) == (
        Decimal("198.00"),
        Decimal("37.62"),
        Decimal("235.62"),
    )
    assert inv.buyer is not None and inv.buyer.name == "Kunden AG Frankreich"


def test_cii_subscription_dates_and_contract() -> None:
    inv = invoice("cii/CII_example3.xml")
    assert (inv.number, inv.currency) == ("TOSL108", "DKK")
    assert (inv.issue_date, inv.due_date) == (date(2013, 4, 10), date(2013, 5, 10))
    assert inv.contract == "SUBSCR571"
    assert inv.totals.payable == Decimal("1125")
