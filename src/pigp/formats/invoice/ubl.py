"""EN 16931 core of a UBL 2.1 Invoice or CreditNote."""

from __future__ import annotations

from lxml import etree

from .model import Address, Invoice, Line, Party, Totals, VatBreakdown, kind_of
from .values import Reader, iso_date

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
r = Reader(NS)


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    lines = tuple(
        value
        for value in (
            r.text(node, "cbc:StreetName"),
            r.text(node, "cbc:AdditionalStreetName"),
            r.text(node, "cac:AddressLine/cbc:Line"),
        )
        if value
    )
    return Address(
        lines,
        r.text(node, "cbc:CityName"),
        r.text(node, "cbc:PostalZone"),
        r.text(node, "cac:Country/cbc:IdentificationCode"),
    )


def _party(node: etree._Element | None) -> Party | None:
    if node is None:
        return None
    siret, siren, scheme, legal_id = r.identity(
        node, "cac:PartyLegalEntity/cbc:CompanyID", "cac:PartyIdentification/cbc:ID"
    )
    return Party(
        name=r.text(node, "cac:PartyLegalEntity/cbc:RegistrationName")
        or r.text(node, "cac:PartyName/cbc:Name"),
        siret=siret,
        siren=siren,
        scheme=scheme,
        legal_id=legal_id,
        vat=r.text(node, "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"),
        address=_address(r.one(node, "cac:PostalAddress")),
    )


def _line(node: etree._Element) -> Line:
    quantity = r.one(node, "cbc:InvoicedQuantity|cbc:CreditedQuantity")
    return Line(
        id=r.text(node, "cbc:ID"),
        quantity=r.decimal(node, "cbc:InvoicedQuantity|cbc:CreditedQuantity"),
        unit_price=r.decimal(node, "cac:Price/cbc:PriceAmount"),
        net_amount=r.decimal(node, "cbc:LineExtensionAmount"),
        vat_category=r.text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        vat_rate=r.decimal(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        description=r.text(node, "cac:Item/cbc:Name"),
        unit=quantity.get("unitCode") if quantity is not None else None,
    )


def _vat(node: etree._Element) -> VatBreakdown:
    return VatBreakdown(
        category=r.text(node, "cac:TaxCategory/cbc:ID"),
        rate=r.decimal(node, "cac:TaxCategory/cbc:Percent"),
        taxable_amount=r.decimal(node, "cbc:TaxableAmount"),
        tax_amount=r.decimal(node, "cbc:TaxAmount"),
        exemption_reason=r.text(node, "cac:TaxCategory/cbc:TaxExemptionReason"),
    )


def extract(root: etree._Element, fmt: str, profile: str) -> Invoice:
    currency = r.text(root, "cbc:DocumentCurrencyCode")
    type_code = r.text(root, "cbc:InvoiceTypeCode|cbc:CreditNoteTypeCode")
    if type_code is None and etree.QName(root).localname == "CreditNote":
        type_code = "381"
    # BT-110 is the TaxTotal in the document currency (BT-111 may repeat it in another one).
    tax_totals = r.all(root, "cac:TaxTotal")
    tva_node = next(
        (t for t in tax_totals if r.attr(t, "cbc:TaxAmount", "currencyID") in (currency, None)),
        None,
    )
    money = r.one(root, "cac:LegalMonetaryTotal")
    return Invoice(
        format=fmt,
        profile=profile,
        kind=kind_of(type_code),
        type_code=type_code,
        number=r.text(root, "cbc:ID"),
        issue_date=iso_date(r.text(root, "cbc:IssueDate")),
        due_date=iso_date(
            r.text(root, "cbc:DueDate") or r.text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
        ),
        currency=currency,
        seller=_party(r.one(root, "cac:AccountingSupplierParty/cac:Party")),
        buyer=_party(r.one(root, "cac:AccountingCustomerParty/cac:Party")),
        buyer_reference=r.text(root, "cbc:BuyerReference"),
        order_reference=r.text(root, "cac:OrderReference/cbc:ID"),
        contract=r.text(root, "cac:ContractDocumentReference/cbc:ID"),
        lines=tuple(_line(n) for n in r.all(root, "cac:InvoiceLine|cac:CreditNoteLine")),
        vat=tuple(_vat(n) for t in tax_totals[:1] for n in r.all(t, "cac:TaxSubtotal"))
        if tva_node is None
        else tuple(_vat(n) for n in r.all(tva_node, "cac:TaxSubtotal")),
        totals=Totals(
            ht=r.decimal(money, "cbc:TaxExclusiveAmount"),
            tva=r.decimal(tva_node, "cbc:TaxAmount"),
            ttc=r.decimal(money, "cbc:TaxInclusiveAmount"),
            prepaid=r.decimal(money, "cbc:PrepaidAmount"),
            payable=r.decimal(money, "cbc:PayableAmount"),
            lines_total=r.decimal(money, "cbc:LineExtensionAmount"),
        ),
        payment_means=r.text(root, "cac:PaymentMeans/cbc:PaymentMeansCode"),
        iban=r.text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
    )
