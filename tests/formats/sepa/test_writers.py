"""Writers: outputs valid against the shipped XSD, read back to the same amounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from pigp.formats.sepa import (
    PAIN_001_03,
    PAIN_001_09,
    PAIN_008_02,
    PAIN_008_08,
    SepaInvalidOutputError,
    SepaWriterError,
    get_schema,
    validate,
    write_credit_transfer,
    write_direct_debit,
)
from pigp.formats.sepa.writers import to_cents

from .builders import CREATED, DATA, ICS, REGIE, TODAY, TRESORERIE, debits, fixtures, transfers


def instructed(xml: bytes, ns: str) -> list[tuple[str, Decimal, str]]:
    root = etree.fromstring(xml)
    q = {"s": ns}
    out = []
    for tx in root.xpath("//s:CdtTrfTxInf | //s:DrctDbtTxInf", namespaces=q):
        amt = tx.xpath(".//s:InstdAmt", namespaces=q)[0]
        e2e = tx.xpath("s:PmtId/s:EndToEndId/text()", namespaces=q)[0]
        out.append((e2e, Decimal(amt.text), amt.get("Ccy")))
    return sorted(out)


def test_fixtures_are_reproducible() -> None:
    for name, content in fixtures().items():
        assert (DATA / name).read_bytes() == content, name


@pytest.mark.parametrize("message", [PAIN_001_09, PAIN_001_03])
def test_credit_transfer(message) -> None:
    xml = write_credit_transfer(
        TRESORERIE, transfers(), message=message, msg_id="M1", created=CREATED
    )
    assert get_schema(message).validate(etree.fromstring(xml))
    assert instructed(xml, message.namespace) == sorted(
        (t.end_to_end_id, t.amount, "EUR") for t in transfers()
    )
    report = validate(xml, today=TODAY)
    assert report.valid, report.findings
    assert report.version == message.name
    assert report.total == report.declared_sum == sum(t.amount for t in transfers())
    assert len(report.batches) == 2  # one per execution date
    assert report.msg_id == "M1"
    assert [b.pmt_inf_id for b in report.batches] == ["M1-1", "M1-2"]


@pytest.mark.parametrize("message", [PAIN_008_08, PAIN_008_02])
def test_direct_debit(message) -> None:
    xml = write_direct_debit(REGIE, ICS, debits(), message=message, msg_id="D1", created=CREATED)
    assert get_schema(message).validate(etree.fromstring(xml))
    assert instructed(xml, message.namespace) == sorted(
        (d.end_to_end_id, d.amount, "EUR") for d in debits()
    )
    report = validate(xml, today=TODAY)
    assert report.valid, report.findings
    assert report.total == Decimal("160.85")
    assert {(b.sequence_type, b.count) for b in report.batches} == {("RCUR", 1), ("FRST", 1)}
    root = etree.fromstring(xml)
    q = {"s": message.namespace}
    assert root.xpath("//s:MndtId/text()", namespaces=q) == ["RUM-EAU-000042", "RUM-EAU-000043"]
    assert root.xpath("//s:CdtrSchmeId//s:Othr/s:Id/text()", namespaces=q) == [ICS, ICS]


def test_all_sequence_types() -> None:
    from pigp.formats.sepa import SequenceType

    items = [
        replace(debits()[0], end_to_end_id=f"T-{seq.value}", sequence_type=seq)
        for seq in SequenceType
    ]
    report = validate(write_direct_debit(REGIE, ICS, items), today=TODAY)
    assert report.valid
    assert sorted(b.sequence_type or "" for b in report.batches) == ["FNAL", "FRST", "OOFF", "RCUR"]


def test_accents_are_transliterated() -> None:
    item = replace(
        transfers()[0], creditor=replace(transfers()[0].creditor, name="Société Générale Élec")
    )
    xml = write_credit_transfer(TRESORERIE, [item])
    assert b"Societe Generale Elec" in xml


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("0.01"), 1),
        (Decimal("1250"), 125000),
        (Decimal("1.5"), 150),
        (Decimal("999999999.99"), 99999999999),
    ],
)
def test_to_cents(amount: Decimal, cents: int) -> None:
    assert to_cents(amount) == cents


@pytest.mark.parametrize(
    "amount", [Decimal("0.001"), Decimal("0"), Decimal("-1.00"), Decimal("1E+10"), Decimal("NaN")]
)
def test_to_cents_refuses(amount: Decimal) -> None:
    with pytest.raises(SepaWriterError):
        to_cents(amount)


def test_float_amount_is_refused() -> None:
    with pytest.raises(SepaWriterError):
        to_cents(12.5)  # type: ignore[arg-type]


def test_invalid_output_raises_a_typed_error() -> None:
    too_long = replace(transfers()[0], end_to_end_id="X" * 36)
    with pytest.raises(SepaInvalidOutputError) as info:
        write_credit_transfer(TRESORERIE, [too_long])
    assert info.value.errors and "EndToEndId" in info.value.errors[0]
    with pytest.raises(SepaInvalidOutputError):
        write_direct_debit(REGIE, ICS, [replace(debits()[0], mandate_id="")])


def test_writer_misuse() -> None:
    with pytest.raises(SepaWriterError):
        write_credit_transfer(TRESORERIE, [])
    with pytest.raises(SepaWriterError):
        write_credit_transfer(TRESORERIE, transfers(), message=PAIN_008_08)
    with pytest.raises(SepaWriterError):
        write_direct_debit(replace(REGIE, bic=None), ICS, debits(), message=PAIN_008_02)
    with pytest.raises(SepaWriterError):
        write_direct_debit(REGIE, ICS, [])


def test_bic_is_optional_in_recent_versions() -> None:
    xml = write_direct_debit(replace(REGIE, bic=None), ICS, debits())
    assert validate(xml, today=TODAY).valid
    xml = write_credit_transfer(replace(TRESORERIE, bic=None), transfers())
    assert validate(xml, today=TODAY).valid


def test_bad_identifiers_are_written_but_caught_by_validate() -> None:
    # The writer checks the schema only; business rules are validate()'s job.
    bad = replace(debits()[0], mandate_date=date(2027, 1, 1))
    report = validate(write_direct_debit(REGIE, "FR00ZZZ000000", [bad]), today=TODAY)
    assert {f.code.value for f in report.findings} == {"creditor-id", "mandate-date"}
