"""The HTML rendering of an invoice: what a recipient reads instead of the XML.

Built from the extracted :class:`~..model.Invoice`, so a UBL, a CII and the XML of a Factur-X
PDF read the same. Every value the invoice carries goes through :func:`html.escape`: the file
comes from a supplier and is untrusted.
"""

from __future__ import annotations

from html import escape

from ..model import Invoice, Party
from . import labels as L

STYLE = """
.pigp-facture{font-family:Marianne,Arial,sans-serif;color:#161616;max-width:60rem;margin:1rem auto}
.pigp-facture .parties{display:flex;flex-wrap:wrap;gap:2rem}
.pigp-facture .parties section{flex:1 1 20rem}
.pigp-facture table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}
.pigp-facture caption{text-align:left;font-weight:bold;padding:.25rem 0}
.pigp-facture th,.pigp-facture td{border:1px solid #929292;padding:.25rem .5rem;text-align:left}
.pigp-facture .num{text-align:right;white-space:nowrap}
.pigp-facture dl{display:grid;grid-template-columns:max-content auto;gap:.25rem 1rem}
.pigp-facture dt{font-weight:bold}.pigp-facture dd{margin:0}
.pigp-facture address{font-style:normal}
.pigp-facture .a-payer{font-weight:bold;font-size:1.1em}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _dl(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f"<dl>{items}</dl>"


def _section(ident: str, heading: str, level: int, body: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return (
        f'<section aria-labelledby="{ident}"{cls}>'
        f'<h{level} id="{ident}">{_e(heading)}</h{level}>{body}</section>'
    )


def _party(ident: str, heading: str, party: Party | None, level: int) -> str:
    if party is None:
        return _section(ident, heading, level, "<p>Non renseigné dans la facture.</p>")
    address = "<br>".join(_e(line) for line in L.address_lines(party.address))
    body = f"<p><strong>{_e(party.name or '(sans nom)')}</strong></p>"
    if address:
        body += f"<address>{address}</address>"
    ids = L.identifiers(party)
    if ids:
        body += _dl(ids)
    return _section(ident, heading, level, body)


def _table(caption: str, head: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """A data table; ``head`` is (label, numeric) per column, the first cell of each row is
    its header (``th scope="row"``)."""
    num_cls = ' class="num"'
    ths = "".join(
        f'<th scope="col"{num_cls if num else ""}>{_e(label)}</th>' for label, num in head
    )
    body = []
    for row in rows:
        cells = []
        for i, (value, (_, num)) in enumerate(zip(row, head, strict=True)):
            cls = ' class="num"' if num else ""
            if i == 0:
                cells.append(f'<th scope="row"{cls}>{_e(value)}</th>')
            else:
                cells.append(f"<td{cls}>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{ths}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _lines(invoice: Invoice) -> str:
    cur = invoice.currency
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
    count = len(rows)
    caption = f"Lignes de la facture ({count} ligne{'s' if count > 1 else ''})"
    head = [
        ("N°", False),
        ("Désignation", False),
        ("Quantité", True),
        ("Unité", False),
        ("Prix unitaire HT", True),
        ("TVA", True),
        ("Montant HT", True),
    ]
    return _table(caption, head, rows)


def _vat(invoice: Invoice) -> str:
    cur = invoice.currency
    rows = [
        [
            L.coded(L.VAT_CATEGORIES, v.category),
            L.percent(v.rate),
            L.amount(v.taxable_amount, cur),
            L.amount(v.tax_amount, cur),
            v.exemption_reason or "",
        ]
        for v in invoice.vat
    ]
    head = [
        ("Catégorie", False),
        ("Taux", True),
        ("Base HT", True),
        ("Montant de TVA", True),
        ("Motif d'exonération", False),
    ]
    return _table("Ventilation de la TVA par taux", head, rows)


def _totals(invoice: Invoice) -> str:
    rows = []
    for label, value in L.totals(invoice):
        cls = ' class="a-payer"' if label == "Net à payer" else ""
        rows.append(
            f'<tr{cls}><th scope="row">{_e(label)}</th><td class="num">{_e(value)}</td></tr>'
        )
    return f"<table><caption>Totaux</caption><tbody>{''.join(rows)}</tbody></table>"


def _payment(invoice: Invoice) -> str:
    rows = [("Moyen de paiement", L.coded(L.PAYMENT_MEANS, invoice.payment_means))]
    if invoice.iban:
        rows.append(("IBAN du compte à créditer", L.iban(invoice.iban)))
    if invoice.due_date:
        rows.append(("À payer avant le", L.day(invoice.due_date)))
    return _dl(rows)


def to_html(invoice: Invoice, *, document: bool = True, level: int = 1) -> str:
    """The invoice as French HTML.

    ``document=True`` gives a self-contained page (``<!DOCTYPE html>``, ``lang="fr"``, its own
    style); ``document=False`` the ``<article>`` alone, to put in a page whose headings start at
    ``level`` (1 to 5)."""
    level = min(max(level, 1), 5)
    sub = level + 1
    heading = L.title(invoice)
    parts = [
        '<article class="pigp-facture" aria-labelledby="facture-titre" lang="fr">',
        f'<h{level} id="facture-titre">{_e(heading)}</h{level}>',
        f"<p>{_e(L.origin(invoice))}</p>",
        _section("facture-references", "Références", sub, _dl(L.references(invoice))),
        '<div class="parties">',
        _party("facture-vendeur", "Vendeur (fournisseur)", invoice.seller, sub),
        _party("facture-acheteur", "Acheteur (destinataire)", invoice.buyer, sub),
        "</div>",
        _section("facture-lignes", "Détail", sub, _lines(invoice)),
        _section("facture-tva", "TVA", sub, _vat(invoice)),
        _section("facture-totaux", "Montants", sub, _totals(invoice)),
        _section("facture-paiement", "Paiement", sub, _payment(invoice)),
        "</article>",
    ]
    article = "\n".join(parts)
    if not document:
        return article
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(heading)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{article}\n</main>\n</body>\n</html>\n"
    )
