"""Writer of bank statements (camt.053) and notifications (camt.054), .02 and .08.

The bank's side of the exchange, for the demo and the tests: it turns typed lines into a
statement the readers of :mod:`.camt` (and the encaissement matching built on them) can
consume. Written with lxml (``sepaxml`` has no camt support) and validated against the
shipped schema before the bytes are returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from .camt import NOT_PROVIDED, CreditDebit
from .errors import SepaWriterError
from .schemas import CAMT_053_02, CAMT_053_08, CAMT_054_02, CAMT_054_08, MessageFamily, SepaMessage
from .writers import Party, to_cents, validate_output

# ISO bank transaction codes (Domain / Family / Sub-family) used by default.
RECEIVED_TRANSFER = ("PMNT", "RCDT", "ESCT")
ISSUED_TRANSFER = ("PMNT", "ICDT", "ESCT")
COLLECTED_DIRECT_DEBIT = ("PMNT", "IDDT", "ESDD")


@dataclass(frozen=True, slots=True)
class StatementTransaction:
    """One transaction detail (``TxDtls``) of an entry that books several (a detailed batch)."""

    amount: Decimal
    end_to_end_id: str | None = None
    remittance: str | None = None  # RmtInf/Ustrd
    counterparty: Party | None = None  # debtor of a credit, creditor of a debit


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One movement to write as an entry (``Ntry``).

    By default the entry has one transaction detail built from the line's own fields. A batch
    booking names its payment initiation (``msg_id`` and/or ``payment_info_id``, written as
    ``NtryDtls/Btch`` and in each detail's ``Refs``) and, when the bank details the batch, lists
    its ``transactions`` (one ``TxDtls`` each); a batch without ``transactions`` has no detail,
    unless the line gives its own (EndToEndId, counterparty, remittance): then it has that one.
    """

    amount: Decimal
    direction: CreditDebit
    booking_date: date
    value_date: date | None = None
    end_to_end_id: str | None = None
    remittance: str | None = None  # RmtInf/Ustrd
    reference: str | None = None  # RmtInf/Strd/CdtrRefInf/Ref
    account_servicer_ref: str | None = None
    counterparty: Party | None = None  # debtor of a credit, creditor of a debit
    bank_transaction_code: tuple[str, str, str] | None = None
    msg_id: str | None = None  # NtryDtls/Btch/MsgId
    payment_info_id: str | None = None  # NtryDtls/Btch/PmtInfId
    transactions: tuple[StatementTransaction, ...] = ()
    additional_info: str | None = None  # AddtlNtryInf, at most 500 characters


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    elem = etree.SubElement(parent, parent.tag.partition("}")[0] + "}" + tag, attrs)
    if text is not None:
        elem.text = text
    return elem


def _amount(amount: Decimal) -> str:
    cents = to_cents(amount)
    return f"{cents // 100}.{cents % 100:02d}"


def write_camt(
    account_iban: str,
    lines: Sequence[StatementLine],
    *,
    message: SepaMessage = CAMT_053_08,
    statement_id: str,
    msg_id: str | None = None,
    created: datetime,
    opening_balance: Decimal = Decimal("0.00"),
    account_owner: str | None = None,
) -> bytes:
    """A camt.053 statement (with opening and closing booked balances) or a camt.054
    notification of ``account_iban`` holding ``lines`` in order."""
    if message not in (CAMT_053_02, CAMT_053_08, CAMT_054_02, CAMT_054_08):
        raise SepaWriterError(f"message camt non pris en charge : {message}")
    v08 = message.version == "001.08"
    statement = message.family is MessageFamily.STATEMENT
    ns = message.namespace
    doc = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    body = _sub(doc, message.root)
    hdr = _sub(body, "GrpHdr")
    _sub(hdr, "MsgId", msg_id or statement_id)
    stamp = created.replace(microsecond=0).isoformat()
    _sub(hdr, "CreDtTm", stamp)
    stmt = _sub(body, "Stmt" if statement else "Ntfctn")
    _sub(stmt, "Id", statement_id)
    _sub(stmt, "CreDtTm", stamp)
    acct = _sub(stmt, "Acct")
    _sub(_sub(acct, "Id"), "IBAN", account_iban)
    _sub(acct, "Ccy", "EUR")
    if account_owner:
        _sub(_sub(acct, "Ownr"), "Nm", account_owner)
    if statement:
        first = min((ln.booking_date for ln in lines), default=created.date())
        last = max((ln.booking_date for ln in lines), default=created.date())
        closing = opening_balance + sum(
            (ln.amount if ln.direction is CreditDebit.CREDIT else -ln.amount for ln in lines),
            Decimal("0.00"),
        )
        _balance(stmt, "OPBD", opening_balance, first)
        _balance(stmt, "CLBD", closing, last)
    for line in lines:
        _entry(stmt, line, v08)
    validate_output(doc, message)
    data: bytes = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _balance(stmt: etree._Element, code: str, amount: Decimal, day: date) -> None:
    bal = _sub(stmt, "Bal")
    _sub(_sub(_sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
    _sub(bal, "Amt", _amount(abs(amount)) if amount else "0.00", Ccy="EUR")
    _sub(bal, "CdtDbtInd", "DBIT" if amount < 0 else "CRDT")
    _sub(_sub(bal, "Dt"), "Dt", day.isoformat())


def _entry(stmt: etree._Element, line: StatementLine, v08: bool) -> None:
    direction = CreditDebit(line.direction)
    amount = _amount(line.amount)
    ntry = _sub(stmt, "Ntry")
    _sub(ntry, "Amt", amount, Ccy="EUR")
    _sub(ntry, "CdtDbtInd", direction.value)
    sts = _sub(ntry, "Sts")
    if v08:
        _sub(sts, "Cd", "BOOK")
    else:
        sts.text = "BOOK"
    _sub(_sub(ntry, "BookgDt"), "Dt", line.booking_date.isoformat())
    _sub(_sub(ntry, "ValDt"), "Dt", (line.value_date or line.booking_date).isoformat())
    if line.account_servicer_ref:
        _sub(ntry, "AcctSvcrRef", line.account_servicer_ref)
    code = line.bank_transaction_code or (
        RECEIVED_TRANSFER if direction is CreditDebit.CREDIT else ISSUED_TRANSFER
    )
    domn = _sub(_sub(ntry, "BkTxCd"), "Domn")
    _sub(domn, "Cd", code[0])
    fmly = _sub(domn, "Fmly")
    _sub(fmly, "Cd", code[1])
    _sub(fmly, "SubFmlyCd", code[2])
    batch = bool(line.msg_id or line.payment_info_id)
    details = _sub(ntry, "NtryDtls")
    if batch:
        btch = _sub(details, "Btch")
        if line.msg_id:
            _sub(btch, "MsgId", line.msg_id)
        if line.payment_info_id:
            _sub(btch, "PmtInfId", line.payment_info_id)
        if line.transactions:
            _sub(btch, "NbOfTxs", str(len(line.transactions)))
        _sub(btch, "TtlAmt", amount, Ccy="EUR")
        _sub(btch, "CdtDbtInd", direction.value)
    if line.transactions:
        for t in line.transactions:
            _transaction(
                details,
                v08,
                direction,
                _amount(t.amount),
                refs=(line.msg_id, None, line.payment_info_id, t.end_to_end_id or NOT_PROVIDED),
                counterparty=t.counterparty,
                remittance=t.remittance,
            )
    elif not batch or line.end_to_end_id or line.counterparty or line.remittance or line.reference:
        _transaction(
            details,
            v08,
            direction,
            amount,
            refs=(
                line.msg_id,
                line.account_servicer_ref,
                line.payment_info_id,
                line.end_to_end_id or NOT_PROVIDED,
            )
            if batch or line.end_to_end_id or line.account_servicer_ref
            else None,
            counterparty=line.counterparty,
            remittance=line.remittance,
            reference=line.reference,
        )
    if line.additional_info:
        _sub(ntry, "AddtlNtryInf", line.additional_info)


def _transaction(
    details: etree._Element,
    v08: bool,
    direction: CreditDebit,
    amount: str,
    *,
    refs: tuple[str | None, str | None, str | None, str] | None,
    counterparty: Party | None,
    remittance: str | None,
    reference: str | None = None,
) -> None:
    """One ``TxDtls``; ``refs`` are (MsgId, AcctSvcrRef, PmtInfId, EndToEndId), in schema order."""
    tx = _sub(details, "TxDtls")
    if refs is not None:
        node = _sub(tx, "Refs")
        for tag, value in zip(
            ("MsgId", "AcctSvcrRef", "PmtInfId", "EndToEndId"), refs, strict=True
        ):
            if value:
                _sub(node, tag, value)
    if v08:
        _sub(tx, "Amt", amount, Ccy="EUR")
        _sub(tx, "CdtDbtInd", direction.value)
    else:
        _sub(_sub(_sub(tx, "AmtDtls"), "TxAmt"), "Amt", amount, Ccy="EUR")
    if counterparty:
        role = "Dbtr" if direction is CreditDebit.CREDIT else "Cdtr"
        parties = _sub(tx, "RltdPties")
        party = _sub(parties, role)
        _sub(_sub(party, "Pty") if v08 else party, "Nm", counterparty.name)
        _sub(_sub(_sub(parties, role + "Acct"), "Id"), "IBAN", counterparty.iban)
    if remittance or reference:
        rmt = _sub(tx, "RmtInf")
        if remittance:
            _sub(rmt, "Ustrd", remittance)
        if reference:
            _sub(_sub(_sub(rmt, "Strd"), "CdtrRefInf"), "Ref", reference)
