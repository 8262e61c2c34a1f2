"""What the bytes are allowed to be before and while lxml reads them.

Invoices come from outside: no DOCTYPE (hence no entity can be declared, let alone expanded,
and no external DTD fetched), no network, a size limit, and libxml2's own limits on depth and
text nodes (``huge_tree`` stays off). A violation becomes an error finding; only bytes that are
not an invoice at all raise :class:`~.errors.InvoiceError` (see :mod:`.detect`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .model import Finding

DEFAULT_MAX_SIZE = 50 * 1024 * 1024  # bytes; Chorus Pro's own limit per invoice file is lower

_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)
_DOCTYPE = re.compile(rb"<!DOCTYPE\b(?:[^\[>]*)(?:\[.*?\]\s*)?>", re.S)
_START_TAG = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)([^>]*)>?", re.S)
_XMLNS = re.compile(rb"""xmlns(?::([\w.\-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")

BOMS = (b"\xef\xbb\xbf",)


def make_parser() -> etree.XMLParser:
    """A fresh parser (lxml parsers are not thread-safe) that never resolves anything."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the head of an XML file says without parsing it."""

    doctype: bool
    root: str | None  # local name of the root element
    namespace: str | None  # namespace of the root element
    root_line: int | None


def sniff_xml(data: bytes) -> Sniffed:
    """The DOCTYPE and the root element of an (UTF-8 or ASCII-compatible) XML file."""
    pos = len(BOMS[0]) if data.startswith(BOMS[0]) else 0
    while found := _PROLOG_ITEM.match(data, pos):
        if found.end() == pos:
            break
        pos = found.end()
    doctype = False
    stripped = len(data) - len(data[pos:].lstrip())
    pos = stripped
    if data.startswith(b"<!DOCTYPE", pos):
        doctype = True
        found = _DOCTYPE.match(data, pos)
        pos = found.end() if found else len(data)
        while found := _PROLOG_ITEM.match(data, pos):
            if found.end() == pos:
                break
            pos = found.end()
        pos = len(data) - len(data[pos:].lstrip())
    tag = _START_TAG.match(data, pos)
    if tag is None:
        return Sniffed(doctype, None, None, None)
    prefix = tag.group(1)
    declared = {
        (m.group(1) or b""): (m.group(2) if m.group(2) is not None else m.group(3) or b"")
        for m in _XMLNS.finditer(tag.group(3))
    }
    namespace = declared.get(prefix or b"")
    line = data.count(b"\n", 0, pos) + 1
    return Sniffed(
        doctype,
        tag.group(2).decode("ascii", "replace"),
        namespace.decode("utf-8", "replace") if namespace is not None else None,
        line,
    )


def size_finding(size: int, limit: int) -> Finding:
    return Finding(
        "taille-maximale",
        "error",
        "/",
        f"Le fichier pèse {size} octets, au-delà de la limite de {limit} octets : "
        "il n'a pas été lu.",
    )


def doctype_finding(line: int | None = None) -> Finding:
    return Finding(
        "dtd-interdite",
        "error",
        "/",
        "Le fichier contient une déclaration DOCTYPE (DTD ou entités) : c'est interdit dans une "
        "facture électronique, le fichier n'a pas été lu.",
        line,
    )
