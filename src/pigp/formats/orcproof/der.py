"""Just enough DER (X.690) to build an RFC 3161 request and read a response: encoders for
the few universal types used, and a TLV reader. Definite lengths only (DER)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

SEQUENCE, SET = 0x30, 0x31
INTEGER, OCTET_STRING, NULL, OID, BOOLEAN = 0x02, 0x04, 0x05, 0x06, 0x01
UTF8_STRING, GENERALIZED_TIME = 0x0C, 0x18


class DerError(ValueError):
    """Bytes that are not the DER expected."""


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def seq(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)  # room for the sign bit
    return tlv(INTEGER, value.to_bytes(size, "big", signed=True))


def octets(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def null() -> bytes:
    return tlv(NULL, b"")


def boolean(value: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if value else b"\x00")


def utf8(value: str) -> bytes:
    return tlv(UTF8_STRING, value.encode("utf-8"))


def generalized_time(value: datetime.datetime) -> bytes:
    text = value.astimezone(datetime.UTC).strftime("%Y%m%d%H%M%SZ")
    return tlv(GENERALIZED_TIME, text.encode("ascii"))


def oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def explicit(number: int, inner: bytes) -> bytes:
    """A context-specific, constructed tag [number] EXPLICIT."""
    return tlv(0xA0 | number, inner)


@dataclass(frozen=True)
class Node:
    tag: int
    content: bytes
    raw: bytes  # the whole TLV

    def children(self) -> list[Node]:
        return read_all(self.content)

    def as_int(self) -> int:
        if self.tag != INTEGER or not self.content:
            raise DerError("entier attendu")
        return int.from_bytes(self.content, "big", signed=True)

    def as_oid(self) -> str:
        if self.tag != OID or not self.content:
            raise DerError("identifiant d'objet attendu")
        first = self.content[0]
        arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
        value = 0
        for byte in self.content[1:]:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(value)
                value = 0
        return ".".join(str(arc) for arc in arcs)


def read_one(data: bytes, offset: int = 0) -> tuple[Node, int]:
    """The TLV at `offset` and the offset after it."""
    try:
        tag = data[offset]
        first = data[offset + 1]
    except IndexError as exc:
        raise DerError("DER tronqué") from exc
    if tag & 0x1F == 0x1F:
        raise DerError("étiquettes longues non prises en charge")
    pos = offset + 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 8:
            raise DerError("longueur DER invalide")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    else:
        length = first
    end = pos + length
    if end > len(data):
        raise DerError("DER tronqué")
    return Node(tag, data[pos:end], data[offset:end]), end


def read_all(data: bytes) -> list[Node]:
    nodes, offset = [], 0
    while offset < len(data):
        node, offset = read_one(data, offset)
        nodes.append(node)
    return nodes


def parse(data: bytes) -> Node:
    node, end = read_one(data)
    if end != len(data):
        raise DerError("octets en trop après la structure DER")
    return node
