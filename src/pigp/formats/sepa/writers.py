"""Typed writers of SEPA payment initiations, over ``sepaxml``.

* :func:`write_credit_transfer` — pain.001.001.09 (default) or pain.001.001.03;
* :func:`write_direct_debit` — pain.008.001.08 (default) or pain.008.001.02.

Amounts are :class:`~decimal.Decimal` with at most 2 decimals; they are handed to
``sepaxml`` as integer cents. ``sepaxml`` groups transactions into batches (``PmtInf``) by
execution date, or by sequence type and collection date, and computes ``NbOfTxs`` and
``CtrlSum``. Its own check uses ``xmlschema`` (a development dependency here), so it is
turned off; instead every output is validated with lxml against the schema shipped in this
package before the bytes are returned (:class:`SepaInvalidOutputError` otherwise).
``sepaxml`` 2.7 produces valid pain.001.001.09 and pain.008.001.08, so no message is
written by hand.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from sepaxml import SepaDD, SepaTransfer

from .errors import SepaInvalidOutputError, SepaWriterError
from .safety import PARSER_OPTIONS
from .schemas import (
    PAIN_001_03,
    PAIN_001_09,
    PAIN_008_02,
    PAIN_008_08,
    SepaMessage,
    validate_tree,
)

MAX_AMOUNT = Decimal("999999999.99")


class SequenceType(enum.StrEnum):
    """Sequence of a SEPA direct debit (SeqTp)."""

    FIRST = "FRST"  # premier prélèvement d'un mandat récurrent
    RECURRENT = "RCUR"  # prélèvement suivant
    ONE_OFF = "OOFF"  # prélèvement ponctuel
    FINAL = "FNAL"  # dernier prélèvement du mandat


@dataclass(frozen=True, slots=True)
class Party:
    """A named account holder: the comptable's account, a creditor (tiers) or a debtor."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    """One transfer of a payment run (paiement d'un mandat)."""

    end_to_end_id: str  # e.g. the mandat number; at most 35 characters
    amount: Decimal
    creditor: Party
    remittance: str  # libellé (Ustrd), at most 140 characters
    execution_date: date


@dataclass(frozen=True, slots=True)
class DirectDebit:
    """One direct debit (prélèvement d'un titre) under a SEPA mandate."""

    end_to_end_id: str
    amount: Decimal
    debtor: Party
    mandate_id: str  # RUM (référence unique du mandat)
    mandate_date: date  # date de signature du mandat
    sequence_type: SequenceType
    collection_date: date
    remittance: str


def to_cents(amount: Decimal) -> int:
    """Integer cents of a positive amount with at most 2 decimals (never via float)."""
    if not isinstance(amount, Decimal):
        raise SepaWriterError(f"montant non décimal : {amount!r} (utilisez Decimal)")
    try:
        cents = (amount * 100).to_integral_exact()
    except InvalidOperation as exc:
        raise SepaWriterError(f"montant invalide : {amount}") from exc
    if cents != amount * 100:
        raise SepaWriterError(f"montant {amount} : au plus 2 décimales")
    if not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise SepaWriterError(f"montant {amount} hors de [0,01 ; 999 999 999,99]")
    return int(cents)


def write_credit_transfer(
    debtor: Party,
    transfers: Sequence[CreditTransfer],
    *,
    message: SepaMessage = PAIN_001_09,
    msg_id: str | None = None,
    created: datetime | None = None,
) -> bytes:
    """A pain.001 credit-transfer file paying ``transfers`` from ``debtor``'s account."""
    if message not in (PAIN_001_09, PAIN_001_03):
        raise SepaWriterError(f"version de virement non prise en charge : {message}")
    if not transfers:
        raise SepaWriterError("aucun virement à émettre")
    config: dict[str, Any] = {
        "name": debtor.name,
        "IBAN": debtor.iban,
        "batch": True,
        "currency": "EUR",
    }
    if debtor.bic:
        config["BIC"] = debtor.bic
    writer = SepaTransfer(config, schema=message.name, clean=True)
    for t in transfers:
        payment: dict[str, Any] = {
            "name": t.creditor.name,
            "IBAN": t.creditor.iban,
            "amount": to_cents(t.amount),
            "execution_date": t.execution_date,
            "description": t.remittance,
            "endtoend_id": t.end_to_end_id,
        }
        if t.creditor.bic:
            payment["BIC"] = t.creditor.bic
        writer.add_payment(payment)
    return _finish(writer.export(validate=False), message, msg_id, created)


def write_direct_debit(
    creditor: Party,
    creditor_id: str,
    debits: Sequence[DirectDebit],
    *,
    message: SepaMessage = PAIN_008_08,
    msg_id: str | None = None,
    created: datetime | None = None,
    instrument: str = "CORE",
) -> bytes:
    """A pain.008 direct-debit file collecting ``debits`` for ``creditor`` (ICS ``creditor_id``)."""
    if message not in (PAIN_008_08, PAIN_008_02):
        raise SepaWriterError(f"version de prélèvement non prise en charge : {message}")
    if not debits:
        raise SepaWriterError("aucun prélèvement à émettre")
    if message is PAIN_008_02 and not creditor.bic:
        raise SepaWriterError("pain.008.001.02 exige le BIC du créancier")
    config: dict[str, Any] = {
        "name": creditor.name,
        "IBAN": creditor.iban,
        "batch": True,
        "creditor_id": creditor_id,
        "currency": "EUR",
        "instrument": instrument,
    }
    if creditor.bic:
        config["BIC"] = creditor.bic
    writer = SepaDD(config, schema=message.name, clean=True)
    for d in debits:
        payment: dict[str, Any] = {
            "name": d.debtor.name,
            "IBAN": d.debtor.iban,
            "amount": to_cents(d.amount),
            "type": SequenceType(d.sequence_type).value,
            "collection_date": d.collection_date,
            "mandate_id": d.mandate_id,
            "mandate_date": d.mandate_date,
            "description": d.remittance,
            "endtoend_id": d.end_to_end_id,
        }
        if d.debtor.bic:
            payment["BIC"] = d.debtor.bic
        writer.add_payment(payment)
    return _finish(writer.export(validate=False), message, msg_id, created)


def _finish(
    raw: bytes, message: SepaMessage, msg_id: str | None, created: datetime | None
) -> bytes:
    """Fix the identifiers when asked (reproducible files), validate, serialise."""
    parser = etree.XMLParser(remove_blank_text=True, **PARSER_OPTIONS)
    root = etree.fromstring(raw, parser)
    ns = {"s": message.namespace}
    if msg_id is not None:
        _set(root, "s:*/s:GrpHdr/s:MsgId", ns, msg_id)
        # PmtInfId are random in sepaxml; derive them from the message id instead.
        for i, node in enumerate(root.xpath("s:*/s:PmtInf/s:PmtInfId", namespaces=ns), 1):
            node.text = payment_info_id_for(msg_id, i)
    if created is not None:
        _set(root, "s:*/s:GrpHdr/s:CreDtTm", ns, created.replace(microsecond=0).isoformat())
    validate_output(root, message)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def payment_info_id_for(msg_id: str, index: int) -> str:
    """The PmtInfId the writers give the ``index``-th batch (from 1, in document order) of a
    file written with ``msg_id``: what a bank statement quotes when it books that batch.

    Transfers are batched by execution date, direct debits by (sequence type, collection
    date): a file whose transactions share them has exactly one batch, ``index`` 1.
    """
    return f"{msg_id[:30]}-{index}"


def _set(root: etree._Element, xpath: str, ns: dict[str, str], value: str) -> None:
    for node in root.xpath(xpath, namespaces=ns):
        node.text = value


def validate_output(root: etree._Element, message: SepaMessage) -> None:
    """Raise :class:`SepaInvalidOutputError` unless ``root`` matches ``message``'s schema."""
    errors = validate_tree(message, root)
    if errors:
        lines = tuple(f"ligne {e.line} : {e.message}" for e in errors)
        raise SepaInvalidOutputError(
            f"le fichier {message.name} produit n'est pas conforme au schéma : {lines[0]}",
            lines,
        )
