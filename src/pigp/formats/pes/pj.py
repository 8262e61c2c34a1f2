"""Streaming decoder of PJ content (``PES_PJ/PJ/Contenu/Fichier``): base64, then gzip.

The DGFiP rule (``Class_PJ.xsd``, doc of ``Contenu``) is "compressé avec Gzip puis converti
en Base64". A PJ may weigh hundreds of megabytes, so the content is never held whole: the
base64 text is fed in pieces, decoded in 4-byte groups, inflated with a bounded output per
step (a gzip bomb stops at ``max_size``) and written to a sink.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from .errors import PesPjError, PesPjTooLargeError
from .messages import compression_message

DEFAULT_MAX_DECOMPRESSED = 500_000_000
_STEP = 1 << 20  # inflate at most 1 MiB per call so memory stays flat
_WHITESPACE = b" \t\r\n"
_GZIP_MAGIC = b"\x1f\x8b"


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _NullSink:
    def write(self, data: bytes, /) -> int:
        return len(data)


@dataclass(frozen=True, slots=True)
class PjContent:
    """What was learnt while decoding one PJ."""

    encoded_size: int  # base64 characters, whitespace excluded
    compressed_size: int  # bytes after base64 decoding (the gzip stream)
    size: int  # bytes after gunzip: the original document
    sha256: str  # of the original document
    head: bytes  # its first bytes (to sniff the real type: %PDF, <?xml, PK…)
    gzip: bool  # False when the content was not gzip (then ``size`` is the decoded size)


class PjDecoder:
    """Incremental base64 → gunzip decoder writing to ``sink``.

    ``feed()`` accepts base64 text in arbitrary pieces (whitespace allowed anywhere);
    ``close()`` checks the streams are complete and returns a :class:`PjContent`.
    With ``require_gzip=False`` a content that is plain base64 (no gzip magic) is passed
    through as is and reported with ``gzip=False``; the validator turns that into a finding.
    """

    def __init__(
        self,
        sink: Sink | None = None,
        *,
        max_size: int = DEFAULT_MAX_DECOMPRESSED,
        require_gzip: bool = False,
    ) -> None:
        self._sink: Sink = sink if sink is not None else _NullSink()
        self._max = max_size
        self._require_gzip = require_gzip
        self._carry = b""  # base64 characters not yet forming a 4-group
        self._encoded = 0
        self._compressed = 0
        self._size = 0
        self._sha = hashlib.sha256()
        self._head = b""
        self._pending = b""  # first decoded bytes, until the gzip magic can be judged
        self._mode: str | None = None  # "gzip" | "raw" once known
        self._inflater: zlib._Decompress | None = None
        self._members = 0
        self._padded = False

    # -- base64 ---------------------------------------------------------------------------
    def feed(self, text: bytes | str) -> None:
        if isinstance(text, str):
            try:
                text = text.encode("ascii")
            except UnicodeEncodeError as exc:
                raise PesPjError("le contenu de la PJ n'est pas du base64 valide") from exc
        if not text:
            return
        chunk = text.translate(None, _WHITESPACE)
        if not chunk:
            return
        if self._padded:
            raise PesPjError("le contenu base64 de la PJ continue après le remplissage '='")
        self._encoded += len(chunk)
        data = self._carry + chunk
        cut = len(data) - len(data) % 4
        self._carry = data[cut:]
        if cut:
            group = data[:cut]
            if b"=" in group[:-2] or (b"=" in group[-2:] and self._carry):
                raise PesPjError("le contenu base64 de la PJ contient '=' au milieu")
            if group.endswith(b"="):
                self._padded = True
            try:
                decoded = base64.b64decode(group, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise PesPjError(
                    "le contenu de la PJ n'est pas du base64 valide (caractère interdit)"
                ) from exc
            self._on_decoded(decoded)

    # -- gzip -----------------------------------------------------------------------------
    def _on_decoded(self, data: bytes) -> None:
        self._compressed += len(data)
        if self._mode is None:
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            if data.startswith(_GZIP_MAGIC):
                self._mode = "gzip"
                self._inflater = zlib.decompressobj(wbits=31)
            elif self._require_gzip:
                raise PesPjError("le contenu de la PJ n'est pas compressé avec gzip")
            else:
                self._mode = "raw"
        if self._mode == "raw":
            self._emit(data)
            return
        self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        while data:
            if self._inflater is None:  # a new gzip member (files may hold several)
                if not data.strip(b"\x00"):
                    return  # zero padding after the last member is tolerated
                if not data.startswith(_GZIP_MAGIC[: len(data)]):
                    raise PesPjError("données inattendues après la fin du contenu gzip de la PJ")
                self._inflater = zlib.decompressobj(wbits=31)
            inflater = self._inflater
            try:
                self._emit(inflater.decompress(data, _STEP))
                while inflater.unconsumed_tail and not inflater.eof:
                    self._emit(inflater.decompress(inflater.unconsumed_tail, _STEP))
            except zlib.error as exc:
                raise PesPjError(
                    f"le contenu gzip de la PJ est corrompu ({compression_message(str(exc))})"
                ) from exc
            if not inflater.eof:
                return
            data = inflater.unused_data
            self._inflater = None
            self._members += 1

    def _emit(self, out: bytes) -> None:
        if not out:
            return
        self._size += len(out)
        if self._size > self._max:
            raise PesPjTooLargeError(
                f"le contenu décompressé de la PJ dépasse la limite de {self._max} octets "
                "(possible bombe de décompression)"
            )
        if len(self._head) < 16:
            self._head += out[: 16 - len(self._head)]
        self._sha.update(out)
        self._sink.write(out)

    def close(self) -> PjContent:
        if self._carry.strip(b"="):
            raise PesPjError("le contenu base64 de la PJ est tronqué (longueur non multiple de 4)")
        if self._pending:
            # Fewer than two decoded bytes in all: cannot be gzip.
            if self._require_gzip:
                raise PesPjError("le contenu de la PJ n'est pas compressé avec gzip")
            self._mode = "raw"
            self._emit(self._pending)
            self._pending = b""
        if self._mode == "gzip" and (self._inflater is not None or not self._members):
            raise PesPjError("le contenu gzip de la PJ est tronqué")
        return PjContent(
            encoded_size=self._encoded,
            compressed_size=self._compressed,
            size=self._size,
            sha256=self._sha.hexdigest(),
            head=self._head,
            gzip=self._mode == "gzip",
        )


def decode_pj(
    source: bytes | str | BinaryIO | Iterable[bytes],
    sink: Sink | None = None,
    *,
    max_size: int = DEFAULT_MAX_DECOMPRESSED,
    require_gzip: bool = True,
    chunk_size: int = 1 << 16,
) -> PjContent:
    """Decode one PJ content (base64 of gzip) from ``source`` into ``sink``, streaming.

    ``source`` is the base64 text (bytes or str), a binary file object positioned on it, or
    an iterable of byte chunks. Raises :class:`PesPjError` (``PesPjTooLargeError`` for a
    decompression bomb).
    """
    decoder = PjDecoder(sink, max_size=max_size, require_gzip=require_gzip)
    if isinstance(source, (bytes, str)):
        view = source if isinstance(source, bytes) else source.encode("ascii", "replace")
        for start in range(0, len(view), chunk_size):
            decoder.feed(view[start : start + chunk_size])
    elif hasattr(source, "read"):
        while chunk := source.read(chunk_size):
            decoder.feed(chunk)
    else:
        for chunk in source:
            decoder.feed(chunk)
    return decoder.close()


class PjCollector:
    """``safety.PjHandler`` decoding every Fichier as the ``FlowStream`` meets it; results
    wait in ``done``, in document order, for the reader to attach them to their PJ."""

    def __init__(self, factory: Callable[[int], Sink | None] | None, max_size: int) -> None:
        self._factory = factory
        self._max = max_size
        self._count = 0
        self._decoder: PjDecoder | None = None
        self._error: str | None = None
        self.done: deque[tuple[PjContent | None, str | None]] = deque()

    def start(self, line: int) -> None:
        self._count += 1
        sink = self._factory(self._count) if self._factory else None
        self._decoder = PjDecoder(sink, max_size=self._max)
        self._error = None

    def data(self, chunk: bytes) -> None:
        if self._decoder is None or self._error is not None:
            return
        try:
            self._decoder.feed(chunk)
        except PesPjError as exc:
            self._error = str(exc)

    def end(self) -> None:
        if self._decoder is None:
            return
        content = None
        if self._error is None:
            try:
                content = self._decoder.close()
            except PesPjError as exc:
                self._error = str(exc)
        self.done.append((content, self._error))
        self._decoder = None
