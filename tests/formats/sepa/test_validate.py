"""validate(): reference samples, generated fixtures, and one mutated file per rule."""

from __future__ import annotations

import gzip
import io
import re
from datetime import date
from decimal import Decimal

import pytest

from pigp.formats.sepa import Code, SepaReport, Severity, detect, validate
from pigp.formats.sepa.errors import SepaUnsafeXmlError
from pigp.formats.sepa.safety import SafeStream
from tests.reference import sepa_sample as sample

from .builders import DATA, TODAY

P1 = (DATA / "pain.001.001.09.xml").read_bytes()
P8 = (DATA / "pain.008.001.08.xml").read_bytes()


def codes(report: SepaReport) -> set[Code]:
    return {f.code for f in report.findings}


def only(report: SepaReport, code: Code):
    found = [f for f in report.findings if f.code is code]
    assert found, report.findings
    assert codes(report) == {code}, report.findings
    return found[0]


def mutate(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    assert old in data, old
    return data.replace(old, new, count)


# -- samples and fixtures ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "total"),
    [
        ("pain.001.001.03_generated_sepaxml.xml", "pain.001.001.03", Decimal("1750.00")),
        ("pain.008.001.02_generated_sepaxml.xml", "pain.008.001.02", Decimal("42.50")),
    ],
)
def test_reference_samples_validate(name: str, version: str, total: Decimal) -> None:
    report = validate(sample(name), today=date(2025, 3, 10))
    assert report.valid, report.findings
    assert report.version == version
    assert report.total == report.declared_sum == total
    assert report.count == report.declared_count


def test_reference_sample_dated_2025_is_late_today() -> None:
    report = validate(sample("pain.001.001.03_generated_sepaxml.xml"), today=TODAY)
    finding = only(report, Code.DATE_PAST)
    assert finding.location.batch == "DGFIPSGCEXEMPLEPOURCOM-c69067252046"
    assert finding.location.line == 24
    assert "14/03/2025" in finding.message
    assert report.schema_valid and not report.valid


@pytest.mark.parametrize(
    "name", ["pain.001.001.09", "pain.001.001.03", "pain.008.001.08", "pain.008.001.02"]
)
def test_generated_fixtures_are_clean(name: str) -> None:
    report = validate(DATA / f"{name}.xml", today=TODAY)
    assert report.valid, report.findings
    assert report.findings == ()
    assert report.version == name


def test_report_content() -> None:
    report = validate(P1, today=TODAY)
    assert report.msg_id == "PIGP-VIR-2026-0001"
    assert (report.count, report.declared_count) == (3, 3)
    assert report.total == report.declared_sum == Decimal("1750.01")
    assert [(b.pmt_inf_id, b.count, b.total, b.date) for b in report.batches] == [
        ("PIGP-VIR-2026-0001-1", 2, Decimal("1750.00"), date(2026, 12, 1)),
        ("PIGP-VIR-2026-0001-2", 1, Decimal("0.01"), date(2026, 12, 3)),
    ]
    debit = validate(P8, today=TODAY)
    assert {b.sequence_type for b in debit.batches} == {"RCUR", "FRST"}


def test_sources_path_str_and_file_objects() -> None:
    path = DATA / "pain.001.001.09.xml"
    assert validate(str(path), today=TODAY).valid
    assert validate(io.BytesIO(P1), today=TODAY).valid

    class NonSeekable(io.RawIOBase):
        def __init__(self) -> None:
            self._inner = io.BytesIO(P1)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            chunk = self._inner.read(min(len(buffer), 1000))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert validate(io.BufferedReader(NonSeekable()), today=TODAY).valid


# -- consistency of counts and sums --------------------------------------------------------


def test_wrong_group_ctrlsum() -> None:
    bad = mutate(P1, b"<CtrlSum>1750.01</CtrlSum>", b"<CtrlSum>1750.02</CtrlSum>")
    finding = only(validate(bad, today=TODAY), Code.GROUP_SUM)
    assert "1750.02" in finding.message and "1750.01" in finding.message
    assert finding.location.path == "/Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum"
    assert finding.location.line == 4


def test_wrong_group_nboftxs() -> None:
    bad = mutate(P1, b"<NbOfTxs>3</NbOfTxs>", b"<NbOfTxs>4</NbOfTxs>")
    finding = only(validate(bad, today=TODAY), Code.GROUP_COUNT)
    assert "4" in finding.message and "3" in finding.message


def test_wrong_batch_ctrlsum() -> None:
    bad = mutate(P1, b"<CtrlSum>1750.00</CtrlSum>", b"<CtrlSum>1750.10</CtrlSum>")
    finding = only(validate(bad, today=TODAY), Code.BATCH_SUM)
    assert finding.location.batch == "PIGP-VIR-2026-0001-1"
    assert finding.location.path == "/Document/CstmrCdtTrfInitn/PmtInf[1]/CtrlSum"


def test_wrong_batch_nboftxs() -> None:
    bad = mutate(P1, b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>1</NbOfTxs>")
    finding = only(validate(bad, today=TODAY), Code.BATCH_COUNT)
    assert finding.location.batch == "PIGP-VIR-2026-0001-1"


def test_amounts_are_summed_as_decimals() -> None:
    # 0.1 + 0.2 == 0.3 exactly: a float sum would report a CtrlSum mismatch.
    bad = mutate(P1, b'Ccy="EUR">1250.00<', b'Ccy="EUR">0.10<')
    bad = mutate(bad, b'Ccy="EUR">500.00<', b'Ccy="EUR">0.20<')
    bad = mutate(bad, b"<CtrlSum>1750.00</CtrlSum>", b"<CtrlSum>0.3</CtrlSum>")
    bad = mutate(bad, b"<CtrlSum>1750.01</CtrlSum>", b"<CtrlSum>0.31</CtrlSum>")
    assert validate(bad, today=TODAY).valid


# -- identifiers, currency, amounts ----------------------------------------------------------


def test_bad_creditor_iban() -> None:
    bad = mutate(P1, b"FR7630004000031234567890143", b"FR7630004000031234567890144")
    finding = only(validate(bad, today=TODAY), Code.IBAN)
    assert finding.location.end_to_end_id == "2026-000123-1"
    assert finding.location.batch == "PIGP-VIR-2026-0001-1"
    assert finding.location.path.endswith("PmtInf[1]/CdtTrfTxInf[1]/CdtrAcct/Id/IBAN")
    assert "clé de contrôle" in finding.message


def test_bad_debtor_account_iban() -> None:
    bad = mutate(P1, b"FR7630001007941234567890185", b"FR7630001007941234567890186")
    finding = only(validate(bad, today=TODAY), Code.IBAN)
    assert finding.location.end_to_end_id is None
    assert finding.location.path == "/Document/CstmrCdtTrfInitn/PmtInf[1]/DbtrAcct/Id/IBAN"


def test_bad_rib_key_inside_a_valid_iban_checksum() -> None:
    # A French IBAN whose ISO 7064 key is right but whose RIB key (last 2 BBAN digits) is not.
    bban = "30004000031234567890100"  # the right RIB key is 43
    check = 98 - int(bban + "152700") % 97  # "FR00" -> F=15, R=27
    iban = f"FR{check:02d}{bban}"
    bad = mutate(P1, b"FR7630004000031234567890143", iban.encode())
    finding = only(validate(bad, today=TODAY), Code.IBAN)
    assert "RIB" in finding.message


def test_bad_bic() -> None:
    bad = mutate(P1, b"<BICFI>BNPAFRPP</BICFI>", b"<BICFI>BNPAQQPP</BICFI>")
    finding = only(validate(bad, today=TODAY), Code.BIC)
    assert "code pays" in finding.message
    assert finding.location.end_to_end_id == "2026-000123-1"


def test_non_eur_currency() -> None:
    bad = mutate(P1, b'Ccy="EUR">500.00', b'Ccy="USD">500.00')
    finding = only(validate(bad, today=TODAY), Code.CURRENCY)
    assert finding.location.end_to_end_id == "2026-000124-1"


def test_amount_with_three_decimals() -> None:
    bad = mutate(P1, b'Ccy="EUR">0.01<', b'Ccy="EUR">0.011<')
    assert Code.AMOUNT in codes(validate(bad, today=TODAY))


def test_zero_amount() -> None:
    bad = mutate(P1, b'Ccy="EUR">0.01<', b'Ccy="EUR">0.00<')
    bad = mutate(bad, b"<CtrlSum>0.01</CtrlSum>", b"<CtrlSum>0.00</CtrlSum>")
    bad = mutate(bad, b"<CtrlSum>1750.01</CtrlSum>", b"<CtrlSum>1750.00</CtrlSum>")
    only(validate(bad, today=TODAY), Code.AMOUNT)


def test_bad_creditor_identifier() -> None:
    bad = mutate(
        P8,
        b"<Id>FR72ZZZ123456</Id>\n              <SchmeNm>",
        b"<Id>FR73ZZZ123456</Id>\n              <SchmeNm>",
        2,
    )
    report = validate(bad, today=TODAY)
    finding = only(report, Code.CREDITOR_ID)
    assert "FR73ZZZ123456" in finding.message
    assert len(report.errors) == 2  # one per batch


def test_missing_creditor_identifier() -> None:
    bad = re.sub(rb"<CdtrSchmeId>.*?</CdtrSchmeId>", b"", P8, flags=re.S)
    report = validate(bad, today=TODAY)
    finding = only(report, Code.CREDITOR_ID)
    assert "absent" in finding.message


def test_bad_debtor_iban_in_direct_debit() -> None:
    bad = mutate(P8, b"FR1420041010050500013M02606", b"FR1420041010050500013M02607")
    finding = only(validate(bad, today=TODAY), Code.IBAN)
    assert finding.location.end_to_end_id == "T2026000568"


# -- dates -----------------------------------------------------------------------------------


def test_execution_date_too_far_in_the_past() -> None:
    bad = mutate(P1, b"<Dt>2026-12-01</Dt>", b"<Dt>2026-10-01</Dt>")
    finding = only(validate(bad, today=TODAY), Code.DATE_PAST)
    assert finding.location.batch == "PIGP-VIR-2026-0001-1"


def test_execution_date_a_few_days_late_is_accepted() -> None:
    bad = mutate(P1, b"<Dt>2026-12-01</Dt>", b"<Dt>2026-11-20</Dt>")
    assert validate(bad, today=TODAY).valid
    assert not validate(bad, today=TODAY, max_days_past=3).valid


def test_execution_date_more_than_a_year_ahead() -> None:
    bad = mutate(P1, b"<Dt>2026-12-03</Dt>", b"<Dt>2028-01-03</Dt>")
    finding = only(validate(bad, today=TODAY), Code.DATE_FUTURE)
    assert finding.location.batch == "PIGP-VIR-2026-0001-2"


def test_collection_date_in_the_past() -> None:
    bad = mutate(P8, b"<ReqdColltnDt>2026-12-10", b"<ReqdColltnDt>2026-01-10", 2)
    finding = only(validate(bad, today=TODAY), Code.DATE_PAST)
    assert "prélèvement" in finding.message


def test_mandate_signed_in_the_future() -> None:
    bad = mutate(P8, b"<DtOfSgntr>2026-11-02", b"<DtOfSgntr>2026-12-25")
    finding = only(validate(bad, today=TODAY), Code.MANDATE_DATE)
    assert finding.location.end_to_end_id == "T2026000568"


# -- safety and format -------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">&lol2;</Document>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><a>&x;</a></Document>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_doctype_and_entities_are_refused(data: bytes) -> None:
    report = validate(data, today=TODAY)
    finding = only(report, Code.DOCTYPE)
    assert "DOCTYPE" in finding.message
    assert b"root:" not in repr(report).encode()


def test_entity_declared_after_the_head_is_refused() -> None:
    padding = b"<!-- " + b"x" * 70_000 + b" -->\n"
    bad = mutate(P1, b"</Document>", padding + b'<!ENTITY x "y"></Document>')
    assert Code.DOCTYPE in codes(validate(bad, today=TODAY))


def test_safe_stream_sees_a_declaration_split_between_chunks() -> None:
    class Chunks:
        def __init__(self, parts: list[bytes]) -> None:
            self.parts = parts

        def read(self, n: int = -1) -> bytes:
            return self.parts.pop(0) if self.parts else b""

    stream = SafeStream(Chunks([b"<a><!DOC", b"TYPE x></a>"]), max_size=1000)  # type: ignore[arg-type]
    stream.read()
    with pytest.raises(SepaUnsafeXmlError):
        stream.read()


def test_truncated_file() -> None:
    report = validate(P1[: len(P1) // 2], today=TODAY)
    assert codes(report) == {Code.MALFORMED}
    finding = report.errors[0]
    assert "mal formé" in finding.message and finding.location.line
    assert not report.schema_valid


def test_not_well_formed_ampersand() -> None:
    bad = mutate(P1, b"FOURNISSEUR EXEMPLE", b"FOURNISSEUR & EXEMPLE")
    assert Code.MALFORMED in codes(validate(bad, today=TODAY))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (bytes(range(256)) * 40, Code.NOT_XML),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", Code.NOT_XML),
        (gzip.compress(P1), Code.NOT_XML),
        (P1.decode().encode("utf-16"), Code.NOT_XML),
        (b"", Code.EMPTY),
        (b"  \n\t ", Code.EMPTY),
        (b"<?xml version='1.0'?>", Code.MALFORMED),
    ],
    ids=["binary", "pdf", "gzip", "utf16", "empty", "blank", "no-root"],
)
def test_garbage_gives_a_finding_never_an_exception(data: bytes, code: Code) -> None:
    report = validate(data, today=TODAY)
    assert codes(report) == {code}
    assert report.message is None and not report.valid
    assert all(f.severity is Severity.ERROR for f in report.findings)


def test_wrong_root_is_not_sepa() -> None:
    pes = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"/>'
    finding = only(validate(pes, today=TODAY), Code.NOT_SEPA)
    assert "non SEPA" in finding.message and "PES_Aller" in finding.message
    other = b'<Document xmlns="urn:example:not-iso"><x/></Document>'
    assert codes(validate(other, today=TODAY)) == {Code.NOT_SEPA}


def test_unsupported_version_and_camt() -> None:
    newer = P1.replace(b"pain.001.001.09", b"pain.001.001.11")
    finding = only(validate(newer, today=TODAY), Code.UNSUPPORTED)
    assert "pain.001.001.11" in finding.message
    camt = validate(sample("camt054.v2.xml"), today=TODAY)
    assert codes(camt) == {Code.UNSUPPORTED}
    assert "validate_camt" in camt.errors[0].message


def test_size_limit() -> None:
    assert codes(validate(P1, today=TODAY, max_size=1000)) == {Code.TOO_LARGE}
    # A stream of unknown size is stopped while it is read.
    assert Code.TOO_LARGE in codes(validate(io.BytesIO(P1 * 3), today=TODAY, max_size=len(P1) + 10))


def test_schema_error_is_located() -> None:
    bad = mutate(P1, b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>XXXX</ChrgBr>")
    report = validate(bad, today=TODAY)
    finding = only(report, Code.SCHEMA)
    assert "pain.001.001.09" in finding.message and "ChrgBr" in finding.message
    assert finding.location.path == "/Document/CstmrCdtTrfInitn/PmtInf[1]/ChrgBr"
    assert finding.location.line == bad[: bad.index(b"XXXX")].count(b"\n") + 1
    assert not report.valid


def test_schema_and_business_findings_together() -> None:
    bad = mutate(P1, b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>XXXX</ChrgBr>")
    bad = mutate(bad, b"FR7630004000031234567890143", b"FR7630004000031234567890144")
    assert codes(validate(bad, today=TODAY)) == {Code.SCHEMA, Code.IBAN}


def test_large_file_is_streamed() -> None:
    start = P1.index(b"<CdtTrfTxInf>")
    end = P1.index(b"</CdtTrfTxInf>") + len(b"</CdtTrfTxInf>")
    tx = P1[start:end]
    n = 10_000
    big = P1[:start] + tx * n + P1[P1.index(b"<CdtTrfTxInf>", end) :]
    report = validate(big, today=TODAY)
    assert report.count == n + 2  # the 2nd transfer of batch 1 and the one of batch 2
    assert report.total == Decimal("1250.00") * n + Decimal("500.00") + Decimal("0.01")
    assert codes(report) == {Code.GROUP_COUNT, Code.GROUP_SUM, Code.BATCH_COUNT, Code.BATCH_SUM}


# -- detect ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "pain.001.001.09",
        "pain.001.001.03",
        "pain.008.001.08",
        "pain.008.001.02",
        "camt.053.001.08",
        "camt.053.001.02",
        "camt.054.001.08",
        "camt.054.001.02",
    ],
)
def test_detect_fixtures(name: str) -> None:
    message = detect(DATA / f"{name}.xml")
    assert message is not None and message.name == name


def test_detect_reads_only_the_head() -> None:
    class HeadOnly(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            assert n is not None and 0 < n <= 70_000, n
            return super().read(n)

    stream = HeadOnly(P1 + b"<!-- " + b"x" * 1_000_000 + b" -->")
    assert str(detect(stream)) == "pain.001.001.09"
    assert stream.tell() == 0  # put back for the caller


def test_detect_unknown() -> None:
    assert detect(b"not xml") is None
    assert detect(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.11'/>") is None
    assert detect(b"<PES_Aller/>") is None
    assert str(detect(sample("camt053.v2.minimal.xml"))) == "camt.053.001.02"


def test_concurrent_validations_do_not_mix_their_errors() -> None:
    from concurrent.futures import ThreadPoolExecutor

    bad = mutate(P1, b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>XXXX</ChrgBr>")
    line = bad[: bad.index(b"XXXX")].count(b"\n") + 1

    def run(i: int) -> tuple[bool, tuple[tuple[str, int | None], ...]]:
        report = validate(bad if i % 2 else P1, today=TODAY)
        return report.valid, tuple((f.code.value, f.location.line) for f in report.findings)

    with ThreadPoolExecutor(4) as pool:
        results = set(pool.map(run, range(80)))
    assert results == {(True, ()), (False, (("schema", line),))}
