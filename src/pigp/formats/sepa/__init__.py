"""SEPA / ISO 20022 messages: pain.001, pain.008, camt.053, camt.054.

A pure library (no Django). Entry points:

* :func:`detect` — message type and version from the root namespace;
* :func:`validate` — checks a pain.001 / pain.008 file and returns a :class:`SepaReport`;
* :func:`validate_camt`, :func:`read_camt`, :func:`iter_camt_entries` — bank statements
  and notifications;
* :func:`write_credit_transfer`, :func:`write_direct_debit`, :func:`write_camt` — writers
  whose output is validated against the shipped schemas.

See ``docs/sepa.md`` for the rules, codes and limits.
"""

from __future__ import annotations

from .errors import (
    SepaError,
    SepaFormatError,
    SepaInvalidOutputError,
    SepaLimitError,
    SepaSchemaError,
    SepaUnsafeXmlError,
    SepaWriterError,
)
from .report import BatchSummary, Code, Finding, Location, SepaReport, Severity
from .safety import DEFAULT_MAX_SIZE, Source
from .schemas import (
    SUPPORTED_MESSAGES,
    MessageFamily,
    SepaMessage,
    detect,
    get_schema,
)
from .validate import validate

__all__ = [
    "DEFAULT_MAX_SIZE",
    "SUPPORTED_MESSAGES",
    "BatchSummary",
    "Code",
    "Finding",
    "Location",
    "MessageFamily",
    "SepaError",
    "SepaFormatError",
    "SepaInvalidOutputError",
    "SepaLimitError",
    "SepaMessage",
    "SepaReport",
    "SepaSchemaError",
    "SepaUnsafeXmlError",
    "SepaWriterError",
    "Severity",
    "Source",
    "detect",
    "get_schema",
    "validate",
]
