"""Streaming PJ decoding (base64 of gzip) and the byte-level Fichier filter."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import tracemalloc
import zlib

import pytest

from pigp.formats.pes import PesPjError, PesPjTooLargeError, PjDecoder, decode_pj
from pigp.formats.pes.safety import FlowStream


def _b64gz(data: bytes) -> bytes:
    return base64.encodebytes(gzip.compress(data))


@pytest.mark.parametrize("chunk", [1, 3, 77, 4096, 1 << 16])
def test_round_trip_any_chunking(chunk: int) -> None:
    original = os.urandom(50_000) + b"texte " * 20_000
    sink = io.BytesIO()
    result = decode_pj(_b64gz(original), sink, chunk_size=chunk)
    assert sink.getvalue() == original
    assert result.size == len(original) and result.gzip
    assert result.sha256 == hashlib.sha256(original).hexdigest()


def test_decode_from_a_file_object_and_str() -> None:
    sink = io.BytesIO()
    decode_pj(io.BytesIO(_b64gz(b"bonjour")), sink)
    assert sink.getvalue() == b"bonjour"
    assert decode_pj(_b64gz(b"abc").decode("ascii")).size == 3


def test_multi_member_gzip() -> None:
    data = base64.b64encode(gzip.compress(b"ab") + gzip.compress(b"cd"))
    sink = io.BytesIO()
    decode_pj(data, sink)
    assert sink.getvalue() == b"abcd"


def test_streaming_keeps_memory_flat() -> None:
    # 40 MB of content pass through with a few MB of Python allocations.
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = os.urandom(1 << 20)

    def chunks():
        carry = b""
        for _ in range(40):
            carry += comp.compress(block)
            cut = len(carry) - len(carry) % 57
            yield base64.encodebytes(carry[:cut])
            carry = carry[cut:]
        yield base64.encodebytes(carry + comp.flush())

    class Counter:
        size = 0

        def write(self, data: bytes) -> None:
            self.size += len(data)

    sink = Counter()
    tracemalloc.start()
    result = decode_pj(chunks(), sink)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sink.size == result.size == 40 << 20
    assert peak < 12_000_000


def test_gzip_bomb_is_stopped() -> None:
    bomb = base64.b64encode(gzip.compress(b"\0" * 20_000_000))
    with pytest.raises(PesPjTooLargeError, match="bombe"):
        decode_pj(bomb, max_size=1_000_000)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"!!!!", "base64"),
        (base64.b64encode(gzip.compress(b"hello world"))[:-8], "tronqué"),
        (base64.b64encode(b"plain"), "gzip"),
        (b"QUJD=QUJD", "="),
    ],
)
def test_invalid_contents(payload: bytes, message: str) -> None:
    with pytest.raises(PesPjError, match=message):
        decode_pj(payload)


def test_plain_content_is_passed_through_when_allowed() -> None:
    decoder = PjDecoder(require_gzip=False)
    decoder.feed(base64.b64encode(b"%PDF-1.4"))
    result = decoder.close()
    assert not result.gzip and result.head == b"%PDF-1.4"


class _Collect:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.lines: list[int] = []

    def start(self, line: int) -> None:
        self.parts.append(b"")
        self.lines.append(line)

    def data(self, chunk: bytes) -> None:
        self.parts[-1] += chunk

    def end(self) -> None:
        pass


def _filtered(data: bytes, chunk: int) -> tuple[bytes, _Collect, FlowStream]:
    sink = _Collect()
    stream = FlowStream(io.BytesIO(data), pj=sink, chunk_size=chunk)
    out = b""
    while piece := stream.read(max(chunk * 2, 2)):
        out += piece
    return out, sink, stream


@pytest.mark.parametrize("chunk", [1, 2, 5, 13, 1 << 16])
def test_flow_stream_diverts_fichier_content_whatever_the_chunking(
    valid_flow: bytes, chunk: int
) -> None:
    data = valid_flow.replace(b"<PES_PJ>", b"<PES_PJ><!-- <Fichier> dans un commentaire -->")
    out, sink, stream = _filtered(data, chunk)
    start = data.index(b'<Fichier MIMEType="application/pdf">') + 36
    content = data[start : data.index(b"</Fichier>")]
    assert sink.parts == [content]
    assert sink.lines == [data[:start].count(b"\n") + 1]
    assert out == data.replace(content, b"\n" * content.count(b"\n"))
    assert out.count(b"\n") == data.count(b"\n")  # line numbers preserved
    assert stream.elements == valid_flow.count(b"<") - valid_flow.count(b"</") - 2
