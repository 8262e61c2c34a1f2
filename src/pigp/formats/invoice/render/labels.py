"""French wording shared by the HTML and PDF renderings: amounts, dates, code lists.

A code the tables below do not know is shown as written (never dropped): the recipient
still sees what the invoice says, only without a French label.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..model import Address, Invoice, Party

NBSP = "\u00a0"
DASH = "—"

# UNTDID 1001 (BT-3): the document types an invoice for a public buyer carries in practice.
TYPE_CODES = {
    "380": "Facture commerciale",
    "381": "Avoir",
    "383": "Note de débit",
    "384": "Facture rectificative",
    "386": "Facture d'acompte",
    "389": "Autofacture",
    "393": "Facture d'affacturage",
    "396": "Avoir d'affacturage",
    "261": "Avoir d'autofacture",
    "751": "Facture (information comptable)",
}

# UNTDID 4461 (BT-81).
PAYMENT_MEANS = {
    "1": "Non défini",
    "10": "Espèces",
    "20": "Chèque",
    "30": "Virement",
    "31": "Virement",
    "42": "Paiement sur compte bancaire",
    "48": "Carte bancaire",
    "49": "Prélèvement",
    "57": "Accord permanent",
    "58": "Virement SEPA",
    "59": "Prélèvement SEPA",
    "97": "Compensation",
    "ZZZ": "Convenu entre les parties",
}

# UNCL 5305 (BT-118 / BT-151).
VAT_CATEGORIES = {
    "S": "Taux normal",
    "Z": "Taux zéro",
    "E": "Exonéré",
    "AE": "Autoliquidation",
    "K": "Livraison intracommunautaire",
    "G": "Exportation hors UE",
    "O": "Hors champ de la TVA",
    "L": "IGIC (Canaries)",
    "M": "IPSI (Ceuta et Melilla)",
}

# UN/ECE recommendation 20 (BT-130): the usual units only.
UNITS = {
    "C62": "unité",
    "H87": "pièce",
    "EA": "unité",
    "XPP": "pièce",
    "HUR": "heure",
    "DAY": "jour",
    "MON": "mois",
    "ANN": "an",
    "KGM": "kg",
    "GRM": "g",
    "TNE": "t",
    "LTR": "l",
    "MTR": "m",
    "MTK": "m²",
    "MTQ": "m³",
    "KMT": "km",
    "KWH": "kWh",
    "LS": "forfait",
    "SET": "lot",
    "P1": "%",
}

# ISO 6523 ICD of the legal registration id (BT-30 / BT-47).
SCHEMES = {"0002": "SIREN", "0009": "SIRET", "0088": "GLN", "0060": "DUNS"}

COUNTRIES = {
    "FR": "France",
    "BE": "Belgique",
    "DE": "Allemagne",
    "NL": "Pays-Bas",
    "LU": "Luxembourg",
    "ES": "Espagne",
    "IT": "Italie",
    "CH": "Suisse",
    "GB": "Royaume-Uni",
}

CURRENCY_SYMBOLS = {"EUR": "€"}

FORMATS = {"ubl": "UBL 2.1", "cii": "UN/CEFACT CII", "facturx": "Factur-X (XML CII joint au PDF)"}


def _group(digits: str) -> str:
    """``1234567`` → ``1 234 567`` (no-break spaces, the French way)."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return NBSP.join(parts)


def number(value: Decimal | None, *, places: int = 0) -> str:
    """A decimal number written the French way: ``1 234,5`` — at least ``places`` decimals,
    more when the value has them (a unit price of 0,1234 € stays exact)."""
    if value is None:
        return DASH
    exponent = value.normalize().as_tuple().exponent
    shown = max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    text = f"{abs(value):.{shown}f}"
    whole, _, fraction = text.partition(".")
    sign = "-" if value < 0 and value.copy_abs() != 0 else ""
    return sign + _group(whole) + ("," + fraction if fraction else "")


def amount(value: Decimal | None, currency: str | None) -> str:
    """``Decimal("1234.5"), "EUR"`` → ``1 234,50 €``; another currency keeps its ISO code."""
    if value is None:
        return DASH
    code = (currency or "").strip()
    symbol = CURRENCY_SYMBOLS.get(code.upper(), code)
    return number(value, places=2) + (NBSP + symbol if symbol else "")


def percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{number(value)}{NBSP}%"


def day(value: date | None) -> str:
    """``date(2026, 3, 1)`` → ``01/03/2026``."""
    return DASH if value is None else value.strftime("%d/%m/%Y")


def coded(table: dict[str, str], code: str | None) -> str:
    """The French label of a code, with the code itself: ``Virement SEPA (58)``."""
    if not code:
        return DASH
    label = table.get(code.strip())
    return f"{label} ({code})" if label else code


def unit(code: str | None) -> str:
    return UNITS.get((code or "").strip(), code or "")


def iban(value: str | None) -> str:
    """IBAN in groups of four, as printed on a RIB."""
    if not value:
        return DASH
    compact = "".join(value.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def origin(invoice: Invoice) -> str:
    """Where the data was read, said under the title."""
    profile = f", profil {invoice.profile}" if invoice.profile else ""
    syntax = FORMATS.get(invoice.format, invoice.format)
    return (
        f"Facture lue dans un fichier {syntax}{profile} et présentée pour lecture ; "
        "le fichier d'origine fait foi."
    )


def title(invoice: Invoice) -> str:
    noun = "Avoir" if invoice.kind == "credit_note" else "Facture"
    return f"{noun} n°{NBSP}{invoice.number or '(sans numéro)'}"


def address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    town = " ".join(part for part in (address.postcode, address.city) if part)
    country = COUNTRIES.get((address.country or "").upper(), address.country or "")
    return [line for line in (*address.lines, town, country) if line]


def identifiers(party: Party) -> list[tuple[str, str]]:
    """(label, value) pairs of a party's identifiers, the SIRET first."""
    rows: list[tuple[str, str]] = []
    if party.siret:
        rows.append(("SIRET", party.siret))
    elif party.siren:
        rows.append(("SIREN", party.siren))
    if party.legal_id and party.legal_id not in (party.siret, party.siren):
        scheme = SCHEMES.get(party.scheme or "", party.scheme or "")
        label = f"Identifiant légal ({scheme})" if scheme else "Identifiant légal"
        rows.append((label, party.legal_id))
    if party.vat:
        rows.append(("N° de TVA intracommunautaire", party.vat))
    return rows


def references(invoice: Invoice) -> list[tuple[str, str]]:
    """(label, value) pairs of the references block; absent ones are left out but the
    three Chorus Pro addressing references are always shown (an absent one says so)."""
    rows = [
        ("Numéro", invoice.number or DASH),
        ("Type", coded(TYPE_CODES, invoice.type_code)),
        ("Date d'émission", day(invoice.issue_date)),
    ]
    if invoice.due_date:
        rows.append(("Date d'échéance", day(invoice.due_date)))
    rows += [
        ("Devise", invoice.currency or DASH),
        ("Code service (référence acheteur, BT-10)", invoice.buyer_reference or "non renseigné"),
        (
            "Numéro d'engagement (bon de commande, BT-13)",
            invoice.order_reference or "non renseigné",
        ),
        ("Marché (contrat, BT-12)", invoice.contract or "non renseigné"),
    ]
    return rows


def totals(invoice: Invoice) -> list[tuple[str, str]]:
    """(label, amount) rows of the totals block, in the order of a French invoice."""
    t, cur = invoice.totals, invoice.currency
    rows = [
        ("Total HT", amount(t.ht, cur)),
        ("Total TVA", amount(t.tva, cur)),
        ("Total TTC", amount(t.ttc, cur)),
    ]
    if t.prepaid:
        rows.append(("Déjà payé (acompte)", amount(t.prepaid, cur)))
    rows.append(("Net à payer", amount(t.payable, cur)))
    return rows
