"""The validate() entry point: sources of every kind, threads, report contract."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from pigp.formats.pes import Report, ValidationOptions, validate

from .conftest import VALID_FLOW

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class _Pipe(io.RawIOBase):
    """A binary stream that cannot seek, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._data.read(min(len(view), 1000))
        view[: len(chunk)] = chunk
        return len(chunk)


def _summary(report: Report) -> tuple:
    return (
        report.valid,
        report.schema_version,
        tuple((f.rule, f.location.line, f.location.path) for f in report.findings),
        report.bordereaux,
    )


def test_sources_path_str_bytes_file_and_pipe(valid_flow: bytes) -> None:
    expected = _summary(validate(VALID_FLOW))
    assert _summary(validate(str(VALID_FLOW))) == expected
    assert _summary(validate(valid_flow)) == expected
    with open(VALID_FLOW, "rb") as fh:
        assert _summary(validate(fh)) == expected
    assert _summary(validate(_Pipe(valid_flow))) == expected


def test_non_seekable_invalid_flow_is_located(valid_flow: bytes) -> None:
    data = valid_flow.replace(b'<IdBord V="101"/>', b'<IdBord V="x"/>')
    report = validate(_Pipe(data))
    (xsd,) = [f for f in report.errors if f.rule == "xsd"]
    assert xsd.location.line == 32 and xsd.location.path.endswith("/IdBord")


def test_concurrent_validations_do_not_mix_their_messages(valid_flow: bytes, samples: Path) -> None:
    inputs = [
        valid_flow,
        valid_flow.replace(b'<IdBord V="101"/>', b'<IdBord V="x"/>'),
        valid_flow.replace(b'<NbrPce V="2"/>', b'<NbrPce V="y"/>'),
        valid_flow[:-40],
        (samples / "retour/acquit_retour_nonconforme.xml").read_bytes(),
        (samples / "aller/signed_xades122_rsa_sha256.xml").read_bytes(),
    ] * 4
    sequential = [_summary(validate(x)) for x in inputs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(lambda x: _summary(validate(x)), inputs))
    assert parallel == sequential


def test_options_are_frozen_with_documented_defaults() -> None:
    options = ValidationOptions()
    assert options.version == "v5.17" and options.accepted_versions == ()
    assert options.max_size == 1_500_000_000 and options.max_depth == 256
    assert options.max_elements == 50_000_000 and options.max_pj_decompressed == 500_000_000
    assert options.trust is None and not options.production and options.check_signatures


def test_unreadable_path_raises_a_pes_error(tmp_path: Path) -> None:
    import pytest

    from pigp.formats.pes import PesError

    with pytest.raises(PesError, match="illisible"):
        validate(tmp_path)
    with pytest.raises(PesError, match="illisible"):
        validate(tmp_path / "absent.xml")
