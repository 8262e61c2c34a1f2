"""EN 16931 core of a UN/CEFACT CII D16B invoice (Factur-X / ZUGFeRD 2 profiles)."""

from __future__ import annotations

from lxml import etree

from .model import Address, Invoice, Line, Party, Totals, VatBreakdown, kind_of
from .values import Reader, compact_date

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
r = Reader(NS)


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    lines = tuple(
        value for value in (r.text(node, f"ram:Line{n}") for n in ("One", "Two", "Three")) if value
    )
    return Address(
        lines,
        r.text(node, "ram:CityName"),
        r.text(node, "ram:PostcodeCode"),
        r.text(node, "ram:CountryID"),
    )


def _party(node: etree._Element | None) -> Party | None:
    if node is None:
        return None
    siret, siren, scheme, legal_id = r.identity(
        node, "ram:SpecifiedLegalOrganization/ram:ID", "ram:GlobalID"
    )
    return Party(
        name=r.text(node, "ram:Name"),
        siret=siret,
        siren=siren,
        scheme=scheme,
        legal_id=legal_id,
        vat=r.text(node, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        address=_address(r.one(node, "ram:PostalTradeAddress")),
    )


def _line(node: etree._Element) -> Line:
    quantity = r.one(node, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    tax = r.one(node, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax")
    return Line(
        id=r.text(node, "ram:AssociatedDocumentLineDocument/ram:LineID"),
        quantity=r.decimal(quantity, "."),
        unit_price=r.decimal(
            node, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"
        ),
        net_amount=r.decimal(
            node,
            "ram:SpecifiedLineTradeSettlement/"
            "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        ),
        vat_category=r.text(tax, "ram:CategoryCode"),
        vat_rate=r.decimal(tax, "ram:RateApplicablePercent"),
        description=r.text(node, "ram:SpecifiedTradeProduct/ram:Name"),
        unit=quantity.get("unitCode") if quantity is not None else None,
    )


def _vat(node: etree._Element) -> VatBreakdown:
    return VatBreakdown(
        category=r.text(node, "ram:CategoryCode"),
        rate=r.decimal(node, "ram:RateApplicablePercent"),
        taxable_amount=r.decimal(node, "ram:BasisAmount"),
        tax_amount=r.decimal(node, "ram:CalculatedAmount"),
        exemption_reason=r.text(node, "ram:ExemptionReason"),
    )


def extract(root: etree._Element, fmt: str, profile: str) -> Invoice:
    doc = r.one(root, "rsm:ExchangedDocument")
    tx = r.one(root, "rsm:SupplyChainTradeTransaction")
    agreement = r.one(tx, "ram:ApplicableHeaderTradeAgreement")
    settlement = r.one(tx, "ram:ApplicableHeaderTradeSettlement")
    money = r.one(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = r.text(settlement, "ram:InvoiceCurrencyCode")
    type_code = r.text(doc, "ram:TypeCode")
    # BT-110 is the TaxTotalAmount in the invoice currency (BT-111 may give another one).
    tva = None
    for total in r.all(money, "ram:TaxTotalAmount"):
        if total.get("currencyID") in (currency, None):
            tva = r.decimal(total, ".")
            break
    return Invoice(
        format=fmt,
        profile=profile,
        kind=kind_of(type_code),
        type_code=type_code,
        number=r.text(doc, "ram:ID"),
        issue_date=compact_date(r.text(doc, "ram:IssueDateTime/udt:DateTimeString")),
        due_date=compact_date(
            r.text(
                settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
            )
        ),
        currency=currency,
        seller=_party(r.one(agreement, "ram:SellerTradeParty")),
        buyer=_party(r.one(agreement, "ram:BuyerTradeParty")),
        buyer_reference=r.text(agreement, "ram:BuyerReference"),
        order_reference=r.text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        contract=r.text(agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID"),
        lines=tuple(_line(n) for n in r.all(tx, "ram:IncludedSupplyChainTradeLineItem")),
        vat=tuple(_vat(n) for n in r.all(settlement, "ram:ApplicableTradeTax")),
        totals=Totals(
            ht=r.decimal(money, "ram:TaxBasisTotalAmount"),
            tva=tva,
            ttc=r.decimal(money, "ram:GrandTotalAmount"),
            prepaid=r.decimal(money, "ram:TotalPrepaidAmount"),
            payable=r.decimal(money, "ram:DuePayableAmount"),
            lines_total=r.decimal(money, "ram:LineTotalAmount"),
        ),
        payment_means=r.text(settlement, "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"),
        iban=r.text(
            settlement,
            "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
        ),
    )
