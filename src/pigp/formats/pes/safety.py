"""First line of defence: what the bytes are before any XML parser sees them.

Two pieces:

* :func:`sniff` looks at the head of the file: empty, compressed, binary, UTF-16, the
  declared encoding and whether the bytes agree with it, DOCTYPE, and the root element
  with its namespace.
* :class:`FlowStream` wraps the raw file for lxml. It refuses any ``<!DOCTYPE``/``<!ENTITY``
  (so no entity can ever be expanded, no external DTD fetched), enforces the size and
  element-count limits, and takes the base64 text of ``Fichier`` elements (PJ content) out
  of the stream, handing it to a decoder in pieces. libxml2 therefore never builds a text
  node of hundreds of megabytes and ``huge_tree`` is not needed: the default libxml2 limits
  (10 MB per text node, depth 256) stay in force as a second barrier. Newlines of the
  removed text are kept so that line numbers reported by libxml2 stay those of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Protocol

from .errors import PesLimitError, PesUnsafeXmlError

HEAD_SIZE = 1 << 16

# Options for every lxml parser of this package.
PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}

ACCEPTED_ENCODINGS = {"ISO-8859-1": "ISO-8859-1", "UTF-8": "UTF-8"}

_XML_DECL = re.compile(rb"^<\?xml\s[^>]*?\?>", re.S)
_ENCODING_ATTR = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_NAME = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)")
_XMLNS = re.compile(rb"""xmlns(?::([\w.\-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem found by :func:`sniff`; the validator maps ``kind`` to a finding."""

    kind: str  # empty | compressed | binary | utf16 | bad-encoding | encoding-mismatch |
    # mojibake | doctype | no-root
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Prolog:
    declared_encoding: str | None  # as written in the XML declaration
    encoding: str | None  # the encoding we accept for the file, None when refused
    root_prefix: str | None = None
    root: str | None = None  # local name
    root_namespace: str | None = None
    root_line: int | None = None
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    # Namespaces of PES domains that no longer exist in 5.x (budget, rôle, état actif…),
    # declared on the root by the 2009-2010 generation of PES software.
    legacy_domains: tuple[str, ...] = ()


def _looks_utf16(head: bytes) -> bool:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = head[:200]
    return len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 3


def _decodes_as_utf8(head: bytes, complete: bool) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the head boundary is not an error.
        return (
            not complete and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
        )
    return True


def sniff(head: bytes, *, complete: bool) -> Prolog:
    """Inspect the first bytes of a flow. ``complete`` says whether ``head`` is the whole file."""
    if not head.strip(b" \t\r\n\x00"):
        return Prolog(None, None, problems=(Problem("empty"),))
    if head.startswith(b"\x1f\x8b"):
        return Prolog(None, None, problems=(Problem("compressed", "gzip"),))
    if head.startswith(b"PK\x03\x04"):
        return Prolog(None, None, problems=(Problem("compressed", "zip"),))
    if _looks_utf16(head) or head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return Prolog(None, None, problems=(Problem("utf16"),))
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    body = body.lstrip(b" \t\r\n")
    if not body.startswith(b"<") or b"\x00" in head[:4096]:
        return Prolog(None, None, problems=(Problem("binary"),))

    problems: list[Problem] = []
    declared: str | None = None
    decl = _XML_DECL.match(body)
    if decl:
        enc = _ENCODING_ATTR.search(decl.group(0))
        declared = enc.group(1).decode("ascii") if enc else None
    encoding: str | None
    if declared is None:
        encoding = "UTF-8"
        if not _decodes_as_utf8(head, complete):
            problems.append(Problem("bad-encoding", "undeclared-not-utf8"))
            encoding = None
    else:
        encoding = ACCEPTED_ENCODINGS.get(declared.upper())
        if encoding is None:
            problems.append(Problem("bad-encoding", declared))
        elif encoding == "UTF-8" and not _decodes_as_utf8(head, complete):
            problems.append(Problem("encoding-mismatch", declared))
            encoding = None
        elif (
            encoding == "ISO-8859-1"
            and re.search(rb"[\xc2\xc3][\x80-\xbf]", head)
            and _decodes_as_utf8(head, complete)
        ):
            problems.append(Problem("mojibake", declared))

    root = _find_root(body, head)
    if isinstance(root, Problem):
        problems.append(root)
        return Prolog(declared, encoding, problems=tuple(problems))
    prefix, local, namespace, line, legacy = root
    return Prolog(declared, encoding, prefix, local, namespace, line, tuple(problems), legacy)


_LEGACY_DOMAIN = re.compile(rb"/pes_v2/(budget|role|etatactif|etatpassif|emprunt|comptabilite)/")


def _find_root(
    body: bytes, head: bytes
) -> tuple[str | None, str, str | None, int, tuple[str, ...]] | Problem:
    pos = 0
    while True:
        lt = body.find(b"<", pos)
        if lt < 0:
            return Problem("no-root")
        if body.startswith(b"<?", lt):
            end = body.find(b"?>", lt)
            if end < 0:
                return Problem("no-root")
            pos = end + 2
        elif body.startswith(b"<!--", lt):
            end = body.find(b"-->", lt + 4)
            if end < 0:
                return Problem("no-root")
            pos = end + 3
        elif body.startswith(b"<!", lt):
            return Problem("doctype")
        else:
            break
    match = _NAME.match(body, lt)
    if not match:
        return Problem("no-root")
    end = _tag_end(body, match.end())
    if end < 0:
        return Problem("no-root")
    tag = body[lt:end]
    prefix = match.group(1).decode("ascii") if match.group(1) else None
    namespaces = {
        (m.group(1).decode("ascii") if m.group(1) else None): (m.group(2) or m.group(3) or b"")
        for m in _XMLNS.finditer(tag)
    }
    ns_bytes = namespaces.get(prefix)
    namespace = ns_bytes.decode("latin-1") if ns_bytes is not None else None
    offset = len(head) - len(body)
    line = head[: offset + lt].count(b"\n") + 1
    legacy = tuple(
        sorted(
            {
                m.group(1).decode("ascii")
                for ns in namespaces.values()
                if (m := _LEGACY_DOMAIN.search(ns))
            }
        )
    )
    return prefix, match.group(2).decode("ascii"), namespace, line, legacy


_TAG_SPECIAL = re.compile(rb"[\"'>]")


def _scan_tag(data: bytes, pos: int, quote: int | None) -> tuple[int, int | None]:
    """Scan a start tag from ``pos`` (inside a quoted value when ``quote`` is set).

    Returns the index just past its closing '>' (or -1 when not in ``data``) and the quote
    still open at the end of ``data``. Searches are done by the regex engine, not per byte.
    """
    i = pos
    while True:
        if quote is not None:
            j = data.find(bytes((quote,)), i)
            if j < 0:
                return -1, quote
            quote, i = None, j + 1
            continue
        m = _TAG_SPECIAL.search(data, i)
        if m is None:
            return -1, None
        c = data[m.start()]
        if c == 0x3E:
            return m.start() + 1, None
        quote, i = c, m.start() + 1


def _tag_end(data: bytes, pos: int) -> int:
    """Index just past the '>' closing the tag open at ``pos`` (quote-aware), or -1."""
    return _scan_tag(data, pos, None)[0]


def _find_pair(data: bytes, pair: bytes, start: int) -> int:
    """``data.find(pair, start)`` for "<!" / "<?": their second byte is rare in a flow and
    a one-byte search runs at memchr speed, where a two-byte pattern starting with the
    ubiquitous '<' does not. After a few false hits (text full of '!' or '?'), the plain
    search takes over, so no content makes this slower than ``bytes.find``."""
    second = pair[1:]
    i = data.find(second, start + 1)
    misses = 0
    while i >= 0:
        if data[i - 1] == 0x3C:  # '<'
            return i - 1
        misses += 1
        if misses > 16:
            return data.find(pair, i)
        i = data.find(second, i + 1)
    return -1


class PjHandler(Protocol):
    """Receives the base64 text of each ``Fichier`` element, in document order."""

    def start(self, line: int) -> None: ...
    def data(self, chunk: bytes) -> None: ...
    def end(self) -> None: ...


_FICHIER = b"<Fichier"
_LOOKAHEAD = 9  # len(b"<![CDATA[")


class FlowStream:
    """File-like wrapper given to lxml: filters and polices the raw bytes (see module doc)."""

    def __init__(
        self,
        raw: IO[bytes],
        *,
        head: bytes = b"",
        pj: PjHandler | None = None,
        max_size: int = 1_500_000_000,
        max_elements: int = 50_000_000,
        max_depth: int = 256,
        chunk_size: int = 1 << 16,
    ) -> None:
        self._raw = raw
        self._pending = head  # bytes read from raw but not yet scanned
        self._eof = False
        self._out = bytearray()
        self._pj = pj
        self._max_size = max_size
        self._max_elements = max_elements
        self._max_depth = max_depth
        self._chunk = chunk_size
        self.size = len(head)
        self.line = 1  # line of the scanning position
        self.elements = 0
        self._depth = 0  # lower bound of the element depth at the scanning position
        self.pj_count = 0
        self.doctype = False
        self._state = "text"  # text | comment | cdata | pi | fichier-tag | fichier
        self._quote: int | None = None
        self._tag_tail = b""
        self._last = b""
        self._marks: dict[bytes, int] = {}  # next '<!', '<?', '<Fichier' in the buffer

    @property
    def finished(self) -> bool:
        """True once the whole input has been read and passed on."""
        return self._eof and not self._pending and not self._out

    # lxml calls read(n) and accepts shorter answers; b"" means end of file.
    def read(self, n: int = -1) -> bytes:
        want = n if n and n > 0 else self._chunk
        if self.size > self._max_size:
            raise PesLimitError(f"le fichier dépasse la taille maximale de {self._max_size} octets")
        while len(self._out) < want and not (self._eof and not self._pending):
            if not self._eof:
                chunk = self._raw.read(self._chunk)
                if not chunk:
                    self._eof = True
                else:
                    self.size += len(chunk)
                    if self.size > self._max_size:
                        raise PesLimitError(
                            f"le fichier dépasse la taille maximale de {self._max_size} octets"
                        )
                    self._pending += chunk
            self._scan()
        out = bytes(self._out[:want])
        del self._out[:want]
        return out

    def _emit(self, data: bytes) -> None:
        if data:
            self._out += data
            self.line += data.count(b"\n")

    def _scan(self) -> None:
        data = self._pending
        self._marks = {}
        pos = 0
        final = self._eof
        while pos < len(data):
            state = self._state
            if state == "text":
                lt = data.find(b"<", pos)
                if lt < 0:
                    self._plain(data[pos:])
                    pos = len(data)
                    break
                special, kind = self._next_special(data, lt)
                if special < 0:
                    cut = self._safe_cut(data, pos, final)
                    self._plain(data[pos:cut])
                    pos = cut
                    if cut < len(data):
                        break
                    continue
                self._plain(data[pos:special])
                pos = special
                if kind == "need-more":
                    break
                pos = self._enter(kind, data, pos)
            elif state in ("comment", "cdata", "pi"):
                marker = {"comment": b"-->", "cdata": b"]]>", "pi": b"?>"}[state]
                end = data.find(marker, pos)
                if end < 0:
                    keep = max(pos, len(data) - len(marker) + 1) if not final else len(data)
                    self._emit(data[pos:keep])
                    pos = keep
                    break
                self._emit(data[pos : end + len(marker)])
                pos = end + len(marker)
                self._state = "text"
            elif state == "fichier-tag":
                end = self._tag_close(data, pos)
                if end < 0:
                    self._emit(data[pos:])
                    self._tag_tail = (self._tag_tail + data[pos:])[-2:]
                    pos = len(data)
                    break
                tag_part = data[pos:end]
                self._emit(tag_part)
                closing = (self._tag_tail + tag_part)[-2:]
                self._tag_tail = b""
                pos = end
                if closing == b"/>":
                    self._state = "text"
                    self._depth -= 1
                    if self._pj is not None:  # an empty Fichier is still a PJ content
                        self._pj.start(self.line)
                        self._pj.end()
                else:
                    self._state = "fichier"
                    if self._pj is not None:
                        self._pj.start(self.line)
            else:  # fichier: base64 text up to the next '<'
                lt = data.find(b"<", pos)
                stop = len(data) if lt < 0 else lt
                text = data[pos:stop]
                if text:
                    if self._pj is not None:
                        self._pj.data(text)
                    self._emit(b"\n" * text.count(b"\n"))
                pos = stop
                if lt >= 0:
                    self._state = "text"
                    if self._pj is not None:
                        self._pj.end()
        self._pending = data[pos:]
        if final and self._pending and self._state == "text":
            self._plain(self._pending)
            self._pending = b""
        elif final:
            self._emit(self._pending)
            self._pending = b""

    def _next_special(self, data: bytes, lt: int) -> tuple[int, str]:
        """Position and kind of the first '<!', '<?' or '<Fichier' at or after ``lt``."""
        best = -1
        kind = ""
        for marker in (b"<!", b"<?", _FICHIER):
            # Positions found earlier in this buffer stay valid while they lie ahead: without
            # this memo, a buffer full of comments would be rescanned once per comment.
            at = self._marks.get(marker)
            if at is not None and (at == -1 or at >= lt):
                pass
            else:
                at = data.find(marker, lt) if marker == _FICHIER else _find_pair(data, marker, lt)
                while marker == _FICHIER and at >= 0:
                    follow = data[at + len(_FICHIER) : at + len(_FICHIER) + 1]
                    if follow == b"" and not self._eof:
                        break
                    if follow in (b" ", b"\t", b"\r", b"\n", b">", b"/"):
                        break
                    at = data.find(marker, at + 1)
                self._marks[marker] = at
            if at >= 0 and (best < 0 or at < best):
                best, kind = at, marker.decode("ascii")
        if best < 0:
            return -1, ""
        if kind == "<!":
            head = data[best : best + _LOOKAHEAD]
            if b"<!--".startswith(head[:4]) and len(head) < 4 and not self._eof:
                return best, "need-more"
            if head.startswith(b"<!--"):
                return best, "comment"
            if b"<![CDATA[".startswith(head) and not self._eof:
                return best, "need-more"
            if head.startswith(b"<![CDATA["):
                return best, "cdata"
            return best, "doctype"
        if kind == "<?":
            return best, "pi"
        if best + len(_FICHIER) >= len(data) and not self._eof:
            return best, "need-more"
        return best, "fichier"

    def _enter(self, kind: str, data: bytes, pos: int) -> int:
        self._last = b""
        if kind == "doctype":
            self.doctype = True
            raise PesUnsafeXmlError(
                "le fichier contient une déclaration DOCTYPE ou ENTITY, interdite dans un flux PES"
            )
        if kind == "comment":
            self._state = "comment"
            self._emit(b"<!--")
            return pos + 4
        if kind == "cdata":
            self._state = "cdata"
            self._emit(b"<![CDATA[")
            return pos + 9
        if kind == "pi":
            self._state = "pi"
            self._emit(b"<?")
            return pos + 2
        # Fichier start tag
        self._count(b"<F")
        self.pj_count += 1
        self._state = "fichier-tag"
        self._emit(_FICHIER)
        return pos + len(_FICHIER)

    def _safe_cut(self, data: bytes, pos: int, final: bool) -> int:
        """End of the plain text that can be passed on now: never inside a possible
        "<!", "<?" or "<Fichier" whose end is not read yet."""
        if final:
            return len(data)
        lt = data.rfind(b"<", pos)
        if lt >= 0 and lt >= len(data) - _LOOKAHEAD:
            return lt
        return len(data)

    def _plain(self, segment: bytes) -> None:
        if not segment:
            return
        self._count(segment)
        self._emit(segment)

    def _count(self, segment: bytes) -> None:
        # "</" and "/>" may straddle two segments: a '<' ending the previous segment was
        # counted as a start tag and is corrected here if it turns out to open an end tag.
        # (counted on the segment alone, plus the pair across the boundary: no copy)
        last = self._last
        straddling_end = 1 if last == b"<" and segment.startswith(b"/") else 0
        straddling_empty = 1 if last == b"/" and segment.startswith(b">") else 0
        self._last = segment[-1:]
        seg_ends = segment.count(b"</")
        ends = seg_ends + straddling_end
        opened = segment.count(b"<") - seg_ends - straddling_end
        self.elements += opened
        # "/>" inside an attribute value would only make this estimate smaller, never larger.
        self._depth += opened - ends - segment.count(b"/>") - straddling_empty
        if self.elements > self._max_elements:
            raise PesLimitError(
                f"le fichier dépasse le nombre maximal de {self._max_elements} éléments XML"
            )
        if self._depth > self._max_depth:
            raise PesLimitError(
                "l'imbrication des éléments XML dépasse la profondeur maximale "
                f"de {self._max_depth}"
            )

    def _tag_close(self, data: bytes, pos: int) -> int:
        end, self._quote = _scan_tag(data, pos, self._quote)
        return end


MAX_PROLOG = 1 << 20  # comments before the root are legal; a megabyte of them is plenty


def read_head(raw: IO[bytes]) -> tuple[bytes, Prolog]:
    """The first bytes of the flow (up to the root start tag) and what they say."""
    head = raw.read(HEAD_SIZE)
    while True:
        complete = len(head) % HEAD_SIZE != 0 or not head
        prolog = sniff(head, complete=complete)
        if complete or len(head) >= MAX_PROLOG:
            return head, prolog
        if not any(p.kind == "no-root" for p in prolog.problems):
            return head, prolog
        more = raw.read(HEAD_SIZE)
        if not more:
            return head, sniff(head, complete=True)
        head += more
