"""The streaming driver shared by :mod:`.validate` and :mod:`.camt`.

It runs the checks every SEPA file goes through, in order: size, not empty, not binary,
no DOCTYPE, root element and namespace, then one streaming pass of
``lxml.etree.iterparse`` with the schema of the declared version. Each element is handed
to a handler at its end and then cleared, so memory stays bounded whatever the file size.
Every problem becomes a :class:`Finding`; nothing escapes as an exception.

libxml2 reports schema errors only when the streaming pass ends, without a line number.
When that happens and the file is small enough, a second, in-memory validation locates
the errors (line and element path).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from lxml import etree

from .errors import SepaLimitError, SepaSchemaError, SepaUnsafeXmlError
from .report import Code, Finding, Layer, Location, Severity, interrupted_finding
from .safety import (
    HEAD_SIZE,
    PARSER_OPTIONS,
    STREAM_OPTIONS,
    SafeStream,
    Source,
    opened,
    sniff,
    sniff_root,
    source_size,
)
from .schemas import NS_PREFIX, SepaMessage, get_schema, message_for_namespace, validate_tree

log = logging.getLogger("pigp.formats.sepa")

LOCATE_LIMIT = 20 * 1024 * 1024  # in-memory second pass for schema errors up to this size
MAX_SCHEMA_FINDINGS = 20


class Handler(Protocol):
    # Elements at most this deep (Document = 1) are dropped once handled; deeper ones stay
    # until their ancestor at that depth ends, so a handler can read a whole record.
    clear_depth: int

    def start(self, elem: etree._Element, path: list[str]) -> None: ...
    def end(self, elem: etree._Element, path: list[str]) -> None: ...


@dataclass(slots=True)
class Outcome:
    message: SepaMessage | None = None
    findings: list[Finding] = field(default_factory=list)
    schema_valid: bool = False
    read_to_end: bool = False
    interrupted: list[Layer] = field(default_factory=list)

    def interrupt(self, layer: Layer, exc: BaseException) -> None:
        """``layer`` could not finish: an error finding, and the outcome is no verdict."""
        if layer not in self.interrupted:
            self.interrupted.append(layer)
            self.findings.append(interrupted_finding(layer, exc))

    def add(self, code: Code, message: str, *, line: int | None = None, path: str = "") -> None:
        self.findings.append(Finding(code, Severity.ERROR, message, Location(path, line)))


class _Chain:
    """The head already read, then the rest of the file."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        return self._rest.read(n)


def local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rpartition("}")[2]


def run(
    source: Source,
    *,
    accept: Callable[[SepaMessage], bool],
    refused: str,
    handler_for: Callable[[SepaMessage], Handler],
    max_size: int,
) -> Outcome:
    """Check and stream ``source``; ``handler_for(message)`` receives the elements."""
    out = Outcome()
    try:
        _run(out, source, accept, refused, handler_for, max_size)
    except Exception as exc:  # the last barrier: fail closed, never crash the caller
        out.interrupt(Layer.FILE, exc)
    return out


def _run(
    out: Outcome,
    source: Source,
    accept: Callable[[SepaMessage], bool],
    refused: str,
    handler_for: Callable[[SepaMessage], Handler],
    max_size: int,
) -> None:
    try:
        size = source_size(source)
    except OSError as exc:
        out.add(Code.NOT_XML, f"Fichier illisible : {exc.strerror or exc}.")
        return
    if size is not None and size > max_size:
        out.add(Code.TOO_LARGE, _too_large(max_size))
        return
    try:
        with opened(source) as fh:
            head = fh.read(HEAD_SIZE)
            if not _check_head(out, head, accept, refused):
                return
            assert out.message is not None
            handler = handler_for(out.message)
            _stream(out, SafeStream(_Chain(head, fh), max_size), handler)
    except OSError as exc:
        out.add(Code.NOT_XML, f"Fichier illisible : {exc.strerror or exc}.")
        return
    if out.read_to_end and not out.schema_valid and (size or 0) <= LOCATE_LIMIT:
        try:
            _locate_schema_errors(out, source)
        except Exception:
            # The verdict is known (invalid); only the lines are missing.
            log.warning("SEPA validation: locating schema errors failed", exc_info=True)


def _too_large(max_size: int) -> str:
    return f"Le fichier dépasse la taille maximale admise ({max_size // (1024 * 1024)} Mio)."


def _check_head(
    out: Outcome, head: bytes, accept: Callable[[SepaMessage], bool], refused: str
) -> bool:
    problem = sniff(head)
    if problem == "empty":
        out.add(Code.EMPTY, "Le fichier est vide.")
        return False
    if problem == "compressed":
        out.add(Code.NOT_XML, "Le fichier est compressé (gzip ou zip) : déposez le fichier XML.")
        return False
    if problem == "utf16":
        out.add(Code.NOT_XML, "Le fichier est encodé en UTF-16 : un fichier SEPA est en UTF-8.")
        return False
    if problem == "binary":
        out.add(Code.NOT_XML, "Le fichier n'est pas un fichier XML (contenu binaire ou texte).")
        return False
    if problem == "doctype":
        out.add(Code.DOCTYPE, _doctype_message())
        return False
    root = sniff_root(head)
    if root is None:
        out.add(Code.MALFORMED, "Le fichier XML est mal formé : élément racine introuvable.")
        return False
    message = message_for_namespace(root.namespace)
    if root.local != "Document" or (
        message is None and not (root.namespace or "").startswith(NS_PREFIX)
    ):
        where = f" (espace de noms « {root.namespace} »)" if root.namespace else ""
        out.add(
            Code.NOT_SEPA,
            f"Fichier non SEPA : l'élément racine est « {root.local} »{where}, "
            "un message ISO 20022 commence par « Document ».",
            line=root.line,
            path=f"/{root.local}",
        )
        return False
    if message is None:
        name = (root.namespace or "")[len(NS_PREFIX) :]
        out.add(
            Code.UNSUPPORTED,
            f"Message ISO 20022 « {name} » non pris en charge.",
            line=root.line,
            path="/Document",
        )
        return False
    out.message = message
    if not accept(message):
        out.add(Code.UNSUPPORTED, refused.format(message=message.name), line=root.line)
        return False
    return True


def _doctype_message() -> str:
    return (
        "Le fichier contient une déclaration DOCTYPE ou ENTITY, interdite pour des raisons "
        "de sécurité : supprimez-la."
    )


def _stream(out: Outcome, stream: SafeStream, handler: Handler) -> None:
    assert out.message is not None
    try:
        schema = get_schema(out.message)
    except SepaSchemaError as exc:  # a shipped schema that cannot be used: no verdict
        out.interrupt(Layer.SCHEMA, exc)
        return
    path: list[str] = []
    closed = False
    rules = True  # the handler's rules run until one fails; the schema pass goes on
    try:
        for event, elem in etree.iterparse(
            stream, events=("start", "end"), schema=schema, remove_comments=True, **STREAM_OPTIONS
        ):
            if event == "start":
                path.append(local(elem.tag))
                if rules:
                    try:
                        handler.start(elem, path)
                    except Exception as exc:
                        rules = False
                        out.interrupt(Layer.RULES, exc)
                continue
            if rules:
                try:
                    handler.end(elem, path)
                except Exception as exc:
                    rules = False
                    out.interrupt(Layer.RULES, exc)
            depth = len(path)
            path.pop()
            if not path:
                closed = True
            if depth <= handler.clear_depth:
                release(elem)
        if not closed:  # second barrier against a silently truncated file
            out.add(Code.MALFORMED, "Le fichier XML est mal formé : il est tronqué.")
            return
        out.read_to_end = True
        out.schema_valid = True
    except SepaUnsafeXmlError:
        out.add(Code.DOCTYPE, _doctype_message())
    except SepaLimitError:
        out.add(Code.TOO_LARGE, _too_large(stream._max_size))
    except etree.XMLSyntaxError as exc:
        text = _clean_libxml(getattr(exc, "msg", None) or str(exc))
        if exc.lineno:  # a parser error: not well-formed
            out.read_to_end = False
            out.add(
                Code.MALFORMED,
                f"Le fichier XML est mal formé (ligne {exc.lineno}) : {text}",
                line=exc.lineno,
            )
        else:  # schema errors come at the end, without a line
            out.read_to_end = True
            out.add(Code.SCHEMA, _schema_message(out.message, text))
    except Exception as exc:  # the streaming pass (parser and schema) broke off: no verdict
        out.interrupt(Layer.SCHEMA, exc)


_LIBXML_WRAPPED = re.compile(r"^line \d+: b['\"](.*)['\"]$", re.S)


def _clean_libxml(text: str) -> str:
    match = _LIBXML_WRAPPED.match(text.strip())
    return match.group(1) if match else text


def release(elem: etree._Element) -> None:
    """Bounded memory: ``elem`` is read, drop it and the siblings before it."""
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _schema_message(message: SepaMessage, text: str) -> str:
    return f"Le fichier n'est pas conforme au schéma {message.name} : {_readable(text)}"


def _readable(text: str) -> str:
    # "{urn:iso:...:pain.001.001.03}ChrgBr" -> "ChrgBr"
    while "{" in text and "}" in text:
        start, end = text.index("{"), text.index("}")
        if end < start:
            break
        text = text[:start] + text[end + 1 :]
    return text


def _locate_schema_errors(out: Outcome, source: Source) -> None:
    """Second pass, in memory: every schema error with its line and path."""
    assert out.message is not None
    try:
        with opened(source) as fh:
            if fh.seekable():
                fh.seek(0)
            tree = etree.parse(fh, etree.XMLParser(**PARSER_OPTIONS))
    except (OSError, etree.XMLSyntaxError):
        return
    located: list[Finding] = []
    for error in validate_tree(out.message, tree)[:MAX_SCHEMA_FINDINGS]:
        path = ""
        if error.path:
            try:
                nodes = tree.xpath(error.path)
            except etree.XPathError:
                nodes = []
            if isinstance(nodes, list) and nodes and isinstance(nodes[0], etree._Element):
                path = element_path(nodes[0])
        located.append(
            Finding(
                Code.SCHEMA,
                Severity.ERROR,
                _schema_message(out.message, error.message),
                Location(path, error.line),
            )
        )
    if located:
        out.findings = [f for f in out.findings if f.code is not Code.SCHEMA] + located


def element_path(elem: etree._Element) -> str:
    parts: list[str] = []
    node: etree._Element | None = elem
    while node is not None:
        name = local(node.tag)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if local(c.tag) == name]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))
