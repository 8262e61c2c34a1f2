"""E-invoices (EN 16931): UBL 2.1, UN/CEFACT CII and Factur-X, read and checked.

A format library (no Django): :func:`read` recognises a file and extracts the EN 16931 core of
the invoice; :func:`validate` does the same and adds the XSD and Schematron checks of the
file's syntax and profile. Both return a :class:`Report`; a bad invoice yields error findings,
and only bytes that are no e-invoice at all raise :class:`InvoiceError`.
"""

from __future__ import annotations

from .api import read, validate
from .detect import PROFILES, cii_profile, detect
from .errors import InvoiceError
from .model import Address, Finding, Invoice, Line, Party, Report, Totals, VatBreakdown
from .safety import DEFAULT_MAX_SIZE

__all__ = [
    "DEFAULT_MAX_SIZE",
    "PROFILES",
    "Address",
    "Finding",
    "Invoice",
    "InvoiceError",
    "Line",
    "Party",
    "Report",
    "Totals",
    "VatBreakdown",
    "cii_profile",
    "detect",
    "read",
    "validate",
]
