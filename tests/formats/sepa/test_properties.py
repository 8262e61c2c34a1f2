"""Round trip: random transfers and debits -> writer -> validate is clean and totals agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pigp.formats.sepa import (
    PAIN_001_03,
    PAIN_001_09,
    PAIN_008_02,
    PAIN_008_08,
    CreditDebit,
    SequenceType,
    StatementLine,
    read_camt,
    validate,
    validate_camt,
    write_camt,
    write_credit_transfer,
    write_direct_debit,
)

from .builders import (
    ASSOCIATION,
    FOURNISSEUR,
    ICS,
    REGIE,
    TODAY,
    TRESORERIE,
    USAGER,
    USAGERE,
    debits,
    transfers,
)

amounts = st.decimals(
    min_value=Decimal("0.01"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
TODAY_DT = datetime(TODAY.year, TODAY.month, TODAY.day, 8, 0)
COMMON = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(
    items=st.lists(st.tuples(amounts, st.integers(0, 30), st.booleans()), min_size=1, max_size=25),
    message=st.sampled_from([PAIN_001_09, PAIN_001_03]),
)
def test_credit_transfer_round_trip(items, message) -> None:
    base = transfers()[0]
    batch = [
        replace(
            base,
            end_to_end_id=f"E2E-{i}",
            amount=amount,
            creditor=FOURNISSEUR if flag else ASSOCIATION,
            execution_date=TODAY + timedelta(days=days),
        )
        for i, (amount, days, flag) in enumerate(items)
    ]
    report = validate(write_credit_transfer(TRESORERIE, batch, message=message), today=TODAY)
    assert report.valid, report.findings
    assert report.count == report.declared_count == len(batch)
    assert report.total == report.declared_sum == sum(t.amount for t in batch)
    assert len(report.batches) == len({t.execution_date for t in batch})
    assert sum(b.total for b in report.batches) == report.total


@COMMON
@given(
    items=st.lists(
        st.tuples(amounts, st.sampled_from(list(SequenceType)), st.integers(0, 60), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    message=st.sampled_from([PAIN_008_08, PAIN_008_02]),
)
def test_direct_debit_round_trip(items, message) -> None:
    base = debits()[0]
    batch = [
        replace(
            base,
            end_to_end_id=f"T-{i}",
            mandate_id=f"RUM-{i}",
            amount=amount,
            sequence_type=seq,
            debtor=USAGER if flag else USAGERE,
            collection_date=TODAY + timedelta(days=days),
        )
        for i, (amount, seq, days, flag) in enumerate(items)
    ]
    report = validate(write_direct_debit(REGIE, ICS, batch, message=message), today=TODAY)
    assert report.valid, report.findings
    assert report.count == len(batch)
    assert report.total == report.declared_sum == sum(d.amount for d in batch)
    assert {(b.sequence_type, b.date) for b in report.batches} == {
        (d.sequence_type.value, d.collection_date) for d in batch
    }


@COMMON
@given(items=st.lists(st.tuples(amounts, st.booleans()), max_size=20), opening=amounts)
def test_camt_round_trip(items, opening) -> None:
    lines = [
        StatementLine(
            amount,
            CreditDebit.CREDIT if credit else CreditDebit.DEBIT,
            TODAY,
            end_to_end_id=f"E{i}",
        )
        for i, (amount, credit) in enumerate(items)
    ]
    xml = write_camt(
        TRESORERIE.iban, lines, statement_id="S", created=TODAY_DT, opening_balance=opening
    )
    report = validate_camt(xml)
    assert report.valid, report.findings
    (stmt,) = read_camt(xml).statements
    net = sum((e.signed_amount for e in stmt.entries), Decimal("0"))
    assert net == report.total
    assert stmt.balances[1].signed_amount - stmt.balances[0].signed_amount == net
    assert [e.amount for e in stmt.entries] == [ln.amount for ln in lines]
