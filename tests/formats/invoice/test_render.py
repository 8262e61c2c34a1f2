"""The readable renderings (HTML, PDF) of every reference sample, and ``pigp invoice render``."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from html import escape
from pathlib import Path

import pytest
from pypdf import PdfReader

from pigp.cli import main
from pigp.formats.invoice import Invoice, Totals, read
from pigp.formats.invoice.render import to_html, to_pdf
from pigp.formats.invoice.render.labels import amount, iban, number
from tests.reference import einvoice_sample

from .conftest import blank_pdf, sample_bytes
from .test_detect import SAMPLES

RELS = [s[0] for s in SAMPLES]


def _invoice(data: bytes) -> Invoice:
    invoice = read(data).invoice
    assert invoice is not None
    return invoice


def _flat(text: str) -> str:
    """Whitespace (no-break spaces included) collapsed, for comparing extracted text."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return _flat(" ".join(page.extract_text() for page in reader.pages))


def test_amounts_are_written_the_french_way() -> None:
    assert amount(Decimal("1234.56"), "EUR") == "1\u00a0234,56\u00a0€"
    assert amount(Decimal("1234567.5"), "EUR") == "1\u00a0234\u00a0567,50\u00a0€"
    assert amount(Decimal("-109.98"), "EUR") == "-109,98\u00a0€"
    assert amount(Decimal("0.1234"), "EUR") == "0,1234\u00a0€"  # a unit price stays exact
    assert amount(Decimal("12"), "USD") == "12,00\u00a0USD"
    assert amount(None, "EUR") == "—"
    assert number(Decimal("2.000")) == "2" and number(Decimal("1.5")) == "1,5"
    assert iban("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


@pytest.mark.parametrize("rel", RELS)
def test_html_of_every_sample_shows_what_the_recipient_needs(rel: str) -> None:
    invoice = _invoice(sample_bytes(rel))
    page = to_html(invoice)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    assert escape(invoice.number or "") in page
    for party in (invoice.seller, invoice.buyer):
        assert party is not None and party.name
        assert escape(party.name) in page
    assert f"({len(invoice.lines)} ligne" in page
    for line in invoice.lines:
        assert escape(line.description or "") in page
        assert escape(amount(line.net_amount, invoice.currency)) in page
    totals = invoice.totals
    for value in (totals.ht, totals.tva, totals.ttc, totals.payable):
        if value is not None:
            assert amount(value, invoice.currency) in page
    # Accessible structure: captions, header cells with their scope, labelled sections.
    assert "<caption>Lignes de la facture" in page and "<caption>Totaux</caption>" in page
    assert '<th scope="col">Désignation</th>' in page and '<th scope="row">Net à payer</th>' in page
    assert page.count("<h1") == 1 and "Code service (référence acheteur, BT-10)" in page


def test_html_of_a_ubl_invoice_in_detail() -> None:
    page = to_html(_invoice(sample_bytes("ubl/ubl-tc434-example1.xml")))
    assert "<title>Facture n°\u00a012115118</title>" in page
    assert "<dd>09/01/2015</dd>" in page
    assert "<strong>De Koksmaat</strong>" in page and "<strong>ODIN 59</strong>" in page
    assert "NL8200.98.395.B.01" in page and "1950 AB Velsen-Noord" in page
    assert "PATAT FRITES 10MM 10KG" in page and "-109,98\u00a0€" in page
    assert '<th scope="row">Total HT</th><td class="num">229,60\u00a0€</td>' in page
    assert '<th scope="row">Total TTC</th><td class="num">250,33\u00a0€</td>' in page
    assert "Virement (30)" in page and "NL57 RABO 0107 3075 10" in page


def test_html_of_a_credit_note_and_of_an_engagement_number() -> None:
    credit = to_html(_invoice(sample_bytes("ubl/ubl-tc434-creditnote1.xml")))
    assert '<h1 id="facture-titre">Avoir n°\u00a0018304 / 28865</h1>' in credit
    extended = to_html(_invoice(sample_bytes("facturx/zugferd_2p1_EXTENDED_Warenrechnung.xml")))
    assert (
        "<dt>Numéro d&#x27;engagement (bon de commande, BT-13)</dt><dd>B123456789</dd>" in extended
    )


def test_fragment_for_a_page_with_its_own_title() -> None:
    fragment = to_html(_invoice(sample_bytes("cii/CII_example1.xml")), document=False, level=2)
    assert fragment.startswith('<article class="pigp-facture"') and "<html" not in fragment
    assert '<h2 id="facture-titre">' in fragment and '<h3 id="facture-vendeur">' in fragment


HOSTILE = "<script>alert(\"x\")</script> & 'O'Brien"
HOSTILE_XML = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").encode()


def _hostile_ubl() -> bytes:
    """The UBL sample with supplier-controlled values made hostile (number, seller, a line)."""
    data = sample_bytes("ubl/ubl-tc434-example1.xml")
    data = data.replace(b"<cbc:ID>12115118</cbc:ID>", b"<cbc:ID>" + HOSTILE_XML + b"</cbc:ID>", 1)
    data = data.replace(b"De Koksmaat", HOSTILE_XML)
    return data.replace(
        b"PATAT FRITES 10MM 10KG",
        b'"><img src=x onerror=alert(1)>'.replace(b"<", b"&lt;").replace(b'"', b"&quot;"),
    )


def test_every_value_is_escaped_in_the_html() -> None:
    invoice = _invoice(_hostile_ubl())
    assert invoice.number == HOSTILE and invoice.seller and invoice.seller.name == HOSTILE
    page = to_html(invoice)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;O&#x27;Brien" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert f"<title>Facture n°\u00a0{escape(HOSTILE)}</title>" in page


def test_a_hostile_invoice_still_renders_as_pdf() -> None:
    text = _pdf_text(to_pdf(_invoice(_hostile_ubl())))
    assert _flat(HOSTILE) in text
    # Characters the font lacks (CJK, emoji) are left blank, with a logged warning, no error.
    data = sample_bytes("ubl/ubl-tc434-example1.xml").replace(
        b"De Koksmaat", "株式会社 😀 Koksmaat".encode()
    )
    assert "Koksmaat" in _pdf_text(to_pdf(_invoice(data)))


def test_an_invoice_with_nothing_but_its_format_renders() -> None:
    bare = Invoice(
        format="cii",
        profile="MINIMUM",
        kind="invoice",
        type_code=None,
        number=None,
        issue_date=date(2026, 1, 31),
        due_date=None,
        currency=None,
        seller=None,
        buyer=None,
        buyer_reference=None,
        order_reference=None,
        contract=None,
        lines=(),
        vat=(),
        totals=Totals(ht=None, tva=None, ttc=None, prepaid=None, payable=None),
        payment_means=None,
        iban=None,
    )
    page = to_html(bare)
    assert "Facture n°\u00a0(sans numéro)" in page and "Non renseigné dans la facture." in page
    assert "31/01/2026" in _pdf_text(to_pdf(bare))


@pytest.mark.parametrize("rel", RELS)
def test_pdf_of_every_sample_reads_back(rel: str) -> None:
    invoice = _invoice(sample_bytes(rel))
    data = to_pdf(invoice)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None and reader.metadata.title == _title(invoice)
    text = _pdf_text(data)
    assert _flat(invoice.number or "") in text
    assert invoice.seller is not None and _flat(invoice.seller.name or "") in text
    assert f"Total TTC {_flat(amount(invoice.totals.ttc, invoice.currency))}" in text
    # The TrueType font is embedded: the accents and the € sign survive.
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Roboto" in name for name in fonts)
    assert "Références" in text and "Net à payer" in text
    assert ("€" in text) == (invoice.currency == "EUR")


def _title(invoice: Invoice) -> str:
    noun = "Avoir" if invoice.kind == "credit_note" else "Facture"
    return f"{noun} n°\u00a0{invoice.number}"


def test_the_xml_inside_a_facturx_pdf_renders(facturx_pdf: bytes) -> None:
    report = read(facturx_pdf)
    assert report.format == "facturx" and report.invoice is not None
    page = to_html(report.invoice)
    assert "lue dans un fichier Factur-X (XML CII joint au PDF), profil EN 16931" in page
    assert escape(report.invoice.number or "") in page
    assert _flat(report.invoice.number or "") in _pdf_text(to_pdf(report.invoice))


def test_cli_writes_html_and_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = einvoice_sample("cii/CII_example1.xml")
    html_out, pdf_out = tmp_path / "facture.html", tmp_path / "facture.pdf"
    assert (
        main(["invoice", "render", str(src), "--html", str(html_out), "--pdf", str(pdf_out)]) == 0
    )
    assert "écrit" in capsys.readouterr().out
    assert "De Koksmaat" in html_out.read_text(encoding="utf-8")
    assert "Total TTC 250,33 €" in _pdf_text(pdf_out.read_bytes())


def test_cli_renders_a_facturx_pdf(
    tmp_path: Path, facturx_pdf: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "facture.pdf", tmp_path / "lisible.html"
    src.write_bytes(facturx_pdf)
    assert main(["invoice", "render", str(src), "--html", str(out)]) == 0
    assert '<h1 id="facture-titre">Facture n°' in out.read_text(encoding="utf-8")


def test_cli_says_in_french_what_it_cannot_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.html"
    assert main(["invoice", "render", str(tmp_path / "absent.xml"), "--html", str(out)]) == 2
    assert "ILLISIBLE — fichier illisible (introuvable)" in capsys.readouterr().err
    garbage = tmp_path / "pas-une-facture.xml"
    garbage.write_bytes(b"<racine/>")
    assert main(["invoice", "render", str(garbage), "--html", str(out)]) == 2
    assert "n'est pas une facture électronique" in capsys.readouterr().err
    plain = tmp_path / "scan.pdf"
    plain.write_bytes(blank_pdf())
    assert main(["invoice", "render", str(plain), "--pdf", str(out)]) == 2
    assert "rien à présenter" in capsys.readouterr().err
    src = einvoice_sample("ubl/ubl-tc434-example1.xml")
    assert main(["invoice", "render", str(src)]) == 2
    assert "indiquez --html" in capsys.readouterr().err
    assert main(["invoice", "render", str(src), "--pdf", str(tmp_path / "no" / "x.pdf")]) == 2
    assert "dossier de destination introuvable" in capsys.readouterr().err
    assert not out.exists()
