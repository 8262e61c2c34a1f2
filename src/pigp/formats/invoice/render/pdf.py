"""The PDF rendering of an invoice, for download: same content as the HTML one.

Made with fpdf2 (pure Python, no system library) in Roboto, a TrueType font shipped by the
``font-roboto`` package (Apache 2.0): fpdf2's own core fonts are Latin-1 only and would lose
the € sign. Nothing is fetched at run time.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from pigp.formats.pdfdoc import FONT, Document, new_document

from ..model import Invoice, Party
from . import labels as L

GREY = (238, 238, 238)


def _new_document(invoice: Invoice) -> Document:
    pdf = new_document(L.title(invoice))
    return pdf


def _heading(pdf: FPDF, text: str, size: int = 12) -> None:
    if pdf.will_page_break(40):  # no heading alone at the foot of a page
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.ln(1)


def _pairs(pdf: FPDF, rows: Sequence[tuple[str, str]], x: float, width: float) -> None:
    """``label : value`` lines in a column starting at ``x``."""
    for label, value in rows:
        pdf.set_x(x)
        pdf.set_font(FONT, "B", 9)
        label_w = min(pdf.get_string_width(label + " : ") + 1, width * 0.6)
        pdf.cell(label_w, 5, label + " :")
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(width - label_w, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _party(pdf: FPDF, heading: str, party: Party | None, x: float, width: float) -> float:
    """One party block at (x, current y); returns the y where it ends."""
    pdf.set_x(x)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(width, 6, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if party is None:
        pdf.set_x(x)
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(width, 5, "Non renseigné dans la facture.", new_x=XPos.LMARGIN)
        return pdf.get_y()
    pdf.set_x(x)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(width, 5, party.name or "(sans nom)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    for line in L.address_lines(party.address):
        pdf.set_x(x)
        pdf.multi_cell(width, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _pairs(pdf, L.identifiers(party), x, width)
    return pdf.get_y()


def _table(
    pdf: FPDF,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    numeric: Sequence[bool],
) -> None:
    pdf.set_font(FONT, size=8)
    aligns = tuple("RIGHT" if num else "LEFT" for num in numeric)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=aligns,
        headings_style=FontFace(emphasis="BOLD", fill_color=GREY),
        line_height=4.5,
        padding=1,
    ) as table:
        for row in (head, *rows):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.set_font(FONT, size=9)


def to_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF (A4, French), built from the extracted data."""
    pdf = _new_document(invoice)
    cur = invoice.currency
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, L.title(invoice), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(0, 4, L.origin(invoice), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, "Références")
    _pairs(pdf, L.references(invoice), pdf.l_margin, pdf.epw)

    pdf.ln(3)
    top, half = pdf.get_y(), (pdf.epw - 10) / 2
    end_seller = _party(pdf, "Vendeur (fournisseur)", invoice.seller, pdf.l_margin, half)
    pdf.set_y(top)
    end_buyer = _party(
        pdf, "Acheteur (destinataire)", invoice.buyer, pdf.l_margin + half + 10, half
    )
    pdf.set_y(max(end_seller, end_buyer))

    _heading(pdf, "Détail")
    rows = [
        [
            line.id or str(n),
            line.description or L.DASH,
            L.number(line.quantity),
            L.unit(line.unit),
            L.amount(line.unit_price, cur),
            L.percent(line.vat_rate) if line.vat_rate is not None else line.vat_category or L.DASH,
            L.amount(line.net_amount, cur),
        ]
        for n, line in enumerate(invoice.lines, start=1)
    ]
    _table(
        pdf,
        ("N°", "Désignation", "Quantité", "Unité", "Prix unitaire HT", "TVA", "Montant HT"),
        rows,
        (8, 62, 16, 14, 28, 14, 28),
        (False, False, True, False, True, True, True),
    )

    _heading(pdf, "TVA")
    _table(
        pdf,
        ("Catégorie", "Taux", "Base HT", "Montant de TVA", "Motif d'exonération"),
        [
            [
                L.coded(L.VAT_CATEGORIES, v.category),
                L.percent(v.rate),
                L.amount(v.taxable_amount, cur),
                L.amount(v.tax_amount, cur),
                v.exemption_reason or "",
            ]
            for v in invoice.vat
        ],
        (40, 18, 32, 32, 48),
        (False, True, True, True, False),
    )

    _heading(pdf, "Montants")
    x = pdf.l_margin + pdf.epw - 90
    for label, value in L.totals(invoice):
        bold = "B" if label in ("Total TTC", "Net à payer") else ""
        pdf.set_x(x)
        pdf.set_font(FONT, bold, 10)
        pdf.cell(50, 6, label, border="B")
        pdf.cell(40, 6, value, border="B", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, "Paiement")
    payment = [("Moyen de paiement", L.coded(L.PAYMENT_MEANS, invoice.payment_means))]
    if invoice.iban:
        payment.append(("IBAN du compte à créditer", L.iban(invoice.iban)))
    if invoice.due_date:
        payment.append(("À payer avant le", L.day(invoice.due_date)))
    _pairs(pdf, payment, pdf.l_margin, pdf.epw)
    return bytes(pdf.output())
