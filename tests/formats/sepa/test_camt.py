"""camt.053 / camt.054 readers, validation and writer."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from pigp.formats.sepa import (
    CAMT_053_02,
    CAMT_053_08,
    CAMT_054_02,
    CAMT_054_08,
    Code,
    CreditDebit,
    SepaFormatError,
    SepaUnsafeXmlError,
    SepaWriterError,
    StatementLine,
    iter_camt_entries,
    read_camt,
    validate_camt,
    write_camt,
)
from tests.reference import sepa_sample as sample

from .builders import DATA, TRESORERIE, statement_lines

CAMT = [CAMT_053_08, CAMT_053_02, CAMT_054_08, CAMT_054_02]


def test_sample_camt053() -> None:
    doc = read_camt(sample("camt053.v2.minimal.xml"))
    assert doc.message.name == "camt.053.001.02"
    assert doc.msg_id == "CAMT053RIB000000000001"
    (stmt,) = doc.statements
    assert stmt.id == "253EURNL26VAYB8060476890"
    assert stmt.account_iban == "NL26VAYB8060476890"
    assert [(b.type, b.signed_amount) for b in stmt.balances[:2]] == [
        ("OPBD", Decimal("18.15")),
        ("CLBD", Decimal("-27.00")),
    ]
    (entry,) = stmt.entries
    assert entry.amount == Decimal("8.85") and entry.credit and entry.currency == "EUR"
    assert entry.booking_date == date(2014, 12, 31)
    assert entry.value_date == date(2015, 1, 2)
    assert entry.status == "BOOK"
    assert entry.debtor_name == "NAME NAME"
    assert entry.debtor_iban == "NL56AGDH9619008421"
    assert entry.remittance == ("4654654654654654",)
    assert entry.line == 90


def test_sample_camt054() -> None:
    doc = read_camt(sample("camt054.v2.xml"))
    (ntf,) = doc.statements
    assert ntf.account_iban is None and ntf.account_other == "CH2801234000123456789"
    (entry,) = ntf.entries
    assert entry.direction is CreditDebit.DEBIT and entry.signed_amount == Decimal("-200000")
    assert entry.currency == "SEK"
    assert entry.booking_date == date(2007, 10, 18)  # from BookgDt/DtTm
    assert entry.account_servicer_ref == "AAAASESS-FP-ACCR001"
    assert len(entry.transactions) == 3
    assert entry.end_to_end_ids == ("MUELL/FINP/RA12345",) * 3
    assert entry.transactions[0].remittance_unstructured == (
        "Unstructured Remittance Information V1",
    )
    assert entry.transactions[2].remittance_references == (
        "Ref number V3 block 1",
        "Ref number V3 block 2",
    )
    assert entry.debtor_name == "MUELLER"


@pytest.mark.parametrize("name", ["camt053.v2.minimal.xml", "camt054.v2.xml"])
def test_samples_validate(name: str) -> None:
    report = validate_camt(sample(name))
    assert report.valid, report.findings
    assert report.count == 1


@pytest.mark.parametrize("message", CAMT, ids=lambda m: m.name)
def test_generated_statements(message) -> None:
    path = DATA / f"{message.name}.xml"
    report = validate_camt(path)
    assert report.valid, report.findings
    assert report.version == message.name
    assert report.count == 3
    assert report.total == Decimal("42.50") - Decimal("1250.00") + Decimal("300.00")
    doc = read_camt(path)
    (stmt,) = doc.statements
    assert stmt.id == "REL-2026-12-0001" and stmt.account_iban == TRESORERIE.iban
    lines = statement_lines()
    assert [(e.amount, e.direction) for e in stmt.entries] == [
        (ln.amount, ln.direction) for ln in lines
    ]
    first, second, third = stmt.entries
    assert first.end_to_end_ids == ("T2026000567",)
    assert first.account_servicer_ref == "BDF-20261210-0001"
    assert first.debtor_name == "DUPONT JEAN" and first.debtor_iban == "FR7630004000031234567890143"
    assert first.transactions[0].amount == Decimal("42.50")
    assert second.transactions[0].creditor_name == "FOURNISSEUR EXEMPLE SAS"
    assert third.remittance == ("RF18539007547034",)
    assert third.value_date == date(2026, 12, 12)
    if message.family.value == "camt.053":
        assert [(b.type, b.signed_amount) for b in stmt.balances] == [
            ("OPBD", Decimal("10000.00")),
            ("CLBD", Decimal("9092.50")),
        ]
    else:
        assert stmt.balances == ()
    assert list(iter_camt_entries(path)) == list(stmt.entries)


def test_iter_entries_of_a_large_statement() -> None:
    n = 3000
    lines = [
        StatementLine(
            Decimal(i) / 100 + Decimal("0.01"),
            CreditDebit.CREDIT,
            date(2026, 12, 1),
            end_to_end_id=f"E{i}",
        )
        for i in range(n)
    ]
    xml = write_camt(TRESORERIE.iban, lines, statement_id="BIG", created=datetime(2026, 12, 2))
    total = Decimal("0")
    count = 0
    for entry in iter_camt_entries(io.BytesIO(xml)):
        total += entry.amount
        count += 1
    assert count == n
    assert total == sum(ln.amount for ln in lines)
    report = validate_camt(xml)
    assert report.valid and report.count == n and report.total == total


def test_negative_opening_balance_and_empty_statement() -> None:
    xml = write_camt(
        TRESORERIE.iban,
        [],
        statement_id="VIDE",
        created=datetime(2026, 12, 2),
        opening_balance=Decimal("-5.00"),
    )
    (stmt,) = read_camt(xml).statements
    assert [b.signed_amount for b in stmt.balances] == [Decimal("-5.00"), Decimal("-5.00")]
    assert stmt.entries == ()


def test_writer_refuses_a_pain_message() -> None:
    from pigp.formats.sepa import PAIN_001_09

    with pytest.raises(SepaWriterError):
        write_camt(
            TRESORERIE.iban, [], message=PAIN_001_09, statement_id="X", created=datetime(2026, 1, 1)
        )


def test_validate_camt_findings() -> None:
    data = (DATA / "camt.053.001.08.xml").read_bytes()
    bad = data.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>XXXX</CdtDbtInd>", 1)
    report = validate_camt(bad)
    assert Code.SCHEMA in report.codes() and not report.valid
    assert validate_camt(data[:2000]).codes() == {Code.MALFORMED}
    assert validate_camt(DATA / "pain.001.001.09.xml").codes() == {Code.UNSUPPORTED}
    doctype = data.replace(b"<Document", b'<!DOCTYPE d [<!ENTITY x "y">]><Document', 1)
    assert validate_camt(doctype).codes() == {Code.DOCTYPE}
    assert validate_camt(b"\x00\x01garbage").codes() == {Code.NOT_XML}


def test_readers_raise_typed_errors() -> None:
    data = (DATA / "camt.053.001.08.xml").read_bytes()
    with pytest.raises(SepaFormatError):
        read_camt(data[:2000])
    with pytest.raises(SepaFormatError):
        read_camt(DATA / "pain.001.001.09.xml")
    with pytest.raises(SepaFormatError):
        list(iter_camt_entries(b""))
    with pytest.raises(SepaUnsafeXmlError):
        read_camt(data.replace(b"<Document", b'<!DOCTYPE d [<!ENTITY x "y">]><Document', 1))
    with pytest.raises(SepaFormatError):
        read_camt(data.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>XXXX</CdtDbtInd>", 1))


@pytest.mark.parametrize(
    "replacement", [b"<CdtDbtInd>XXXX</CdtDbtInd>", b""], ids=["bad", "absent"]
)
def test_unreadable_balance_direction_is_a_french_format_error(replacement: bytes) -> None:
    # The balance's CdtDbtInd went straight into CreditDebit(): an absent one gave
    # "None is not a valid CreditDebit", an unknown one "'XXXX' is not a valid ...".
    data = (DATA / "camt.053.001.08.xml").read_bytes()
    bad = data.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", replacement, 1)  # first balance
    with pytest.raises(SepaFormatError, match=r"^ligne \d+ : sens \(CdtDbtInd\) illisible$"):
        read_camt(bad)
