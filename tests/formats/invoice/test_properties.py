"""Whatever the bytes, the library answers with a report or an InvoiceError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pigp.formats.invoice import InvoiceError, Report, validate

from .conftest import sample_bytes

PREFIXES = [
    b"",
    b"%PDF-1.7\n",
    b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">',
    b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">',
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_invoice_error(prefix: bytes, body: bytes) -> None:
    try:
        report = validate(prefix + body, schematron=False)
    except InvoiceError:
        return
    assert isinstance(report, Report)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=5948), junk=st.binary(max_size=20))
def test_a_damaged_sample_is_a_report_or_invoice_error(cut: int, junk: bytes) -> None:
    data = sample_bytes("ubl/BIS3_Invoice_positive.XML")
    try:
        report = validate(data[:cut] + junk + data[cut + len(junk) :], schematron=False)
    except InvoiceError:
        return
    assert isinstance(report, Report)
