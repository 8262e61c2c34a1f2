"""Small real PDF documents, and the PES encoding of a PJ content (gzip, then base64),
written chunk by chunk: the PJ of generated flows, whatever their size."""

from __future__ import annotations

import base64
import random
import zlib
from collections.abc import Iterator

# Content above this size is made of incompressible bytes so that the flow really is big.
BIG_PJ_THRESHOLD = 1_000_000
_CHUNK = 1 << 20


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf_parts(text: str, padding: int) -> tuple[bytes, bytes]:
    """Head and tail of a one-page PDF; ``padding`` bytes of a stream object go between them."""
    content = f"BT /F1 12 Tf 72 770 Td ({_pdf_text(text)}) Tj ET\n".encode("ascii", "replace")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    count = len(objects) + 1
    if padding:
        offsets.append(len(head))
        head += b"%d 0 obj\n<</Length %d>>stream\n" % (count, padding)
        tail_start = len(head) + padding
        tail = b"\nendstream\nendobj\n"
        count += 1
    else:
        tail_start, tail = len(head), b""
    xref_at = tail_start + len(tail)
    tail += b"xref\n0 %d\n0000000000 65535 f \n" % count
    tail += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    tail += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (count, xref_at)
    return head, tail


def _pdf_layout(text: str, size: int) -> tuple[bytes, int, bytes]:
    """Head, padding length and tail of a PDF of exactly ``size`` bytes when possible."""
    head, tail = _pdf_parts(text, 0)
    if size <= len(head) + len(tail) + 64:
        return head, 0, tail
    padding = size - len(head) - len(tail)
    for _ in range(4):  # offsets and /Length grow by a few digits: converge
        head, tail = _pdf_parts(text, padding)
        padding += size - (len(head) + padding + len(tail))
    head, tail = _pdf_parts(text, padding)
    return head, padding, tail


def minimal_pdf(text: str = "Piece justificative", size: int = 0) -> bytes:
    """A small valid one-page PDF, padded with a stream object up to ``size`` bytes."""
    head, padding, tail = _pdf_layout(text, size)
    return head + b"%" * padding + tail


def pdf_chunks(text: str, size: int, rng: random.Random) -> Iterator[bytes]:
    head, padding, tail = _pdf_layout(text, size)
    yield head
    incompressible = size > BIG_PJ_THRESHOLD
    while padding:
        n = min(_CHUNK, padding)
        yield rng.randbytes(n) if incompressible else b"%" * n
        padding -= n
    yield tail


def gzip_base64_chunks(chunks: Iterator[bytes], *, level: int = 6) -> Iterator[str]:
    """gzip then base64 (the PES_PJ rule), in 76-character lines, chunk by chunk."""
    gz = zlib.compressobj(level, zlib.DEFLATED, 31)
    pending = b""

    def encode(data: bytes, final: bool) -> Iterator[str]:
        nonlocal pending
        data = pending + data
        cut = len(data) if final else len(data) - len(data) % 57
        pending = data[cut:]
        for i in range(0, cut, 57 * 1024):
            block = data[i : min(cut, i + 57 * 1024)]
            yield base64.encodebytes(block).decode("ascii")

    for chunk in chunks:
        yield from encode(gz.compress(chunk), final=False)
    yield from encode(gz.flush(), final=True)
