"""Validation of SEPA payment initiations: pain.001 (.03 / .09) and pain.008 (.02 / .08).

Order of the checks: safety and format (see :mod:`._stream`), schema of the declared
version, then the business rules, all in one streaming pass:

* ``NbOfTxs`` and ``CtrlSum`` agree with the transactions, per batch (``PmtInf``) and for
  the whole file (``GrpHdr``); amounts are :class:`~decimal.Decimal`;
* every IBAN and BIC is valid; the creditor identifier (ICS) of a pain.008 is valid;
* the currency is EUR and each amount is positive with at most 2 decimals;
* the requested execution / collection date is neither too far in the past nor more than
  a year ahead; a mandate's signature date is not in the future.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from . import _stream
from .identifiers import bic_problem, creditor_id_problem, iban_problem
from .report import BatchSummary, Code, Finding, Location, SepaReport, Severity
from .safety import DEFAULT_MAX_SIZE, Source
from .schemas import MessageFamily, SepaMessage

DEFAULT_MAX_DAYS_PAST = 15
DEFAULT_MAX_DAYS_AHEAD = 365
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")

_TX = {"CdtTrfTxInf", "DrctDbtTxInf"}
_BIC = {"BIC", "BICFI"}
_ICS = ("CdtrSchmeId", "Id", "PrvtId", "Othr", "Id")


@dataclass(slots=True)
class _Batch:
    index: int
    line: int | None
    pmt_inf_id: str | None = None
    declared_count: int | None = None
    declared_sum: Decimal | None = None
    count: int = 0
    total: Decimal = field(default_factory=lambda: Decimal("0.00"))
    date: date | None = None
    sequence_type: str | None = None
    has_creditor_id: bool = False
    tx_creditor_ids: int = 0  # transactions carrying their own ICS


@dataclass(slots=True)
class _Tx:
    index: int
    end_to_end_id: str | None = None
    amount: Decimal | None = None
    has_creditor_id: bool = False


class _PainHandler:
    clear_depth = 1 << 30  # only leaves are read: every element is dropped at its end

    def __init__(
        self, message: SepaMessage, today: date, max_days_past: int, max_days_ahead: int
    ) -> None:
        self.message = message
        self.today = today
        self.max_days_past = max_days_past
        self.max_days_ahead = max_days_ahead
        self.debit = message.family is MessageFamily.DIRECT_DEBIT
        self.findings: list[Finding] = []
        self.msg_id: str | None = None
        self.declared_count: int | None = None
        self.declared_sum: Decimal | None = None
        self.group_line: int | None = None
        self.count = 0
        self.total = Decimal("0.00")
        self.batches: list[BatchSummary] = []
        self.batch: _Batch | None = None
        self.tx: _Tx | None = None
        self.n_batches = 0
        self.finished = False

    # -- helpers -------------------------------------------------------------------------

    def _path(self, path: list[str]) -> str:
        parts = list(path)
        if len(parts) > 2 and parts[2] == "PmtInf" and self.batch:
            parts[2] = f"PmtInf[{self.batch.index}]"
            if len(parts) > 3 and parts[3] in _TX and self.tx:
                parts[3] = f"{parts[3]}[{self.tx.index}]"
        return "/" + "/".join(parts)

    def _add(
        self,
        code: Code,
        message: str,
        elem: etree._Element | None,
        path: list[str] | str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.findings.append(
            Finding(
                code,
                severity,
                message,
                Location(
                    path if isinstance(path, str) else self._path(path),
                    elem.sourceline if elem is not None else None,
                    self.batch.pmt_inf_id if self.batch else None,
                    self.tx.end_to_end_id if self.tx else None,
                ),
            )
        )

    def _decimal(self, text: str, elem: etree._Element, path: list[str]) -> Decimal | None:
        try:
            return Decimal(text)
        except InvalidOperation:  # the schema rejects it too; keep the count going
            self._add(Code.AMOUNT, f"Montant illisible : « {text} ».", elem, path)
            return None

    def _int(self, text: str) -> int | None:
        try:
            return int(text)
        except ValueError:
            return None

    # -- events --------------------------------------------------------------------------

    def start(self, elem: etree._Element, path: list[str]) -> None:
        rel = path[2:]
        if rel == ["PmtInf"]:
            self.n_batches += 1
            self.batch = _Batch(self.n_batches, elem.sourceline)
        elif len(rel) == 2 and rel[0] == "PmtInf" and rel[1] in _TX and self.batch:
            self.tx = _Tx(self.batch.count + 1)
        elif rel == ["GrpHdr"]:
            self.group_line = elem.sourceline

    def end(self, elem: etree._Element, path: list[str]) -> None:
        rel = tuple(path[2:])
        text = (elem.text or "").strip()
        if not rel:
            if len(path) == 2:
                self._end_group(elem, path)
            return
        head = rel[0]
        if head == "GrpHdr":
            if rel == ("GrpHdr", "MsgId"):
                self.msg_id = text
            elif rel == ("GrpHdr", "NbOfTxs"):
                self.declared_count = self._int(text)
            elif rel == ("GrpHdr", "CtrlSum"):
                self.declared_sum = self._decimal(text, elem, path)
        elif head == "PmtInf" and self.batch is not None:
            if len(rel) >= 2 and rel[1] in _TX:
                self._end_tx(rel[2:], text, elem, path)
            else:
                self._end_batch_field(rel[1:], text, elem, path)

    def _end_batch_field(
        self, rel: tuple[str, ...], text: str, elem: etree._Element, path: list[str]
    ) -> None:
        batch = self.batch
        assert batch is not None
        if not rel:
            self._end_batch(elem, path)
        elif rel == ("PmtInfId",):
            batch.pmt_inf_id = text
        elif rel == ("NbOfTxs",):
            batch.declared_count = self._int(text)
        elif rel == ("CtrlSum",):
            batch.declared_sum = self._decimal(text, elem, path)
        elif rel in (
            ("ReqdExctnDt",),
            ("ReqdExctnDt", "Dt"),
            ("ReqdExctnDt", "DtTm"),
            ("ReqdColltnDt",),
        ):
            if text:
                batch.date = self._check_date(text, elem, path)
        elif rel == ("PmtTpInf", "SeqTp"):
            batch.sequence_type = text
        elif rel in (("DbtrAcct", "Id", "IBAN"), ("CdtrAcct", "Id", "IBAN")):
            self._check_iban(text, elem, path)
        elif len(rel) == 3 and rel[0] in ("DbtrAgt", "CdtrAgt") and rel[2] in _BIC:
            self._check_bic(text, elem, path)
        elif rel in (("DbtrAcct", "Ccy"), ("CdtrAcct", "Ccy")) and text != "EUR":
            self._add(
                Code.CURRENCY,
                f"Le compte est tenu en « {text} » : un fichier SEPA est en euros (EUR).",
                elem,
                path,
            )
        elif rel == _ICS:
            batch.has_creditor_id = True
            self._check_creditor_id(text, elem, path)

    def _end_tx(
        self, rel: tuple[str, ...], text: str, elem: etree._Element, path: list[str]
    ) -> None:
        tx = self.tx
        if tx is None:
            return
        if not rel:
            self._finish_tx(tx)
        elif rel == ("PmtId", "EndToEndId"):
            tx.end_to_end_id = text
        elif rel in (("Amt", "InstdAmt"), ("InstdAmt",)):
            tx.amount = self._check_amount(text, elem, path)
        elif rel in (("CdtrAcct", "Id", "IBAN"), ("DbtrAcct", "Id", "IBAN")):
            self._check_iban(text, elem, path)
        elif len(rel) == 3 and rel[0] in ("CdtrAgt", "DbtrAgt") and rel[2] in _BIC:
            self._check_bic(text, elem, path)
        elif rel == ("DrctDbtTx", "MndtRltdInf", "DtOfSgntr") and text:
            self._check_mandate_date(text, elem, path)
        elif rel == ("DrctDbtTx", *_ICS):
            tx.has_creditor_id = True
            self._check_creditor_id(text, elem, path)

    def _finish_tx(self, tx: _Tx) -> None:
        batch = self.batch
        assert batch is not None
        batch.count += 1
        self.count += 1
        if tx.amount is not None:
            batch.total += tx.amount
            self.total += tx.amount
        if tx.has_creditor_id:
            batch.tx_creditor_ids += 1
        self.tx = None

    def _end_batch(self, elem: etree._Element, path: list[str]) -> None:
        batch = self.batch
        assert batch is not None
        where = self._path(path)
        if batch.declared_count is not None and batch.declared_count != batch.count:
            self._add(
                Code.BATCH_COUNT,
                f"Lot {batch.pmt_inf_id} : NbOfTxs annonce {batch.declared_count} "
                f"transaction(s), le lot en contient {batch.count}.",
                elem,
                where + "/NbOfTxs",
            )
        if batch.declared_sum is not None and batch.declared_sum != batch.total:
            self._add(
                Code.BATCH_SUM,
                f"Lot {batch.pmt_inf_id} : CtrlSum annonce {batch.declared_sum} €, la somme "
                f"des transactions est {batch.total} €.",
                elem,
                where + "/CtrlSum",
            )
        if self.debit and not batch.has_creditor_id and batch.tx_creditor_ids < batch.count:
            self._add(
                Code.CREDITOR_ID,
                f"Lot {batch.pmt_inf_id} : identifiant créancier SEPA (ICS) absent (CdtrSchmeId).",
                elem,
                where,
            )
        self.batches.append(
            BatchSummary(
                batch.pmt_inf_id,
                batch.line,
                batch.declared_count,
                batch.declared_sum,
                batch.count,
                batch.total,
                batch.date,
                batch.sequence_type,
            )
        )
        self.batch = None

    def _end_group(self, elem: etree._Element, path: list[str]) -> None:
        self.finished = True
        root = "/" + "/".join(path)
        if self.declared_count is not None and self.declared_count != self.count:
            self.findings.append(
                Finding(
                    Code.GROUP_COUNT,
                    Severity.ERROR,
                    f"L'en-tête (GrpHdr/NbOfTxs) annonce {self.declared_count} transaction(s), "
                    f"le fichier en contient {self.count}.",
                    Location(root + "/GrpHdr/NbOfTxs", self.group_line),
                )
            )
        if self.declared_sum is not None and self.declared_sum != self.total:
            self.findings.append(
                Finding(
                    Code.GROUP_SUM,
                    Severity.ERROR,
                    f"L'en-tête (GrpHdr/CtrlSum) annonce {self.declared_sum} €, la somme des "
                    f"transactions est {self.total} €.",
                    Location(root + "/GrpHdr/CtrlSum", self.group_line),
                )
            )

    # -- rules ---------------------------------------------------------------------------

    def _check_amount(self, text: str, elem: etree._Element, path: list[str]) -> Decimal | None:
        amount = self._decimal(text, elem, path)
        currency = elem.get("Ccy")
        if currency != "EUR":
            self._add(
                Code.CURRENCY,
                f"Montant en « {currency} » : un fichier SEPA est en euros (EUR).",
                elem,
                path,
            )
        if amount is not None and (
            amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT)
        ):
            self._add(
                Code.AMOUNT,
                f"Montant {text} invalide : il doit être compris entre 0,01 et "
                "999 999 999,99 € avec au plus 2 décimales.",
                elem,
                path,
            )
        return amount

    def _check_iban(self, text: str, elem: etree._Element, path: list[str]) -> None:
        reason = iban_problem(text)
        if reason:
            self._add(Code.IBAN, f"IBAN « {text} » invalide : {reason}.", elem, path)

    def _check_bic(self, text: str, elem: etree._Element, path: list[str]) -> None:
        reason = bic_problem(text)
        if reason:
            self._add(Code.BIC, f"BIC « {text} » invalide : {reason}.", elem, path)

    def _check_creditor_id(self, text: str, elem: etree._Element, path: list[str]) -> None:
        reason = creditor_id_problem(text)
        if reason:
            self._add(
                Code.CREDITOR_ID,
                f"Identifiant créancier SEPA (ICS) « {text} » invalide : {reason}.",
                elem,
                path,
            )

    def _parse_date(self, text: str, elem: etree._Element, path: list[str]) -> date | None:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            self._add(Code.SCHEMA, f"Date illisible : « {text} ».", elem, path)
            return None

    def _check_date(self, text: str, elem: etree._Element, path: list[str]) -> date | None:
        day = self._parse_date(text, elem, path)
        if day is None:
            return None
        what = "de prélèvement" if self.debit else "d'exécution"
        delta = (day - self.today).days
        if delta < -self.max_days_past:
            self._add(
                Code.DATE_PAST,
                f"La date {what} demandée ({day:%d/%m/%Y}) est passée de plus de "
                f"{self.max_days_past} jours.",
                elem,
                path,
            )
        elif delta > self.max_days_ahead:
            self._add(
                Code.DATE_FUTURE,
                f"La date {what} demandée ({day:%d/%m/%Y}) est à plus d'un an.",
                elem,
                path,
            )
        return day

    def _check_mandate_date(self, text: str, elem: etree._Element, path: list[str]) -> None:
        day = self._parse_date(text, elem, path)
        if day is not None and day > self.today:
            self._add(
                Code.MANDATE_DATE,
                f"La date de signature du mandat ({day:%d/%m/%Y}) est dans le futur.",
                elem,
                path,
            )


def validate(
    source: Source,
    *,
    today: date | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    max_days_past: int = DEFAULT_MAX_DAYS_PAST,
    max_days_ahead: int = DEFAULT_MAX_DAYS_AHEAD,
) -> SepaReport:
    """Validate a pain.001 / pain.008 file; never raises for a bad file.

    ``source``: the file's bytes, a path, or a binary file object. ``today`` defaults to the
    current date (pass it in tests and replays).
    """
    day = today or date.today()
    handlers: list[_PainHandler] = []

    def handler_for(message: SepaMessage) -> _PainHandler:
        handler = _PainHandler(message, day, max_days_past, max_days_ahead)
        handlers.append(handler)
        return handler

    out = _stream.run(
        source,
        accept=lambda m: m.is_payment,
        refused=(
            "Le message {message} est un relevé ou un avis bancaire (camt), pas un ordre de "
            "virement ou de prélèvement : utilisez validate_camt."
        ),
        handler_for=handler_for,
        max_size=max_size,
    )
    if not handlers:
        return SepaReport(out.message, tuple(out.findings), interrupted=tuple(out.interrupted))
    h = handlers[0]
    # Business findings first in document order, then the file-level ones.
    findings = tuple(h.findings) + tuple(out.findings)
    return SepaReport(
        message=out.message,
        findings=findings,
        schema_valid=out.schema_valid,
        msg_id=h.msg_id,
        declared_count=h.declared_count,
        declared_sum=h.declared_sum,
        count=h.count,
        total=h.total,
        batches=tuple(h.batches),
        interrupted=tuple(out.interrupted),
    )
