"""Real e-invoice samples made addressable: the reference samples carry no French SIRET, so the
tests give them the supplier's and the recipient's (as Chorus Pro requires), and alter them to
build the broken variants."""

from __future__ import annotations

import io
from decimal import Decimal

from lxml import etree
from pypdf import PdfWriter

from tests.reference import einvoice_sample

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_EN16931 = "facturx/zugferd_2p1_EN16931_Einfach.xml"
CII_MINIMUM = "facturx/zugferd_2p1_MINIMUM_Rechnung.xml"
UBL = "ubl/ubl-tc434-example1.xml"


def _q(tag: str) -> str:
    prefix, _, name = tag.partition(":")
    return f"{{{NS[prefix]}}}{name}"


def _cii_party(party: etree._Element, siret: str) -> None:
    """The party's legal registration (BT-30 / BT-47) set to a SIRET (scheme 0009)."""
    legal = party.find("ram:SpecifiedLegalOrganization", NS)
    if legal is None:
        legal = etree.Element(_q("ram:SpecifiedLegalOrganization"))
        before = [
            party.find(f"ram:{n}", NS)
            for n in ("ID", "GlobalID", "Name", "RoleCode", "Description")
        ]
        index = max((list(party).index(e) for e in before if e is not None), default=-1) + 1
        party.insert(index, legal)
    ident = legal.find("ram:ID", NS)
    if ident is None:
        ident = etree.Element(_q("ram:ID"))
        legal.insert(0, ident)
    ident.text = siret
    ident.set("schemeID", "0009")


def _ubl_party(party: etree._Element, siret: str) -> None:
    ident = party.find("cac:PartyIdentification/cbc:ID", NS)
    if ident is None:
        holder = etree.Element(_q("cac:PartyIdentification"))
        ident = etree.SubElement(holder, _q("cbc:ID"))
        endpoint = party.find("cbc:EndpointID", NS)
        party.insert(list(party).index(endpoint) + 1 if endpoint is not None else 0, holder)
    ident.text = siret
    ident.set("schemeID", "0009")


def addressed(
    rel: str,
    seller: str,
    buyer: str,
    *,
    service: str | None = None,
    number: str | None = None,
) -> bytes:
    """The sample `rel` sold by SIRET `seller` to SIRET `buyer`, with service code `service`
    (BT-10) and invoice number `number` when given."""
    root = etree.parse(str(einvoice_sample(rel))).getroot()
    if root.tag == _q("rsm:CrossIndustryInvoice"):
        agreement = root.find(".//ram:ApplicableHeaderTradeAgreement", NS)
        _cii_party(agreement.find("ram:SellerTradeParty", NS), seller)
        _cii_party(agreement.find("ram:BuyerTradeParty", NS), buyer)
        if service is not None:
            ref = agreement.find("ram:BuyerReference", NS)
            if ref is None:
                ref = etree.Element(_q("ram:BuyerReference"))
                agreement.insert(0, ref)
            ref.text = service
        if number is not None:
            root.find("rsm:ExchangedDocument/ram:ID", NS).text = number
    else:
        _ubl_party(root.find("cac:AccountingSupplierParty/cac:Party", NS), seller)
        _ubl_party(root.find("cac:AccountingCustomerParty/cac:Party", NS), buyer)
        if number is not None:
            root.find("cbc:ID", NS).text = number
        assert service is None, "BT-10 is set on the CII samples only"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def replace(data: bytes, old: str, new: str) -> bytes:
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode(), 1)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def facturx(xml: bytes) -> bytes:
    from facturx import generate_from_binary

    return bytes(generate_from_binary(blank_pdf(), xml, check_xsd=False))


def cii_total(data: bytes, tag: str) -> Decimal:
    root = etree.fromstring(data)
    return Decimal(
        root.find(f".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{tag}", NS).text
    )
