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

from .camt import (
    NOT_PROVIDED,
    CamtBalance,
    CamtBatch,
    CamtDocument,
    CamtEntry,
    CamtStatement,
    CamtTransaction,
    CreditDebit,
    iter_camt_entries,
    read_camt,
    validate_camt,
)
from .camt_writer import StatementLine, StatementTransaction, write_camt
from .errors import (
    SepaError,
    SepaFormatError,
    SepaInvalidOutputError,
    SepaLimitError,
    SepaSchemaError,
    SepaUnsafeXmlError,
    SepaWriterError,
)
from .report import BatchSummary, Code, Finding, Layer, Location, SepaReport, Severity
from .safety import DEFAULT_MAX_SIZE, Source
from .schemas import (
    CAMT_053_02,
    CAMT_053_08,
    CAMT_054_02,
    CAMT_054_08,
    PAIN_001_03,
    PAIN_001_09,
    PAIN_008_02,
    PAIN_008_08,
    SUPPORTED_MESSAGES,
    MessageFamily,
    SepaMessage,
    detect,
    get_schema,
)
from .validate import validate
from .writers import (
    CreditTransfer,
    DirectDebit,
    Party,
    SequenceType,
    payment_info_id_for,
    write_credit_transfer,
    write_direct_debit,
)

__all__ = [
    "CAMT_053_02",
    "CAMT_053_08",
    "CAMT_054_02",
    "CAMT_054_08",
    "DEFAULT_MAX_SIZE",
    "NOT_PROVIDED",
    "PAIN_001_03",
    "PAIN_001_09",
    "PAIN_008_02",
    "PAIN_008_08",
    "SUPPORTED_MESSAGES",
    "BatchSummary",
    "CamtBalance",
    "CamtBatch",
    "CamtDocument",
    "CamtEntry",
    "CamtStatement",
    "CamtTransaction",
    "Code",
    "CreditDebit",
    "CreditTransfer",
    "DirectDebit",
    "Finding",
    "Layer",
    "Location",
    "MessageFamily",
    "Party",
    "SepaError",
    "SepaFormatError",
    "SepaInvalidOutputError",
    "SepaLimitError",
    "SepaMessage",
    "SepaReport",
    "SepaSchemaError",
    "SepaUnsafeXmlError",
    "SepaWriterError",
    "SequenceType",
    "Severity",
    "Source",
    "StatementLine",
    "StatementTransaction",
    "detect",
    "get_schema",
    "iter_camt_entries",
    "payment_info_id_for",
    "read_camt",
    "validate",
    "validate_camt",
    "write_camt",
    "write_credit_transfer",
    "write_direct_debit",
]
