"""SEDA 2.2 (Standard d'échange de données pour l'archivage): the `ArchiveTransfer` manifest
written from plain dataclasses, validation against the official schemas shipped in `xsd/`
(offline: the W3C imports are local), and the `ArchiveTransferReply` read back.

No Django here: the ORC app maps its archive units to these dataclasses (`pigp.orc.seda`).
"""

from __future__ import annotations

import datetime
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

__all__ = [
    "NAMESPACE",
    "DataObject",
    "Keyword",
    "SedaError",
    "SedaSchemaError",
    "SedaUnsafeXmlError",
    "Transfer",
    "TransferReply",
    "Unit",
    "build_reply",
    "build_transfer",
    "read_reply",
    "schema_errors",
    "validate",
    "xml_text",
]

NAMESPACE = "fr:gouv:culture:archivesdefrance:seda:v2.2"
XSD_DIR = Path(__file__).resolve().parent / "xsd"
MAIN_XSD = XSD_DIR / "seda-2.2-main.xsd"
MAX_REPLY_SIZE = 5 * 1024 * 1024
_N = f"{{{NAMESPACE}}}"
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}


class SedaError(Exception):
    """Base of this library's errors (messages in French, shown to users)."""


class SedaSchemaError(SedaError):
    """The message is not valid against the SEDA 2.2 schemas."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class SedaUnsafeXmlError(SedaError):
    """A DOCTYPE or entity declaration, too large, or not XML at all."""


@dataclass(frozen=True)
class Keyword:
    content: str
    kind: str = "subject"  # SEDA CodeKeywordType: subject, corpname, geogname, function…


@dataclass(frozen=True)
class DataObject:
    """One file of the package: `uri` is its path inside the zip."""

    id: str
    uri: str
    sha512: str
    size: int
    mime_type: str
    filename: str


@dataclass(frozen=True)
class Unit:
    """An ArchiveUnit. `appraisal_rule` (code, start date, "Destroy" / "Keep") is optional."""

    id: str
    title: str
    description_level: str = "Item"  # Fonds, Series, File, Item…
    identifier: str = ""  # OriginatingAgencyArchiveUnitIdentifier
    document_type: str = ""
    description: str = ""
    keywords: tuple[Keyword, ...] = ()
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    appraisal_rule: tuple[str, datetime.date, str] | None = None
    children: tuple[Unit, ...] = ()
    data_object_group: str = ""  # id of a DataObjectGroup this unit refers to


@dataclass(frozen=True)
class Transfer:
    message_identifier: str
    date: datetime.datetime
    archival_agency: str
    transferring_agency: str
    originating_agency: str
    units: tuple[Unit, ...]
    groups: dict[str, tuple[DataObject, ...]] = field(default_factory=dict)
    comment: str = ""
    archival_agreement: str = ""


@dataclass(frozen=True)
class TransferReply:
    message_identifier: str
    request_identifier: str
    reply_code: str
    date: str
    comment: str

    @property
    def accepted(self) -> bool:
        return self.reply_code == "OK"


# Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot carry (metadata typed anywhere ends up here)."""
    return _NOT_XML.sub("", text)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _N + tag)
    if text is not None:
        element.text = xml_text(text)
    return element


def _unit(parent: etree._Element, unit: Unit) -> None:
    au = _sub(parent, "ArchiveUnit")
    au.set("id", unit.id)
    if unit.appraisal_rule is not None:
        rule, start, final = unit.appraisal_rule
        appraisal = _sub(_sub(au, "Management"), "AppraisalRule")
        _sub(appraisal, "Rule", rule)
        _sub(appraisal, "StartDate", start.isoformat())
        _sub(appraisal, "FinalAction", final)
    content = _sub(au, "Content")
    _sub(content, "DescriptionLevel", unit.description_level)
    _sub(content, "Title", unit.title)
    if unit.identifier:
        _sub(content, "OriginatingAgencyArchiveUnitIdentifier", unit.identifier)
    if unit.description:
        _sub(content, "Description", unit.description)
    if unit.document_type:
        _sub(content, "DocumentType", unit.document_type)
    for keyword in unit.keywords:
        kw = _sub(content, "Keyword")
        _sub(kw, "KeywordContent", keyword.content)
        _sub(kw, "KeywordType", keyword.kind)
    if unit.start_date is not None:
        _sub(content, "StartDate", unit.start_date.isoformat())
    if unit.end_date is not None:
        _sub(content, "EndDate", unit.end_date.isoformat())
    for child in unit.children:
        _unit(au, child)
    if unit.data_object_group:
        ref = _sub(au, "DataObjectReference")
        _sub(ref, "DataObjectGroupReferenceId", unit.data_object_group)


def build_transfer(transfer: Transfer) -> bytes:
    """The `manifest.xml` of an ArchiveTransfer (UTF-8), elements in the schemas' order."""
    root = etree.Element(_N + "ArchiveTransfer", nsmap={None: NAMESPACE})
    if transfer.comment:
        _sub(root, "Comment", transfer.comment)
    _sub(root, "Date", transfer.date.replace(microsecond=0, tzinfo=None).isoformat())
    _sub(root, "MessageIdentifier", transfer.message_identifier)
    if transfer.archival_agreement:
        _sub(root, "ArchivalAgreement", transfer.archival_agreement)
    versions = _sub(root, "CodeListVersions")
    _sub(versions, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    _sub(
        versions, "MessageDigestAlgorithmCodeListVersion", "MessageDigestAlgorithmCodeListVersion0"
    )
    _sub(versions, "MimeTypeCodeListVersion", "MimeTypeCodeListVersion0")
    _sub(versions, "FileFormatCodeListVersion", "PRONOM")
    _sub(versions, "AppraisalRuleCodeListVersion", "AppraisalRuleCodeListVersion0")
    package = _sub(root, "DataObjectPackage")
    for group_id, objects in transfer.groups.items():
        group = _sub(package, "DataObjectGroup")
        group.set("id", group_id)
        for obj in objects:
            bdo = _sub(group, "BinaryDataObject")
            bdo.set("id", obj.id)
            _sub(bdo, "DataObjectVersion", "BinaryMaster_1")
            _sub(bdo, "Uri", obj.uri)
            _sub(bdo, "MessageDigest", obj.sha512).set("algorithm", "SHA-512")
            _sub(bdo, "Size", str(obj.size))
            fmt = _sub(bdo, "FormatIdentification")
            _sub(fmt, "MimeType", obj.mime_type or "application/octet-stream")
            _sub(_sub(bdo, "FileInfo"), "Filename", obj.filename)
    descriptive = _sub(package, "DescriptiveMetadata")
    for unit in transfer.units:
        _unit(descriptive, unit)
    management = _sub(package, "ManagementMetadata")
    _sub(management, "OriginatingAgencyIdentifier", transfer.originating_agency)
    _sub(management, "SubmissionAgencyIdentifier", transfer.transferring_agency)
    _sub(_sub(root, "ArchivalAgency"), "Identifier", transfer.archival_agency)
    _sub(_sub(root, "TransferringAgency"), "Identifier", transfer.transferring_agency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def build_reply(
    *,
    message_identifier: str,
    request_identifier: str,
    reply_code: str,
    archival_agency: str,
    transferring_agency: str,
    date: datetime.datetime,
    comment: str = "",
) -> bytes:
    """An ArchiveTransferReply, as an archives service would send it (tests, demo)."""
    root = etree.Element(_N + "ArchiveTransferReply", nsmap={None: NAMESPACE})
    if comment:
        _sub(root, "Comment", comment)
    _sub(root, "Date", date.replace(microsecond=0, tzinfo=None).isoformat())
    _sub(root, "MessageIdentifier", message_identifier)
    versions = _sub(root, "CodeListVersions")
    _sub(versions, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    _sub(root, "ReplyCode", reply_code)
    _sub(root, "MessageRequestIdentifier", request_identifier)
    _sub(_sub(root, "ArchivalAgency"), "Identifier", archival_agency)
    _sub(_sub(root, "TransferringAgency"), "Identifier", transferring_agency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


_schema: etree.XMLSchema | None = None
_schema_lock = threading.Lock()


def _main_schema() -> etree.XMLSchema:
    global _schema
    with _schema_lock:
        if _schema is None:
            parser = etree.XMLParser(**_PARSER_OPTIONS)
            _schema = etree.XMLSchema(etree.parse(str(MAIN_XSD), parser))
        return _schema


def _parse(content: bytes) -> etree._ElementTree:
    if len(content) > MAX_REPLY_SIZE:
        raise SedaUnsafeXmlError("Le message dépasse la taille admise (5 Mio).")
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise SedaUnsafeXmlError("Le message contient une déclaration DOCTYPE ou ENTITY : refusé.")
    try:
        return etree.ElementTree(etree.fromstring(content, etree.XMLParser(**_PARSER_OPTIONS)))
    except etree.XMLSyntaxError as exc:
        raise SedaUnsafeXmlError(f"Le message n'est pas un XML bien formé : {exc}") from exc


def schema_errors(content: bytes) -> list[str]:
    """The schema errors of a SEDA 2.2 message (empty when valid), with their lines."""
    tree = _parse(content)
    schema = _main_schema()
    if schema.validate(tree):
        return []
    return [f"ligne {e.line} : {e.message}" for e in schema.error_log]


def validate(content: bytes) -> None:
    """Raise `SedaSchemaError` unless `content` is a message valid against SEDA 2.2."""
    errors = schema_errors(content)
    if errors:
        raise SedaSchemaError(
            f"Le message n'est pas conforme au SEDA 2.2 ({len(errors)} erreur(s)) : {errors[0]}",
            errors,
        )


def read_reply(content: bytes) -> TransferReply:
    """Read an ArchiveTransferReply, validated against the schemas first."""
    validate(content)
    root = _parse(content).getroot()
    if root.tag != _N + "ArchiveTransferReply":
        raise SedaSchemaError(
            "Ce message SEDA n'est pas une réponse à un transfert (ArchiveTransferReply)."
        )

    def text(tag: str) -> str:
        return (root.findtext(_N + tag) or "").strip()

    return TransferReply(
        message_identifier=text("MessageIdentifier"),
        request_identifier=text("MessageRequestIdentifier"),
        reply_code=text("ReplyCode"),
        date=text("Date"),
        comment=text("Comment"),
    )
