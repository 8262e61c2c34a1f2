"""Schema errors are located (line, element path) in bounded memory, whatever the size:
the streaming locator must agree with libxml2 validating the whole tree."""

from __future__ import annotations

import io
import re

import pytest
from lxml import etree

from pigp.formats.pes import validate
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.safety import FlowStream, read_head
from pigp.formats.pes.schemas import MessageKind, get_schema, locate_schema_errors


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("pes") / "g.xml"
    generate_pes_aller(path, seed=2, bordereaux=2, pieces=300, pj=3)
    return path.read_bytes()


def _nth(data: bytes, needle: bytes, n: int) -> int:
    return [m.start() for m in re.finditer(re.escape(needle), data)][n]


def _break(flow: bytes) -> bytes:
    data = bytearray(flow)
    # a bad value in the 2nd, 250th and 450th mandats, a misplaced element between two
    # pièces, a PJ without IdUnique (the 3rd one)
    for n in (449, 249, 1):
        at = _nth(bytes(data), b'<TVAIntraCom V="0"/>', n)
        data[at : at + 20] = b'<TVAIntraCom V="x"/>'
    at = _nth(bytes(data), b"<Piece>", 120)
    data[at:at] = b"<Intrus/>"
    at = _nth(bytes(data), b"<IdUnique V=", -1)  # the last one is in PES_PJ/PJ[3]
    end = bytes(data).index(b"/>", at) + 2
    del data[at:end]
    return bytes(data)


def _tree_errors(data: bytes) -> list[tuple[int, str]]:
    tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    schema = get_schema("v5.17")
    assert not schema.validate(tree)
    return [(e.line, e.message) for e in schema.error_log]


def test_streaming_locator_agrees_with_tree_validation(flow: bytes) -> None:
    data = _break(flow)
    expected = _tree_errors(data)
    # libxml2 stops checking a bordereau's children after an unexpected element, so the
    # tree misses the error in Piece[250], which comes after <Intrus/>; we do not.
    assert len(expected) == 4
    raw = io.BytesIO(data)
    head, _ = read_head(raw)
    found = locate_schema_errors(FlowStream(raw, head=head), "v5.17", MessageKind.ALLER)
    lines = [f.location.line for f in found]
    assert set(lines) > {line for line, _ in expected}
    assert len(lines) == 5 and lines == sorted(lines)
    paths = [f.location.path for f in found]
    assert "/PES_Aller/PES_DepenseAller/Bordereau[1]/Piece[2]/LigneDePiece" in paths[0]
    assert any("Bordereau[1]/Piece[250]/" in p for p in paths)
    assert any("Bordereau[2]/Piece[150]/" in p for p in paths)
    assert any(p.endswith("/Intrus") for p in paths)
    assert any("PJ[3]" in p for p in paths)


def test_validate_reports_located_errors(flow: bytes) -> None:
    report = validate(_break(flow))
    xsd = [f for f in report.findings if f.rule == "xsd"]
    assert len(xsd) == 5 and all(f.location.line for f in xsd)
    assert "TVAIntraCom" in xsd[0].message and "ligne" in xsd[0].message


def test_valid_generated_flow(flow: bytes) -> None:
    assert validate(flow).valid
