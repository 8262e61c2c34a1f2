"""An XML invoice (UBL, CII) shown to people: its HTML rendering inside the invoice's page, and
its PDF, kept through the core file storage as `Facture.pdf`.

The PDF is rendered at deposit (`depot.deposer`, before its transaction): about 0.08 s for a
typical invoice once the fonts are loaded, against 0.02–0.03 s for the rest of the deposit,
well within the 1 s target (`benchmarks/invoice_deposit.py`). A rendering that fails does not
refuse the deposit: the PDF is then rendered on first demand (`pdf_of`) and kept. A Factur-X
or a plain PDF is its own PDF.
"""

from __future__ import annotations

import logging

from django.db import transaction

from pigp.chorus.models import Facture, FormatFacture
from pigp.core import files
from pigp.core.models import StoredFile
from pigp.formats import invoice as einvoice
from pigp.formats.invoice import render

logger = logging.getLogger(__name__)

XML_FORMATS = frozenset({FormatFacture.UBL, FormatFacture.CII})


def _invoice(facture: Facture) -> einvoice.Invoice | None:
    if facture.format not in XML_FORMATS:
        return None
    with files.open_stored(facture.original) as fh:
        data = fh.read()
    try:
        return einvoice.read(data).invoice
    except einvoice.InvoiceError:
        logger.warning("Facture %s : l'original ne se lit plus", facture.pk)
        return None


def render_pdf(invoice: einvoice.Invoice | None) -> StoredFile | None:
    """The PDF of an invoice just read, stored; None when it cannot be rendered (logged)."""
    if invoice is None:
        return None
    try:
        content = render.to_pdf(invoice)
    except Exception:  # a renderer's failure must never lose a deposit
        logger.exception("Rendu PDF d'une facture impossible")
        return None
    return files.store_bytes(content, media_type="application/pdf")


def html_of(facture: Facture) -> str:
    """The invoice as an HTML fragment (headings from h2), or "" when it is no XML invoice."""
    invoice = _invoice(facture)
    return render.to_html(invoice, document=False, level=2) if invoice is not None else ""


def pdf_of(facture: Facture) -> StoredFile | None:
    """The invoice's PDF: the one deposited, or the XML's rendering (made once, then kept)."""
    if facture.pdf_id is not None:
        return facture.pdf
    invoice = _invoice(facture)
    if invoice is None:
        return None
    stored = render_pdf(invoice)
    if stored is None:
        return None
    with transaction.atomic():
        # Two first views at once: the first one kept wins, the other's copy is not used.
        updated = Facture.objects.filter(pk=facture.pk, pdf__isnull=True).update(pdf=stored)
    if not updated:
        facture.refresh_from_db(fields=["pdf"])
        return facture.pdf
    facture.pdf = stored
    return stored
