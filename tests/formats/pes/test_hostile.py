"""Hostile and broken inputs: each gives a clear finding, without crash, network, or
unbounded time and memory."""

from __future__ import annotations

import base64
import gzip
import io
import re
import time
import tracemalloc
import zlib

import pytest

from pigp.formats.pes import NumAnoAck, Report, Scope, ValidationOptions, validate

NS = b"http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"


def _check(data: bytes, *, rule: str, code: NumAnoAck, **options: object) -> Report:
    start = time.monotonic()
    report = validate(io.BytesIO(data), options=ValidationOptions(**options))
    assert time.monotonic() - start < 20
    assert not report.valid
    matching = [f for f in report.errors if f.rule == rule]
    assert matching, [(f.rule, f.message) for f in report.findings]
    assert matching[0].code is code
    assert matching[0].scope is Scope.FLUX
    assert matching[0].message
    return report


def test_empty_file(no_network: None) -> None:
    _check(b"", rule="prolog-empty", code=NumAnoAck.FLUX_VIDE)
    _check(b"  \r\n ", rule="prolog-empty", code=NumAnoAck.FLUX_VIDE)


def test_billion_laughs(no_network: None) -> None:
    lol = b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    data = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
        + lol
        + b']><n:PES_Aller xmlns:n="'
        + NS
        + b'">&lol9;</n:PES_Aller>'
    )
    _check(data, rule="prolog-doctype", code=NumAnoAck.SCHEMA_INCOMPLET)


@pytest.mark.parametrize("target", [b"file:///etc/passwd", b"http://example.invalid/x"])
def test_external_entity(no_network: None, target: bytes) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "' + target + b'">]>'
        b'<n:PES_Aller xmlns:n="' + NS + b'">&e;</n:PES_Aller>'
    )
    report = _check(data, rule="prolog-doctype", code=NumAnoAck.SCHEMA_INCOMPLET)
    assert "root:" not in "".join(f.message for f in report.findings)


def test_external_dtd(no_network: None) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE n:PES_Aller SYSTEM "http://example.invalid/pes.dtd">'
        b'<n:PES_Aller xmlns:n="' + NS + b'"/>'
    )
    _check(data, rule="prolog-doctype", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_doctype_after_a_long_comment_is_still_refused(no_network: None) -> None:
    data = (
        b'<?xml version="1.0"?><!--' + b"x" * 200_000 + b'--><!DOCTYPE x [<!ENTITY e "e">]>'
        b'<n:PES_Aller xmlns:n="' + NS + b'">&e;</n:PES_Aller>'
    )
    _check(data, rule="prolog-doctype", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_doctype_inside_the_document_is_refused_by_the_stream(no_network: None) -> None:
    data = b'<?xml version="1.0"?><n:PES_Aller xmlns:n="' + NS + b'"><!DOCTYPE x></n:PES_Aller>'
    _check(data, rule="doctype", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_undeclared_entity_reference(no_network: None, valid_flow: bytes) -> None:
    data = valid_flow.replace(b'<IdBord V="101"/>', b'<IdBord V="&x;"/>')
    _check(data, rule="entity", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_ten_thousand_deep_nesting(no_network: None) -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?><n:PES_Aller xmlns:n="'
        + NS
        + b'">'
        + b"<a>" * 10_000
        + b"</a>" * 10_000
        + b"</n:PES_Aller>"
    )
    _check(data, rule="limit", code=NumAnoAck.AUTRE)


def test_depth_limit_of_our_own(no_network: None, valid_flow: bytes) -> None:
    _check(valid_flow, rule="limit", code=NumAnoAck.AUTRE, max_depth=4)


def test_element_count_limit(no_network: None, valid_flow: bytes) -> None:
    _check(valid_flow, rule="limit", code=NumAnoAck.AUTRE, max_elements=50)


def test_size_limit(no_network: None, valid_flow: bytes) -> None:
    _check(valid_flow, rule="limit", code=NumAnoAck.AUTRE, max_size=1000)


def test_size_limit_checked_before_reading_a_path(tmp_path, valid_flow: bytes) -> None:
    path = tmp_path / "flux.xml"
    path.write_bytes(valid_flow)
    report = validate(path, options=ValidationOptions(max_size=100))
    assert [f.rule for f in report.errors] == ["max-size"]


def test_gzip_bomb_inside_a_pj(no_network: None, valid_flow: bytes) -> None:
    # 1 GB of zeros compressed to about 1 MB, streamed without building it in memory.
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(comp.compress(zeros) for _ in range(1024)) + comp.flush()
    data = valid_flow.replace(
        valid_flow[
            valid_flow.index(b'<Fichier MIMEType="application/pdf">') : valid_flow.index(
                b"</Fichier>"
            )
        ],
        b'<Fichier MIMEType="application/pdf">' + base64.encodebytes(bomb),
    )
    tracemalloc.start()
    start = time.monotonic()
    report = validate(io.BytesIO(data), options=ValidationOptions(max_pj_decompressed=50_000_000))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.monotonic() - start < 20
    assert peak < 30_000_000
    (finding,) = [f for f in report.errors if f.rule == "pj-content"]
    assert finding.code is NumAnoAck.PJ
    assert finding.scope is Scope.PJ
    assert finding.location.pj == "PJTEST0001"
    assert "bombe" in finding.message


def test_truncated_file(no_network: None, valid_flow: bytes) -> None:
    for cut in (len(valid_flow) // 3, len(valid_flow) // 2, len(valid_flow) - 5):
        report = _check(valid_flow[:cut], rule="truncated", code=NumAnoAck.SCHEMA_INCOMPLET)
        assert "tronqué" in report.errors[0].message


def test_binary_garbage(no_network: None) -> None:
    _check(bytes(range(256)) * 40, rule="prolog-binary", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_compressed_flow(no_network: None, valid_flow: bytes) -> None:
    _check(gzip.compress(valid_flow), rule="prolog-compressed", code=NumAnoAck.ENCODING)


def test_utf16(no_network: None, valid_flow: bytes) -> None:
    text = valid_flow.decode("latin-1").replace("ISO-8859-1", "UTF-16")
    _check(text.encode("utf-16"), rule="prolog-utf16", code=NumAnoAck.ENCODING)


def test_undeclared_encoding_that_is_not_utf8(no_network: None, valid_flow: bytes) -> None:
    body = valid_flow[valid_flow.index(b"?>") + 2 :]
    _check(body, rule="prolog-bad-encoding", code=NumAnoAck.ENCODING)


def test_declared_utf8_but_latin1_bytes(no_network: None, valid_flow: bytes) -> None:
    data = valid_flow.replace(b"ISO-8859-1", b"UTF-8")
    _check(data, rule="prolog-encoding-mismatch", code=NumAnoAck.ENCODING)


def test_latin1_declared_but_invalid_utf8_late_in_file(no_network: None, valid_flow: bytes) -> None:
    # Declared UTF-8, valid in the head, a Latin-1 byte after the first 64 KiB.
    data = re.sub(rb"[\x80-\xff]", b"E", valid_flow.replace(b"ISO-8859-1", b"UTF-8"))
    data = data.replace(b"<Enveloppe>", b"<Enveloppe><!--" + b" " * 150_000 + b"-->")
    data = data.replace(b"FOURNITURES", b"FOURNITUR\xc9S")
    _check(data, rule="encoding-invalid", code=NumAnoAck.ENCODING)


def test_other_declared_encoding(no_network: None, valid_flow: bytes) -> None:
    _check(
        valid_flow.replace(b"ISO-8859-1", b"windows-1252"),
        rule="prolog-bad-encoding",
        code=NumAnoAck.ENCODING,
    )


def test_utf8_flow_is_accepted(valid_flow: bytes) -> None:
    data = valid_flow.decode("latin-1").replace("ISO-8859-1", "UTF-8").encode("utf-8")
    assert validate(data).valid


def test_wrong_root(no_network: None) -> None:
    report = _check(
        b'<?xml version="1.0" encoding="UTF-8"?><facture><total/></facture>',
        rule="root-unknown",
        code=NumAnoAck.SCHEMA_INCOMPLET,
    )
    assert "facture" in report.errors[0].message


def test_right_root_foreign_namespace(no_network: None, valid_flow: bytes) -> None:
    report = _check(
        valid_flow.replace(NS, b"urn:example:not-pes"),
        rule="root-namespace",
        code=NumAnoAck.SCHEMA_INCOMPLET,
    )
    assert "urn:example:not-pes" in report.errors[0].message


def test_right_root_without_namespace(no_network: None, valid_flow: bytes) -> None:
    data = valid_flow.replace(b' xmlns:n="' + NS + b'"', b"").replace(b"n:PES_Aller", b"PES_Aller")
    _check(data, rule="root-namespace", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_content_after_the_root(no_network: None, valid_flow: bytes) -> None:
    _check(valid_flow + b"<autre/>", rule="extra-content", code=NumAnoAck.SCHEMA_INCOMPLET)


def test_budget_document_is_reported_not_checked() -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<DocumentBudgetaire xmlns="http://www.minefi.gouv.fr/cp/demat/docbudgetaire"/>'
    )
    report = validate(data)
    assert report.root == "DocumentBudgetaire"
    (info,) = report.findings
    assert info.rule == "docbudg-not-checked"
    assert "non vérifié" in info.message


def test_many_comments_take_linear_time(valid_flow: bytes) -> None:
    data = valid_flow.replace(b"<Enveloppe>", b"<Enveloppe>" + b"<!---->" * 100_000)
    start = time.monotonic()
    assert validate(data).valid
    assert time.monotonic() - start < 15
