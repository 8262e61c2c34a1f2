"""Streaming readers of bank statements (camt.053) and notifications (camt.054), .02 and .08.

* :func:`iter_camt_entries` yields each entry (``Ntry``) as soon as it is read, then drops
  its XML: memory stays bounded whatever the file size;
* :func:`read_camt` returns the whole document (statements, balances, entries);
* :func:`validate_camt` checks safety, well-formedness and the schema of the declared
  version, and returns a :class:`SepaReport` (``count``: entries, ``total``: credits minus
  debits).

Readers stop at the first problem with a :class:`SepaError`; :func:`validate_camt` never
raises for a bad file.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from . import _stream
from .errors import SepaFormatError, SepaUnsafeXmlError
from .report import Code, Finding, Location, SepaReport, Severity
from .safety import (
    DEFAULT_MAX_SIZE,
    HEAD_SIZE,
    STREAM_OPTIONS,
    SafeStream,
    Source,
    opened,
    sniff,
    sniff_root,
)
from .schemas import MessageFamily, SepaMessage, message_for_namespace

# ISO 20022's placeholder for a reference the initiating party did not give (EndToEndId).
NOT_PROVIDED = "NOTPROVIDED"


class CreditDebit(enum.StrEnum):
    CREDIT = "CRDT"
    DEBIT = "DBIT"


@dataclass(frozen=True, slots=True)
class CamtBatch:
    """Batch information of an entry (``NtryDtls/Btch``): the payment initiation (pain.001,
    pain.008) whose batch the bank booked as this one movement."""

    msg_id: str | None = None  # GrpHdr/MsgId of the initiation
    payment_info_id: str | None = None  # its PmtInf/PmtInfId
    count: int | None = None  # NbOfTxs
    total: Decimal | None = None  # TtlAmt
    direction: CreditDebit | None = None


@dataclass(frozen=True, slots=True)
class CamtTransaction:
    """One transaction detail (``TxDtls``) of an entry."""

    end_to_end_id: str | None = None
    amount: Decimal | None = None  # the entry's amount applies when None
    account_servicer_ref: str | None = None
    mandate_id: str | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    creditor_name: str | None = None
    creditor_iban: str | None = None
    remittance_unstructured: tuple[str, ...] = ()  # RmtInf/Ustrd
    remittance_references: tuple[str, ...] = ()  # RmtInf/Strd/CdtrRefInf/Ref
    msg_id: str | None = None  # Refs/MsgId: the initiation this transaction came in
    payment_info_id: str | None = None  # Refs/PmtInfId
    instruction_id: str | None = None  # Refs/InstrId


@dataclass(frozen=True, slots=True)
class CamtEntry:
    """One booked (or pending) movement of the account (``Ntry``)."""

    statement_id: str
    account_iban: str | None
    amount: Decimal
    currency: str
    direction: CreditDebit
    status: str | None  # BOOK, PDNG, INFO
    booking_date: date | None
    value_date: date | None
    entry_ref: str | None = None  # NtryRef
    account_servicer_ref: str | None = None  # AcctSvcrRef
    reversal: bool = False
    transactions: tuple[CamtTransaction, ...] = ()
    line: int | None = None
    batches: tuple[CamtBatch, ...] = ()  # NtryDtls/Btch: a batch booked as one entry
    additional_info: str | None = None  # AddtlNtryInf

    @property
    def credit(self) -> bool:
        return self.direction is CreditDebit.CREDIT

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.credit else -self.amount

    @property
    def booked(self) -> bool:
        """Booked on the account (neither pending nor a reversal)."""
        return not self.reversal and self.status in (None, "BOOK")

    @property
    def end_to_end_ids(self) -> tuple[str, ...]:
        return tuple(t.end_to_end_id for t in self.transactions if t.end_to_end_id)

    @property
    def given_end_to_end_ids(self) -> tuple[str, ...]:
        """The EndToEndIds of its transactions, without ``NOTPROVIDED``."""
        return tuple(i for i in self.end_to_end_ids if i != NOT_PROVIDED)

    @property
    def remittance(self) -> tuple[str, ...]:
        """Every Ustrd line and structured reference, in order (for matching)."""
        return tuple(
            x
            for t in self.transactions
            for x in (*t.remittance_unstructured, *t.remittance_references)
        )

    @property
    def debtor_name(self) -> str | None:
        return next((t.debtor_name for t in self.transactions if t.debtor_name), None)

    @property
    def debtor_iban(self) -> str | None:
        return next((t.debtor_iban for t in self.transactions if t.debtor_iban), None)

    @property
    def creditor_name(self) -> str | None:
        return next((t.creditor_name for t in self.transactions if t.creditor_name), None)

    @property
    def creditor_iban(self) -> str | None:
        return next((t.creditor_iban for t in self.transactions if t.creditor_iban), None)

    @property
    def payment_info_ids(self) -> tuple[str, ...]:
        """PmtInfId of the batch and of the transactions, without repeats, in order."""
        found = [b.payment_info_id for b in self.batches]
        found += [t.payment_info_id for t in self.transactions]
        return tuple(dict.fromkeys(x for x in found if x))

    @property
    def message_ids(self) -> tuple[str, ...]:
        """MsgId of the initiation(s) the entry books, without repeats, in order."""
        found = [b.msg_id for b in self.batches] + [t.msg_id for t in self.transactions]
        return tuple(dict.fromkeys(x for x in found if x))


@dataclass(frozen=True, slots=True)
class CamtBalance:
    type: str  # OPBD, CLBD, OPAV, CLAV, ...
    amount: Decimal
    direction: CreditDebit
    date: date | None

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.direction is CreditDebit.CREDIT else -self.amount


@dataclass(frozen=True, slots=True)
class CamtStatement:
    """A statement (``Stmt``) or a notification (``Ntfctn``) of one account."""

    id: str
    account_iban: str | None
    account_other: str | None  # Acct/Id/Othr/Id when the account has no IBAN
    currency: str | None
    created: str | None  # CreDtTm as written
    balances: tuple[CamtBalance, ...]
    entries: tuple[CamtEntry, ...]


@dataclass(frozen=True, slots=True)
class CamtDocument:
    message: SepaMessage
    msg_id: str
    created: str
    statements: tuple[CamtStatement, ...]


_CONTAINERS = {"Stmt", "Ntfctn"}


def _d(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise SepaFormatError(f"date illisible : {text!r}") from exc


def _amount(text: str | None) -> Decimal:
    try:
        return Decimal((text or "").strip())
    except InvalidOperation as exc:
        raise SepaFormatError(f"montant illisible : {text!r}") from exc


def _direction(elem: etree._Element, text: str | None) -> CreditDebit:
    """CdtDbtInd of ``elem``; a clear error (not the enum's English ValueError) otherwise."""
    if text == CreditDebit.CREDIT:
        return CreditDebit.CREDIT
    if text == CreditDebit.DEBIT:
        return CreditDebit.DEBIT
    raise SepaFormatError(f"ligne {elem.sourceline} : sens (CdtDbtInd) illisible")


class _Reader:
    """Builds typed records from end events; shared by the readers and the validator."""

    clear_depth = 4  # Document/BkToCstmrStmt/Stmt/Ntry: an entry is read whole, then dropped

    def __init__(self, message: SepaMessage) -> None:
        self.message = message
        self.ns = "{" + message.namespace + "}"
        self.msg_id = ""
        self.created = ""
        self._reset()
        self.statements: list[CamtStatement] = []
        self.pending: list[CamtEntry] = []  # entries read since the last call of take()
        self.keep_entries = True
        self.count = 0
        self.total = Decimal("0.00")

    def _reset(self) -> None:
        self.stmt_id = ""
        self.iban: str | None = None
        self.other: str | None = None
        self.currency: str | None = None
        self.stmt_created: str | None = None
        self.balances: list[CamtBalance] = []
        self.entries: list[CamtEntry] = []

    def _text(self, elem: etree._Element, path: str) -> str | None:
        node = elem.find(self._q(path))
        text: str | None = node.text if node is not None else None
        return text.strip() if text is not None else None

    def _q(self, path: str) -> str:
        return "/".join(self.ns + p for p in path.split("/"))

    def _date(self, elem: etree._Element, name: str) -> date | None:
        return _d(self._text(elem, f"{name}/Dt") or self._text(elem, f"{name}/DtTm"))

    def start(self, elem: etree._Element, path: list[str]) -> None:
        if len(path) == 3 and path[2] in _CONTAINERS:
            self._reset()

    def end(self, elem: etree._Element, path: list[str]) -> None:
        rel = tuple(path[2:])
        if not rel:
            return
        if rel == ("GrpHdr", "MsgId"):
            self.msg_id = (elem.text or "").strip()
        elif rel == ("GrpHdr", "CreDtTm"):
            self.created = (elem.text or "").strip()
        elif rel[0] in _CONTAINERS:
            self._container(rel[1:], elem)

    def _container(self, rel: tuple[str, ...], elem: etree._Element) -> None:
        text = (elem.text or "").strip()
        if not rel:
            self.statements.append(
                CamtStatement(
                    self.stmt_id,
                    self.iban,
                    self.other,
                    self.currency,
                    self.stmt_created,
                    tuple(self.balances),
                    tuple(self.entries),
                )
            )
        elif rel == ("Id",):
            self.stmt_id = text
        elif rel == ("CreDtTm",):
            self.stmt_created = text
        elif rel == ("Acct", "Id", "IBAN"):
            self.iban = text
        elif rel == ("Acct", "Id", "Othr", "Id"):
            self.other = text
        elif rel == ("Acct", "Ccy"):
            self.currency = text
        elif rel == ("Bal",):
            self.balances.append(self._balance(elem))
        elif rel == ("Ntry",):
            entry = self._entry(elem)
            self.count += 1
            self.total += entry.signed_amount
            if self.keep_entries:
                self.entries.append(entry)
            self.pending.append(entry)

    def _balance(self, elem: etree._Element) -> CamtBalance:
        amt = elem.find(self.ns + "Amt")
        return CamtBalance(
            self._text(elem, "Tp/CdOrPrtry/Cd") or self._text(elem, "Tp/CdOrPrtry/Prtry") or "",
            _amount(amt.text if amt is not None else None),
            _direction(elem, self._text(elem, "CdtDbtInd")),
            self._date(elem, "Dt"),
        )

    def _entry(self, elem: etree._Element) -> CamtEntry:
        amt = elem.find(self.ns + "Amt")
        if amt is None:
            raise SepaFormatError(f"ligne {elem.sourceline} : écriture sans montant")
        direction = _direction(elem, self._text(elem, "CdtDbtInd"))
        return CamtEntry(
            statement_id=self.stmt_id,
            account_iban=self.iban,
            amount=_amount(amt.text),
            currency=amt.get("Ccy", ""),
            direction=direction,
            status=self._text(elem, "Sts") or self._text(elem, "Sts/Cd"),
            booking_date=self._date(elem, "BookgDt"),
            value_date=self._date(elem, "ValDt"),
            entry_ref=self._text(elem, "NtryRef"),
            account_servicer_ref=self._text(elem, "AcctSvcrRef"),
            reversal=self._text(elem, "RvslInd") == "true",
            transactions=tuple(
                self._transaction(tx) for tx in elem.iterfind(self._q("NtryDtls/TxDtls"))
            ),
            line=elem.sourceline,
            batches=tuple(self._batch(b) for b in elem.iterfind(self._q("NtryDtls/Btch"))),
            additional_info=self._text(elem, "AddtlNtryInf"),
        )

    def _batch(self, btch: etree._Element) -> CamtBatch:
        count = self._text(btch, "NbOfTxs")
        total = self._text(btch, "TtlAmt")
        direction = self._text(btch, "CdtDbtInd")
        return CamtBatch(
            msg_id=self._text(btch, "MsgId"),
            payment_info_id=self._text(btch, "PmtInfId"),
            count=int(count) if count and count.isdigit() else None,
            total=_amount(total) if total else None,
            direction=_direction(btch, direction) if direction else None,
        )

    def _transaction(self, tx: etree._Element) -> CamtTransaction:
        amount = self._text(tx, "Amt") or self._text(tx, "AmtDtls/TxAmt/Amt")
        return CamtTransaction(
            end_to_end_id=self._text(tx, "Refs/EndToEndId"),
            amount=_amount(amount) if amount else None,
            account_servicer_ref=self._text(tx, "Refs/AcctSvcrRef"),
            mandate_id=self._text(tx, "Refs/MndtId"),
            # .02: Dbtr/Nm; .08: Dbtr/Pty/Nm (Party40Choice)
            debtor_name=self._text(tx, "RltdPties/Dbtr/Nm")
            or self._text(tx, "RltdPties/Dbtr/Pty/Nm"),
            debtor_iban=self._text(tx, "RltdPties/DbtrAcct/Id/IBAN"),
            creditor_name=self._text(tx, "RltdPties/Cdtr/Nm")
            or self._text(tx, "RltdPties/Cdtr/Pty/Nm"),
            creditor_iban=self._text(tx, "RltdPties/CdtrAcct/Id/IBAN"),
            remittance_unstructured=tuple(
                (n.text or "").strip() for n in tx.iterfind(self._q("RmtInf/Ustrd"))
            ),
            remittance_references=tuple(
                (n.text or "").strip() for n in tx.iterfind(self._q("RmtInf/Strd/CdtrRefInf/Ref"))
            ),
            msg_id=self._text(tx, "Refs/MsgId"),
            payment_info_id=self._text(tx, "Refs/PmtInfId"),
            instruction_id=self._text(tx, "Refs/InstrId"),
        )


def _is_camt(message: SepaMessage) -> bool:
    return message.family in (MessageFamily.STATEMENT, MessageFamily.NOTIFICATION)


def _events(source: Source, max_size: int, keep_entries: bool) -> Iterator[_Reader]:
    """Stream ``source``; yields the reader each time new entries are pending."""
    with opened(source) as fh:
        head = fh.read(HEAD_SIZE)
        problem = sniff(head)
        if problem == "doctype":
            raise SepaUnsafeXmlError("DOCTYPE")
        if problem:
            raise SepaFormatError(f"fichier non XML ({problem})")
        root = sniff_root(head)
        message = message_for_namespace(root.namespace) if root else None
        if root is None or root.local != "Document" or message is None or not _is_camt(message):
            raise SepaFormatError("fichier non camt.053 / camt.054 pris en charge")
        reader = _Reader(message)
        reader.keep_entries = keep_entries
        path: list[str] = []
        stream = SafeStream(_stream._Chain(head, fh), max_size)
        try:
            for event, elem in etree.iterparse(
                stream, events=("start", "end"), remove_comments=True, **STREAM_OPTIONS
            ):
                if event == "start":
                    path.append(_stream.local(elem.tag))
                    reader.start(elem, path)
                    continue
                reader.end(elem, path)
                if len(path) <= reader.clear_depth:
                    _stream.release(elem)
                path.pop()
                if reader.pending:
                    yield reader
        except etree.XMLSyntaxError as exc:
            raise SepaFormatError(f"XML mal formé : {exc}") from exc
        except ValueError as exc:  # fail closed on any other unreadable value
            raise SepaFormatError(str(exc)) from exc
        yield reader


def iter_camt_entries(source: Source, *, max_size: int = DEFAULT_MAX_SIZE) -> Iterator[CamtEntry]:
    """Every entry of a camt.053 / camt.054 file, in document order, in bounded memory."""
    for reader in _events(source, max_size, keep_entries=False):
        yield from reader.pending
        reader.pending.clear()


def read_camt(source: Source, *, max_size: int = DEFAULT_MAX_SIZE) -> CamtDocument:
    """The whole camt.053 / camt.054 document. Raises :class:`SepaError` on a bad file."""
    reader: _Reader | None = None
    for reader in _events(source, max_size, keep_entries=True):
        reader.pending.clear()
    assert reader is not None
    return CamtDocument(reader.message, reader.msg_id, reader.created, tuple(reader.statements))


class _CamtValidationHandler(_Reader):
    def __init__(self, message: SepaMessage) -> None:
        super().__init__(message)
        self.keep_entries = False
        self.findings: list[Finding] = []

    def end(self, elem: etree._Element, path: list[str]) -> None:
        try:
            super().end(elem, path)
        except (SepaFormatError, ValueError) as exc:
            # The schema pass reports the cause too; this keeps the location.
            self.findings.append(
                Finding(
                    Code.SCHEMA,
                    Severity.ERROR,
                    f"Écriture illisible : {exc}",
                    Location("/" + "/".join(path), elem.sourceline),
                )
            )
        self.pending.clear()


def validate_camt(source: Source, *, max_size: int = DEFAULT_MAX_SIZE) -> SepaReport:
    """Safety, well-formedness and schema of a camt.053 / camt.054 file; never raises."""
    handlers: list[_CamtValidationHandler] = []

    def handler_for(message: SepaMessage) -> _CamtValidationHandler:
        handlers.append(_CamtValidationHandler(message))
        return handlers[-1]

    out = _stream.run(
        source,
        accept=_is_camt,
        refused=(
            "Le message {message} est un ordre de paiement (pain), pas un relevé ou un avis "
            "bancaire : utilisez validate."
        ),
        handler_for=handler_for,
        max_size=max_size,
    )
    if not handlers:
        return SepaReport(out.message, tuple(out.findings), interrupted=tuple(out.interrupted))
    h = handlers[0]
    return SepaReport(
        message=out.message,
        findings=tuple(h.findings) + tuple(out.findings),
        schema_valid=out.schema_valid,
        msg_id=h.msg_id or None,
        count=h.count,
        total=h.total,
        interrupted=tuple(out.interrupted),
    )
