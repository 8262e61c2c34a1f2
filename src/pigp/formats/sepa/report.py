"""Findings and reports returned by SEPA validation (data only).

Mirrors ``pigp.formats.pes.report``: frozen dataclasses, French messages for a finance
officer, element path and line. SEPA has no acknowledgement codes of its own, so each
finding carries a short :class:`Code`.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .schemas import SepaMessage

log = logging.getLogger("pigp.formats.sepa")


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(enum.StrEnum):
    # The file as a whole (safety, format, schema): the file is refused.
    EMPTY = "empty"
    TOO_LARGE = "too-large"
    NOT_XML = "not-xml"
    DOCTYPE = "doctype"
    MALFORMED = "malformed"
    NOT_SEPA = "not-sepa"
    UNSUPPORTED = "unsupported-message"
    SCHEMA = "schema"
    # A check that could not finish: no verdict, the file cannot be accepted as it is.
    INTERRUPTED = "controle-interrompu"
    # Consistency of the counts and control sums.
    GROUP_COUNT = "group-count"
    GROUP_SUM = "group-sum"
    BATCH_COUNT = "batch-count"
    BATCH_SUM = "batch-sum"
    # Identifiers, amounts, dates.
    IBAN = "iban"
    BIC = "bic"
    CREDITOR_ID = "creditor-id"
    CURRENCY = "currency"
    AMOUNT = "amount"
    DATE_PAST = "date-past"
    DATE_FUTURE = "date-future"
    MANDATE_DATE = "mandate-date"


class Layer(enum.StrEnum):
    """A layer of the validation, as named to users when it could not finish."""

    FILE = "lecture du fichier"
    SCHEMA = "contrôle du schéma"
    RULES = "contrôle des règles métier"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: element path and line, and the batch / transaction it concerns."""

    path: str = ""  # e.g. /Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN
    line: int | None = None
    batch: str | None = None  # PmtInfId
    end_to_end_id: str | None = None  # EndToEndId


@dataclass(frozen=True, slots=True)
class Finding:
    code: Code
    severity: Severity
    message: str  # French, for a finance officer
    location: Location = field(default_factory=Location)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR


def interrupted_finding(layer: Layer, exc: BaseException) -> Finding:
    """The error that stands for a layer that could not finish (fail closed); the
    exception is logged for the operators."""
    log.warning("SEPA validation: %s interrupted", layer, exc_info=exc)
    return Finding(
        Code.INTERRUPTED,
        Severity.ERROR,
        f"Contrôle interrompu : {layer} n'a pas pu aller au bout ({type(exc).__name__}) ; "
        "le fichier ne peut pas être accepté en l'état.",
    )


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """One ``PmtInf``: what it declares and what it holds."""

    pmt_inf_id: str | None
    line: int | None
    declared_count: int | None  # NbOfTxs, None when absent
    declared_sum: Decimal | None  # CtrlSum, None when absent
    count: int  # transactions counted
    total: Decimal  # sum of the transaction amounts
    date: date | None  # ReqdExctnDt / ReqdColltnDt
    sequence_type: str | None = None  # SeqTp (pain.008): FRST, RCUR, OOFF, FNAL


@dataclass(frozen=True, slots=True)
class SepaReport:
    """Result of one validation call."""

    message: SepaMessage | None  # the message type and version applied, None when unknown
    findings: tuple[Finding, ...]
    schema_valid: bool = False  # the whole file was read and matches the XSD
    msg_id: str | None = None
    declared_count: int | None = None  # GrpHdr/NbOfTxs
    declared_sum: Decimal | None = None  # GrpHdr/CtrlSum
    count: int = 0  # transactions (or camt entries) read
    total: Decimal = Decimal("0.00")
    batches: tuple[BatchSummary, ...] = ()
    # Layers that could not finish, each with its Code.INTERRUPTED error: the report is
    # then no verdict on the file (a caller may retry it), and never valid.
    interrupted: tuple[Layer, ...] = ()

    @property
    def version(self) -> str | None:
        return self.message.name if self.message else None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        return self.schema_valid and not self.errors

    def codes(self) -> set[Code]:
        return {f.code for f in self.findings}
