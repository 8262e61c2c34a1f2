"""SEPA / ISO 20022 message types, their shipped schemas, and :func:`detect`."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import SepaSchemaError
from .safety import PARSER_OPTIONS, Source, read_head, sniff_root

XSD_DIR = Path(__file__).resolve().parent / "xsd"
NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"


class MessageFamily(enum.StrEnum):
    CREDIT_TRANSFER = "pain.001"  # virement
    DIRECT_DEBIT = "pain.008"  # prélèvement
    STATEMENT = "camt.053"  # relevé de compte
    NOTIFICATION = "camt.054"  # avis de débit / crédit


@dataclass(frozen=True, slots=True)
class SepaMessage:
    """One supported message: family and version, e.g. ``pain.001`` + ``001.09``."""

    family: MessageFamily
    version: str  # "001.03", "001.09", ...
    root: str  # local name of the element under Document

    @property
    def name(self) -> str:
        return f"{self.family.value}.{self.version}"

    @property
    def namespace(self) -> str:
        return NS_PREFIX + self.name

    @property
    def is_payment(self) -> bool:
        return self.family in (MessageFamily.CREDIT_TRANSFER, MessageFamily.DIRECT_DEBIT)

    def __str__(self) -> str:
        return self.name


PAIN_001_03 = SepaMessage(MessageFamily.CREDIT_TRANSFER, "001.03", "CstmrCdtTrfInitn")
PAIN_001_09 = SepaMessage(MessageFamily.CREDIT_TRANSFER, "001.09", "CstmrCdtTrfInitn")
PAIN_008_02 = SepaMessage(MessageFamily.DIRECT_DEBIT, "001.02", "CstmrDrctDbtInitn")
PAIN_008_08 = SepaMessage(MessageFamily.DIRECT_DEBIT, "001.08", "CstmrDrctDbtInitn")
CAMT_053_02 = SepaMessage(MessageFamily.STATEMENT, "001.02", "BkToCstmrStmt")
CAMT_053_08 = SepaMessage(MessageFamily.STATEMENT, "001.08", "BkToCstmrStmt")
CAMT_054_02 = SepaMessage(MessageFamily.NOTIFICATION, "001.02", "BkToCstmrDbtCdtNtfctn")
CAMT_054_08 = SepaMessage(MessageFamily.NOTIFICATION, "001.08", "BkToCstmrDbtCdtNtfctn")

SUPPORTED_MESSAGES: tuple[SepaMessage, ...] = (
    PAIN_001_03,
    PAIN_001_09,
    PAIN_008_02,
    PAIN_008_08,
    CAMT_053_02,
    CAMT_053_08,
    CAMT_054_02,
    CAMT_054_08,
)
_BY_NAMESPACE = {m.namespace: m for m in SUPPORTED_MESSAGES}


def message_for_namespace(namespace: str | None) -> SepaMessage | None:
    return _BY_NAMESPACE.get(namespace or "")


def detect(source: Source) -> SepaMessage | None:
    """Message type and version from the root namespace, reading only the head of the file.

    Returns ``None`` when the file is not one of the supported messages (or not XML).
    """
    try:
        head, _complete = read_head(source)
    except (OSError, ValueError):
        return None
    root = sniff_root(head)
    if root is None or root.local != "Document":
        return None
    return message_for_namespace(root.namespace)


_cache: dict[str, etree.XMLSchema] = {}
_lock = threading.Lock()


def get_schema(message: SepaMessage) -> etree.XMLSchema:
    """The compiled schema of ``message`` (compiled once, then cached)."""
    if message not in SUPPORTED_MESSAGES:
        raise SepaSchemaError(f"message SEPA non pris en charge : {message}")
    with _lock:
        schema = _cache.get(message.name)
        if schema is None:
            path = XSD_DIR / f"{message.name}.xsd"
            try:
                parser = etree.XMLParser(**PARSER_OPTIONS)
                schema = etree.XMLSchema(etree.parse(str(path), parser))
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise SepaSchemaError(f"schéma {path.name} inutilisable : {exc}") from exc
            _cache[message.name] = schema
        return schema


@dataclass(frozen=True, slots=True)
class SchemaError:
    line: int | None
    path: str | None  # XPath given by libxml2, e.g. /*/*/*[2]/*[11]
    message: str


_validate_locks: dict[str, threading.Lock] = {m.name: threading.Lock() for m in SUPPORTED_MESSAGES}


def validate_tree(
    message: SepaMessage, tree: etree._Element | etree._ElementTree
) -> tuple[SchemaError, ...]:
    """Schema errors of an in-memory document (empty when valid).

    An ``XMLSchema`` keeps one error log: validations of the same schema are serialised so
    that concurrent callers never read each other's errors.
    """
    schema = get_schema(message)
    with _validate_locks[message.name]:
        if schema.validate(tree):
            return ()
        return tuple(SchemaError(e.line or None, e.path, e.message) for e in schema.error_log)
