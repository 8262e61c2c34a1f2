"""What the library returns: frozen dataclasses, amounts as ``Decimal``.

The fields follow the EN 16931 semantic model (business terms BT-n noted where the name is not
enough); a field the invoice does not carry is ``None`` (or empty), never a made-up default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Severity = Literal["error", "warning"]
Kind = Literal["invoice", "credit_note"]

# UNTDID 1001 document type codes that EN 16931 / Factur-X treat as credit notes (BT-3);
# every other code (380, 389, 384, 386, 875…) is an invoice.
CREDIT_NOTE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458"})


def kind_of(type_code: str | None) -> Kind:
    """``credit_note`` for a credit-note type code (381…), ``invoice`` otherwise (380, 389…)."""
    return "credit_note" if (type_code or "").strip() in CREDIT_NOTE_CODES else "invoice"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found: ``rule`` is a short machine name (``xsd``, ``BR-CO-10``…),
    ``message_fr`` is for a finance officer, ``path`` and ``line`` say where."""

    rule: str
    severity: Severity
    path: str
    message_fr: str
    line: int | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...] = ()
    city: str | None = None
    postcode: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str | None
    siret: str | None = None  # 14 digits, when the legal or party id is a SIRET (scheme 0009)
    siren: str | None = None  # 9 digits (scheme 0002), or the head of the SIRET
    scheme: str | None = None  # ISO 6523 scheme of the legal registration id (BT-30 / BT-47)
    legal_id: str | None = None  # the legal registration id as written
    vat: str | None = None  # VAT identifier (BT-31 / BT-48)
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """An invoice line (BG-25)."""

    id: str | None
    quantity: Decimal | None
    unit_price: Decimal | None  # net price (BT-146)
    net_amount: Decimal | None  # BT-131
    vat_category: str | None  # BT-151 (S, Z, E, AE, K, G, O, L, M)
    vat_rate: Decimal | None  # BT-152, percent
    description: str | None  # item name (BT-153)
    unit: str | None = None  # UN/ECE rec 20 code (BT-130)


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """A VAT breakdown (BG-23)."""

    category: str | None
    rate: Decimal | None
    taxable_amount: Decimal | None
    tax_amount: Decimal | None
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    """Document totals (BG-22): HT (BT-109), TVA (BT-110), TTC (BT-112), prepaid (BT-113),
    payable (BT-115)."""

    ht: Decimal | None
    tva: Decimal | None
    ttc: Decimal | None
    prepaid: Decimal | None
    payable: Decimal | None
    lines_total: Decimal | None = None  # BT-106


@dataclass(frozen=True, slots=True)
class Invoice:
    """The EN 16931 core of one invoice or credit note."""

    format: str  # "ubl" | "cii" | "facturx"
    profile: str  # EN 16931, MINIMUM, BASIC WL, BASIC, EXTENDED, EXTENDED-CTC-FR, D16B
    kind: Kind
    type_code: str | None
    number: str | None  # BT-1
    issue_date: date | None  # BT-2
    due_date: date | None  # BT-9
    currency: str | None  # BT-5
    seller: Party | None
    buyer: Party | None
    buyer_reference: str | None  # BT-10 (service code for Chorus Pro)
    order_reference: str | None  # BT-13 (engagement number)
    contract: str | None  # BT-12
    lines: tuple[Line, ...]
    vat: tuple[VatBreakdown, ...]
    totals: Totals
    payment_means: str | None  # UNTDID 4461 code (BT-81)
    iban: str | None  # BT-84


@dataclass(frozen=True, slots=True)
class Report:
    """Result of reading (and possibly validating) one file.

    ``format`` is ``ubl``, ``cii``, ``facturx`` (a PDF carrying CII) or ``pdf`` (no structured
    data); ``syntax`` is ``ubl-invoice``, ``ubl-creditnote`` or ``cii`` (None for a plain PDF);
    ``invoice`` is None when the XML could not be read safely. ``checks`` names what was verified
    (``xsd``, ``schematron:EN16931-UBL``…), so that a report says what its verdict rests on."""

    format: str
    syntax: str | None
    profile: str | None
    invoice: Invoice | None
    findings: tuple[Finding, ...]
    checks: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def valid(self) -> bool:
        return not self.errors
