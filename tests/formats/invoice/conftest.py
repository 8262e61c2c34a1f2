from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from tests.reference import einvoice_sample


def sample_bytes(rel: str) -> bytes:
    return einvoice_sample(rel).read_bytes()


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def facturx_pdf() -> bytes:
    """A Factur-X PDF made by the factur-x package from a blank page and the EN 16931 sample."""
    from facturx import generate_from_binary

    xml = sample_bytes("facturx/zugferd_2p1_EN16931_Einfach.xml")
    return bytes(generate_from_binary(blank_pdf(), xml, check_xsd=False))
