"""What the bytes are before any XML parser sees them, and the stream lxml reads.

* :func:`opened` turns a source (bytes, path or binary file) into a binary file object;
* :func:`sniff` and :func:`sniff_root` look at the head of the file: empty, compressed,
  binary, DOCTYPE, and the root element with its namespace;
* :class:`SafeStream` is what lxml reads: it refuses any ``<!DOCTYPE`` / ``<!ENTITY``
  anywhere in the file (so no entity is ever expanded and no DTD fetched) and stops at the
  size limit. The parser options below are a second barrier.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from .errors import SepaLimitError, SepaUnsafeXmlError

Source = bytes | bytearray | str | os.PathLike[str] | BinaryIO
"""Bytes are the file's content; ``str`` and path-likes are file paths."""

HEAD_SIZE = 1 << 16
DEFAULT_MAX_SIZE = 100 * 1024 * 1024  # 100 Mio

PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}

# For the streaming pass with a schema. lxml 6.0 / libxml2 2.14 lose well-formedness errors
# when ``resolve_entities=False`` is combined with ``iterparse(schema=...)``: a truncated
# file or a bare "&" is accepted, other errors become "no element found (line 0)". The
# option is moot there: :class:`SafeStream` refuses every DOCTYPE / ENTITY declaration
# before the parser sees it, so no entity can exist beyond the five predefined ones.
STREAM_OPTIONS: dict[str, bool] = {
    k: v for k, v in PARSER_OPTIONS.items() if k != "resolve_entities"
}

_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_CARRY = max(len(f) for f in _FORBIDDEN) - 1
_NAME = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)")
_XMLNS = re.compile(rb"""xmlns(?::([\w.\-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@contextlib.contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """A binary file object for ``source``; files opened here are closed on exit."""
    if isinstance(source, bytes | bytearray):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            yield fh
    elif hasattr(source, "read"):
        yield source
    else:
        raise TypeError(f"source SEPA non lisible : {type(source).__name__}")


def source_size(source: Source) -> int | None:
    if isinstance(source, bytes | bytearray):
        return len(source)
    if isinstance(source, str | os.PathLike):
        return os.stat(source).st_size
    return None


def read_head(source: Source) -> tuple[bytes, bool]:
    """The first :data:`HEAD_SIZE` bytes and whether they are the whole file.

    A seekable file object is put back where it was.
    """
    with opened(source) as fh:
        pos = fh.tell() if fh.seekable() else None
        head = fh.read(HEAD_SIZE + 1)
        if pos is not None:
            fh.seek(pos)
    return head[:HEAD_SIZE], len(head) <= HEAD_SIZE


@dataclass(frozen=True, slots=True)
class RootInfo:
    local: str
    namespace: str | None
    prefix: str | None
    line: int


def _strip_bom(head: bytes) -> bytes:
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    return body.lstrip(b" \t\r\n")


def sniff(head: bytes) -> str | None:
    """A problem of the head, or None: ``empty``, ``compressed``, ``binary``, ``utf16``, ``doctype``."""
    if not head.strip(b" \t\r\n\x00"):
        return "empty"
    if head.startswith((b"\x1f\x8b", b"PK\x03\x04")):
        return "compressed"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    body = _strip_bom(head)
    if not body.startswith(b"<") or b"\x00" in head[:4096]:
        return "binary"
    if any(f in head for f in _FORBIDDEN):
        return "doctype"
    return None


def sniff_root(head: bytes) -> RootInfo | None:
    """The root element of the document in ``head`` (skipping declaration and comments)."""
    body = _strip_bom(head)
    pos = 0
    while True:
        lt = body.find(b"<", pos)
        if lt < 0:
            return None
        if body.startswith(b"<?", lt):
            end = body.find(b"?>", lt)
            pos = end + 2
        elif body.startswith(b"<!--", lt):
            end = body.find(b"-->", lt + 4)
            pos = end + 3
        elif body.startswith(b"<!", lt):
            return None
        else:
            break
        if end < 0:
            return None
    match = _NAME.match(body, lt)
    if not match:
        return None
    end = body.find(b">", match.end())
    if end < 0:
        return None
    tag = body[lt:end]
    namespaces = {
        (m.group(1).decode("ascii") if m.group(1) else None): (m.group(2) or m.group(3) or b"")
        for m in _XMLNS.finditer(tag)
    }
    prefix = match.group(1).decode("ascii") if match.group(1) else None
    ns = namespaces.get(prefix)
    line = head[: len(head) - len(body) + lt].count(b"\n") + 1
    return RootInfo(
        match.group(2).decode("ascii"),
        ns.decode("utf-8", "replace") if ns is not None else None,
        prefix,
        line,
    )


class Readable(Protocol):
    """What SafeStream reads from: a binary file, or the head already read then the file."""

    def read(self, n: int = -1, /) -> bytes: ...


class SafeStream:
    """File-like wrapper given to lxml: refuses DOCTYPE/ENTITY and enforces the size limit."""

    def __init__(self, raw: Readable, max_size: int) -> None:
        self._raw = raw
        self._max_size = max_size
        self._carry = b""
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self._raw.read(n if n and n > 0 else 1 << 16)
        if not chunk:
            return b""
        self.size += len(chunk)
        if self.size > self._max_size:
            raise SepaLimitError(f"fichier plus grand que {self._max_size} octets")
        window = self._carry + chunk
        for forbidden in _FORBIDDEN:
            if forbidden in window:
                raise SepaUnsafeXmlError(forbidden.decode("ascii")[2:])
        self._carry = window[-_CARRY:]
        return chunk
