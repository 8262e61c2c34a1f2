"""The house's A4 PDF documents (fpdf2): Roboto from the `font-roboto` package, French metadata,
15 mm margins and a numbered footer. The invoice rendering, ORC's attestations, proof reports
and bordereaux d'élimination all start from `new_document`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fpdf import FPDF

FONT = "Roboto"


def font_file(name: str) -> Path:
    return Path(str(resources.files("font_roboto") / "files" / name))


class Document(FPDF):
    """An A4 page whose footer reads « <footer> page n/N »."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        lead = f"{self.footer_text} — page" if self.footer_text else "Page"
        self.cell(0, 5, f"{lead} {self.page_no()}/{{nb}}", align="C")


def new_document(title: str, *, footer: str = "") -> Document:
    """A document with its fonts, title and first page."""
    pdf = Document(format="A4")
    pdf.footer_text = footer
    pdf.add_font(FONT, "", font_file("Roboto-Regular.ttf"))
    pdf.add_font(FONT, "B", font_file("Roboto-Bold.ttf"))
    pdf.set_title(title)
    pdf.set_lang("fr")
    pdf.set_creator("pigp")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    return pdf
