"""Batch bookings in camt: `NtryDtls/Btch`, detailed batches, references of the initiation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from pigp.formats.sepa import (
    CAMT_053_02,
    CAMT_053_08,
    CAMT_054_02,
    CAMT_054_08,
    CamtBatch,
    CreditDebit,
    SepaFormatError,
    StatementLine,
    StatementTransaction,
    payment_info_id_for,
    read_camt,
    validate,
    validate_camt,
    write_camt,
    write_credit_transfer,
)

from .builders import ASSOCIATION, CREATED, FOURNISSEUR, TODAY, TRESORERIE, transfers

CAMT = [CAMT_053_08, CAMT_053_02, CAMT_054_08, CAMT_054_02]
DAY = date(2026, 12, 1)


def _write(lines, message) -> bytes:
    return write_camt(
        TRESORERIE.iban,
        lines,
        message=message,
        statement_id="REL-LOTS",
        created=datetime(2026, 12, 2),
    )


@pytest.mark.parametrize("message", CAMT, ids=lambda m: m.name)
def test_batch_booking_without_details(message) -> None:
    line = StatementLine(
        Decimal("1750.00"),
        CreditDebit.DEBIT,
        DAY,
        msg_id="PIGP-7-20261201",
        payment_info_id="PIGP-7-20261201-1",
        account_servicer_ref="BQ-0001",
        additional_info="VIR SEPA EMIS LOT PIGP-7-20261201-1",
    )
    xml = _write([line], message)
    assert validate_camt(xml).valid
    [entry] = read_camt(xml).statements[0].entries
    assert entry.transactions == () and not entry.credit
    assert entry.batches == (
        CamtBatch(
            "PIGP-7-20261201", "PIGP-7-20261201-1", None, Decimal("1750.00"), CreditDebit.DEBIT
        ),
    )
    assert entry.payment_info_ids == ("PIGP-7-20261201-1",)
    assert entry.message_ids == ("PIGP-7-20261201",)
    assert entry.additional_info == "VIR SEPA EMIS LOT PIGP-7-20261201-1"
    assert entry.account_servicer_ref == "BQ-0001"
    # The batch sits in NtryDtls, before AddtlNtryInf (schema order).
    root = etree.fromstring(xml)
    names = [
        etree.QName(e).localname
        for e in root.iter()
        if etree.QName(e).localname in {"Btch", "TxDtls", "AddtlNtryInf"}
    ]
    assert names == ["Btch", "AddtlNtryInf"]


@pytest.mark.parametrize("message", CAMT, ids=lambda m: m.name)
def test_detailed_batch(message) -> None:
    details = (
        StatementTransaction(Decimal("1250.00"), "2026-000123-1", "MDT 123", FOURNISSEUR),
        StatementTransaction(Decimal("500.00"), "2026-000124-1", counterparty=ASSOCIATION),
    )
    line = StatementLine(
        Decimal("1750.00"),
        CreditDebit.DEBIT,
        DAY,
        payment_info_id="LOT-1",
        transactions=details,
    )
    xml = _write([line], message)
    report = validate_camt(xml)
    assert report.valid and report.count == 1 and report.total == Decimal("-1750.00")
    [entry] = read_camt(xml).statements[0].entries
    assert entry.end_to_end_ids == ("2026-000123-1", "2026-000124-1")
    assert [t.amount for t in entry.transactions] == [Decimal("1250.00"), Decimal("500.00")]
    assert [t.payment_info_id for t in entry.transactions] == ["LOT-1", "LOT-1"]
    assert entry.payment_info_ids == ("LOT-1",) and entry.message_ids == ()
    assert entry.batches[0].count == 2 and entry.batches[0].total == Decimal("1750.00")
    assert entry.creditor_name == "FOURNISSEUR EXEMPLE SAS"
    assert entry.creditor_iban == FOURNISSEUR.iban
    assert entry.transactions[0].remittance_unstructured == ("MDT 123",)


def test_details_without_a_batch_reference() -> None:
    details = (StatementTransaction(Decimal("1.00"), "E1"), StatementTransaction(Decimal("2.00")))
    xml = _write(
        [StatementLine(Decimal("3.00"), CreditDebit.DEBIT, DAY, transactions=details)], CAMT_053_08
    )
    [entry] = read_camt(xml).statements[0].entries
    assert entry.batches == () and entry.payment_info_ids == ()
    assert [t.end_to_end_id for t in entry.transactions] == ["E1", "NOTPROVIDED"]


@pytest.mark.parametrize("msg_id", ["M1", "PIGP-12345-20261127093000123456"])
def test_payment_info_id_for_names_the_batch_the_writer_wrote(msg_id) -> None:
    one_day = [t for t in transfers() if t.execution_date == transfers()[0].execution_date]
    xml = write_credit_transfer(TRESORERIE, one_day, msg_id=msg_id, created=CREATED)
    report = validate(xml, today=TODAY)
    assert report.msg_id == msg_id
    assert [b.pmt_inf_id for b in report.batches] == [payment_info_id_for(msg_id, 1)]
    assert len(payment_info_id_for(msg_id, 1)) <= 35


def test_unknown_batch_direction_is_a_french_format_error() -> None:
    # Btch/CdtDbtInd went straight into CreditDebit(): "'XXXX' is not a valid CreditDebit".
    line = StatementLine(
        Decimal("1750.00"),
        CreditDebit.DEBIT,
        DAY,
        msg_id="PIGP-7-20261201",
        payment_info_id="PIGP-7-20261201-1",
    )
    xml = _write([line], CAMT_053_08)
    at = xml.index(b"<Btch>")
    bad = xml[:at] + xml[at:].replace(b">DBIT<", b">XXXX<", 1)
    with pytest.raises(SepaFormatError, match=r"^ligne \d+ : sens \(CdtDbtInd\) illisible$"):
        read_camt(bad)
