"""Which e-invoice a file is: UBL invoice or credit note, CII (and its Factur-X profile),
a Factur-X PDF (a PDF carrying its CII), or a plain PDF.

Bytes that are none of these raise :class:`InvoiceError`; an invoice that is unsafe or
malformed is still recognised (from its root element) and reported with an error finding.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from facturx.facturx import FACTURX_FILENAME, ZUGFERD_FILENAME
from lxml import etree

from ..pes.messages import parser_message
from .errors import InvoiceError
from .model import Finding
from .safety import DEFAULT_MAX_SIZE, doctype_finding, make_parser, size_finding, sniff_xml

log = logging.getLogger("pigp.formats.invoice")

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDITNOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"

ROOTS = {
    ("Invoice", UBL_INVOICE_NS): "ubl-invoice",
    ("CreditNote", UBL_CREDITNOTE_NS): "ubl-creditnote",
    ("CrossIndustryInvoice", CII_NS): "cii",
}

# Profiles, as named by Factur-X; D16B is a CII that names none of them.
MINIMUM, BASIC_WL, BASIC = "MINIMUM", "BASIC WL", "BASIC"
EN16931, EXTENDED, EXTENDED_CTC_FR, D16B = "EN 16931", "EXTENDED", "EXTENDED-CTC-FR", "D16B"
PROFILES = (MINIMUM, BASIC_WL, BASIC, EN16931, EXTENDED, EXTENDED_CTC_FR, D16B)

# Names of the XML file a Factur-X / ZUGFeRD 2 / XRechnung PDF carries (PDF/A-3 attachment).
EMBEDDED_NAMES = (FACTURX_FILENAME.lower(), ZUGFERD_FILENAME.lower(), "xrechnung.xml")

PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True, slots=True)
class Detected:
    """A recognised invoice file; ``root`` is None when its XML could not be read safely."""

    format: str  # ubl | cii | facturx | pdf
    syntax: str | None  # ubl-invoice | ubl-creditnote | cii | None (plain PDF)
    profile: str | None
    root: etree._Element | None
    findings: tuple[Finding, ...] = ()
    embedded_name: str | None = None  # name of the XML attachment of a Factur-X PDF


def cii_profile(guideline: str | None) -> str:
    """The Factur-X profile named by ``GuidelineSpecifiedDocumentContextParameter/ID``."""
    value = (guideline or "").strip().lower()
    if "extended-ctc-fr" in value or "extended_ctc_fr" in value:
        return EXTENDED_CTC_FR
    if value.endswith((":extended", "#extended")) or ":extended" in value:
        return EXTENDED
    if "basicwl" in value:
        return BASIC_WL
    if "minimum" in value:
        return MINIMUM
    if value.endswith(":basic"):
        return BASIC
    if value.startswith("urn:cen.eu:en16931:2017"):
        return EN16931
    return D16B


def _profile(syntax: str, root: etree._Element) -> str:
    if syntax != "cii":
        found = root.find(f"{{{CBC_NS}}}CustomizationID")
        text = (found.text or "").lower() if found is not None else ""
        return EXTENDED_CTC_FR if "extended-ctc-fr" in text else EN16931
    found = root.find(
        f"{{{CII_NS}}}ExchangedDocumentContext/{{{RAM_NS}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM_NS}}}ID"
    )
    return cii_profile(found.text if found is not None else None)


def _not_invoice_root(local: str | None, namespace: str | None) -> InvoiceError:
    if local is None:
        return InvoiceError("aucun élément XML n'a été trouvé.")
    if local.startswith("PES_"):
        return InvoiceError(f"c'est un flux PES ({local}), pas une facture.")
    if namespace and "ferd:CrossIndustryDocument" in namespace:
        return InvoiceError("ZUGFeRD 1.0 (CrossIndustryDocument) n'est plus accepté.")
    where = f" de l'espace de noms « {namespace} »" if namespace else " sans espace de noms"
    return InvoiceError(f"l'élément racine est « {local} »{where}.")


def _format(syntax: str, fmt: str | None) -> str:
    return fmt or ("cii" if syntax == "cii" else "ubl")


def _xml(data: bytes, fmt: str | None = None) -> Detected:
    """An XML invoice (``fmt`` is ``facturx`` for the XML of a Factur-X PDF)."""
    sniffed = sniff_xml(data)
    key = (sniffed.root or "", sniffed.namespace or "")
    if sniffed.doctype:
        syntax = ROOTS.get(key)
        if syntax is None:
            raise _not_invoice_root(sniffed.root, sniffed.namespace)
        return Detected(
            _format(syntax, fmt), syntax, None, None, (doctype_finding(sniffed.root_line),)
        )
    try:
        root = etree.fromstring(data, make_parser())
    except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
        syntax = ROOTS.get(key)
        if syntax is None:
            raise InvoiceError("ce n'est ni un XML lisible ni un PDF.") from exc
        detail = parser_message(str(getattr(exc, "msg", exc))) or "XML illisible"
        line = getattr(exc, "lineno", None)
        line = line if isinstance(line, int) else None
        finding = Finding(
            "xml-mal-forme", "error", "/", f"Le XML est mal formé : {detail}.", line or None
        )
        return Detected(_format(syntax, fmt), syntax, None, None, (finding,))
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        syntax = ROOTS.get(key)
        if syntax is None:
            raise _not_invoice_root(sniffed.root, sniffed.namespace)
        return Detected(_format(syntax, fmt), syntax, None, None, (doctype_finding(),))
    qname = etree.QName(root)
    syntax = ROOTS.get((qname.localname, qname.namespace or ""))
    if syntax is None:
        raise _not_invoice_root(qname.localname, qname.namespace)
    if fmt == "facturx" and syntax != "cii":
        raise InvoiceError("le XML joint au PDF Factur-X n'est pas une facture CII.")
    return Detected(_format(syntax, fmt), syntax, _profile(syntax, root), root)


def _embedded_xml(data: bytes) -> tuple[str, bytes] | None:
    """The Factur-X / ZUGFeRD XML attached to a PDF, found by its conventional name.

    pypdf lists the attachments; the XML is then read by our own safe parser (factur-x's
    extractor parses it with lxml's defaults, which we do not want on untrusted input)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for name, contents in reader.attachments.items():
        if name.lower() in EMBEDDED_NAMES and contents:
            return name, contents[0]
    return None


def _pdf(data: bytes, max_size: int) -> Detected:
    try:
        embedded = _embedded_xml(data)
    except Exception as exc:
        log.info("unreadable PDF: %r", exc)
        finding = Finding(
            "pdf-illisible",
            "error",
            "/",
            "Le PDF est illisible (structure abîmée ou chiffrée) : ses pièces jointes n'ont "
            "pas pu être lues.",
        )
        return Detected("pdf", None, None, None, (finding,))
    if embedded is None:
        return Detected("pdf", None, None, None)
    name, xml = embedded
    if len(xml) > max_size:  # a compressed attachment can be much larger than its PDF
        return Detected("facturx", "cii", None, None, (size_finding(len(xml), max_size),), name)
    detected = _xml(xml, "facturx")
    return Detected(
        "facturx",
        detected.syntax,
        detected.profile,
        detected.root,
        detected.findings,
        name,
    )


def detect(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> Detected:
    """Recognise an invoice file; raise :class:`InvoiceError` when it is none."""
    if not data.strip():
        raise InvoiceError("le fichier est vide.")
    head = data[:1024]
    # A PDF may have junk before its header (PDF 1.7, 7.5.2); an XML file never starts so.
    is_pdf = PDF_MAGIC in head and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    if len(data) > max_size:
        if is_pdf:
            return Detected("pdf", None, None, None, (size_finding(len(data), max_size),))
        sniffed = sniff_xml(data[: 1 << 16])
        syntax = ROOTS.get((sniffed.root or "", sniffed.namespace or ""))
        if syntax is None:
            raise _not_invoice_root(sniffed.root, sniffed.namespace)
        fmt = "cii" if syntax == "cii" else "ubl"
        return Detected(fmt, syntax, None, None, (size_finding(len(data), max_size),))
    if is_pdf:
        return _pdf(data, max_size)
    return _xml(data)
