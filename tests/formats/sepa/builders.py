"""Fictitious public-sector data for the SEPA tests, and the fixture files made from it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pigp.formats.sepa import (
    CAMT_053_02,
    CAMT_053_08,
    CAMT_054_02,
    CAMT_054_08,
    PAIN_001_03,
    PAIN_001_09,
    PAIN_008_02,
    PAIN_008_08,
    CreditDebit,
    CreditTransfer,
    DirectDebit,
    Party,
    SequenceType,
    StatementLine,
    write_camt,
    write_credit_transfer,
    write_direct_debit,
)
from pigp.formats.sepa.camt_writer import COLLECTED_DIRECT_DEBIT

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "sepa"


TODAY = date(2026, 11, 27)
CREATED = datetime(2026, 11, 27, 9, 30)
ICS = "FR72ZZZ123456"

TRESORERIE = Party("SGC DE TEST - COMMUNE DE TEST", "FR7630001007941234567890185", "BDFEFRPPCCT")
REGIE = Party("REGIE EAU COMMUNE DE TEST", "FR7630001007941234567890185", "BDFEFRPPCCT")
FOURNISSEUR = Party("FOURNISSEUR EXEMPLE SAS", "FR7630004000031234567890143", "BNPAFRPP")
ASSOCIATION = Party("ASSOCIATION SPORTIVE", "FR1420041010050500013M02606")
USAGER = Party("DUPONT JEAN", "FR7630004000031234567890143", "BNPAFRPP")
USAGERE = Party("DURAND MARIE", "FR1420041010050500013M02606")


def transfers() -> list[CreditTransfer]:
    return [
        CreditTransfer(
            "2026-000123-1",
            Decimal("1250.00"),
            FOURNISSEUR,
            "MDT 2026-000123 BORD 45 FACT F2026-001",
            date(2026, 12, 1),
        ),
        CreditTransfer(
            "2026-000124-1",
            Decimal("500.00"),
            ASSOCIATION,
            "MDT 2026-000124 SUBVENTION",
            date(2026, 12, 1),
        ),
        CreditTransfer(
            "2026-000125-1",
            Decimal("0.01"),
            FOURNISSEUR,
            "MDT 2026-000125 REGUL",
            date(2026, 12, 3),
        ),
    ]


def debits() -> list[DirectDebit]:
    return [
        DirectDebit(
            "T2026000567",
            Decimal("42.50"),
            USAGER,
            "RUM-EAU-000042",
            date(2023, 1, 15),
            SequenceType.RECURRENT,
            date(2026, 12, 10),
            "TITRE 2026-T-000567 EAU T4",
        ),
        DirectDebit(
            "T2026000568",
            Decimal("118.35"),
            USAGERE,
            "RUM-EAU-000043",
            date(2026, 11, 2),
            SequenceType.FIRST,
            date(2026, 12, 10),
            "TITRE 2026-T-000568 EAU T4",
        ),
    ]


def statement_lines() -> list[StatementLine]:
    return [
        StatementLine(
            Decimal("42.50"),
            CreditDebit.CREDIT,
            date(2026, 12, 10),
            end_to_end_id="T2026000567",
            remittance="TITRE 2026-T-000567 EAU T4",
            account_servicer_ref="BDF-20261210-0001",
            counterparty=USAGER,
            bank_transaction_code=COLLECTED_DIRECT_DEBIT,
        ),
        StatementLine(
            Decimal("1250.00"),
            CreditDebit.DEBIT,
            date(2026, 12, 1),
            end_to_end_id="2026-000123-1",
            remittance="MDT 2026-000123 BORD 45 FACT F2026-001",
            counterparty=FOURNISSEUR,
        ),
        StatementLine(
            Decimal("300.00"),
            CreditDebit.CREDIT,
            date(2026, 12, 11),
            value_date=date(2026, 12, 12),
            reference="RF18539007547034",
            counterparty=Party("SARL LOCATAIRE", "FR7630004000031234567890143"),
        ),
    ]


def fixtures() -> dict[str, bytes]:
    """Every file of ``tests/data/sepa``, rebuilt from the data above (deterministic)."""
    out = {}
    for message in (PAIN_001_09, PAIN_001_03):
        out[f"{message.name}.xml"] = write_credit_transfer(
            TRESORERIE, transfers(), message=message, msg_id="PIGP-VIR-2026-0001", created=CREATED
        )
    for message in (PAIN_008_08, PAIN_008_02):
        out[f"{message.name}.xml"] = write_direct_debit(
            REGIE, ICS, debits(), message=message, msg_id="PIGP-PRL-2026-0001", created=CREATED
        )
    for message in (CAMT_053_08, CAMT_053_02, CAMT_054_08, CAMT_054_02):
        out[f"{message.name}.xml"] = write_camt(
            TRESORERIE.iban,
            statement_lines(),
            message=message,
            statement_id="REL-2026-12-0001",
            msg_id="BDF-CAMT-2026-0001",
            created=datetime(2026, 12, 12, 6, 0),
            opening_balance=Decimal("10000.00"),
            account_owner="COMMUNE DE TEST",
        )
    return out


if __name__ == "__main__":  # regenerate: .venv/bin/python tests/formats/sepa/builders.py
    for name, content in fixtures().items():
        (DATA / name).write_bytes(content)
