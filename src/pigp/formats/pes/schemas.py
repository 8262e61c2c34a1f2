"""The DGFiP PES V2 schema sets shipped with the library, compiled once and cached.

Each version lives in ``xsd/<version>/`` with the layout of the DGFiP "dossier technique"
(see ``xsd/ORIGIN.md``); imports between files are relative, so libxml2 resolves them
from the package directory without any network access.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import PesSchemaError, PesSchemaUnavailableError

XSD_DIR = Path(__file__).resolve().parent / "xsd"

SUPPORTED_VERSIONS: tuple[str, ...] = ("v5.11", "v5.12", "v5.14", "v5.16", "v5.17")
DEFAULT_VERSION = "v5.17"

NS_ALLER = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
NS_RETOUR = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour"
NS_ACQUIT_V2 = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"
NS_ACQUIT_RETOUR = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller/ack"
NS_DOC_BUDGETAIRE = "http://www.minefi.gouv.fr/cp/demat/docbudgetaire"
# Namespace of the 2009 PES (PES_Acquit / PES_NonAcquit): no schema shipped.
NS_LEGACY_2009 = "http://www.minefi.gouv.fr/cp/helios/pes"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"


class MessageKind(enum.StrEnum):
    ALLER = "PES_Aller"
    ACQUIT_V1 = "PES_ACQUIT v1"
    ACQUIT_V2 = "PES_ACQUIT v2"
    RETOUR = "PES_Retour"
    ACQUIT_RETOUR = "PES_ACQUIT_RETOUR"
    DOC_BUDGETAIRE = "DocumentBudgetaire"


@dataclass(frozen=True, slots=True)
class MessageType:
    kind: MessageKind
    root: str  # local name of the root element
    namespace: str
    schema_file: str  # relative to xsd/<version>/


MESSAGE_TYPES: tuple[MessageType, ...] = (
    MessageType(MessageKind.ALLER, "PES_Aller", NS_ALLER, "PES_V2/Rev0/PES_Aller.xsd"),
    MessageType(
        MessageKind.ACQUIT_V2,
        "PES_ACQUIT",
        NS_ACQUIT_V2,
        "PES_V2/Rev0/PES_V2_Acquit_Autonome_V2.xsd",
    ),
    MessageType(
        MessageKind.ACQUIT_V1, "PES_ACQUIT", NS_RETOUR, "PES_V2/Rev0/PES_V2_Acquit_Autonome.xsd"
    ),
    MessageType(MessageKind.RETOUR, "PES_Retour", NS_RETOUR, "PES_V2/RETOUR/Rev0/PES_Retour.xsd"),
    MessageType(
        MessageKind.ACQUIT_RETOUR,
        "PES_ACQUIT_RETOUR",
        NS_ACQUIT_RETOUR,
        "PES_V2/RETOUR/Rev0/PES_V2_Acquit_Retour.xsd",
    ),
    MessageType(
        MessageKind.DOC_BUDGETAIRE,
        "DocumentBudgetaire",
        NS_DOC_BUDGETAIRE,
        "SchemaDocBudg/DocumentBudgetaire.xsd",
    ),
)

# libxml2 refuses DocumentBudgetaire.xsd: "complex type 'TBlocEditeur': The content model
# is not determinist" (Class_DocumentBudgetaire.xsd). We say so up front instead of
# trying to compile it on every call.
UNCOMPILABLE: frozenset[MessageKind] = frozenset({MessageKind.DOC_BUDGETAIRE})


def message_type(namespace: str | None, root: str) -> MessageType | None:
    """The PES message a root element stands for, or None when it is not one we know."""
    for mt in MESSAGE_TYPES:
        if mt.root == root and mt.namespace == namespace:
            return mt
    return None


def message_type_by_kind(kind: MessageKind) -> MessageType:
    for mt in MESSAGE_TYPES:
        if mt.kind is kind:
            return mt
    raise PesSchemaError(f"type de message inconnu : {kind}")


def check_version(version: str) -> str:
    if version not in SUPPORTED_VERSIONS:
        raise PesSchemaError(
            f"version de schéma PES inconnue : {version!r} "
            f"(versions disponibles : {', '.join(SUPPORTED_VERSIONS)})"
        )
    return version


_cache: dict[tuple[str, MessageKind], etree.XMLSchema] = {}
_lock = threading.Lock()


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )


def schema_path(version: str, kind: MessageKind) -> Path:
    check_version(version)
    return XSD_DIR / version / message_type_by_kind(kind).schema_file


def get_schema(version: str, kind: MessageKind = MessageKind.ALLER) -> etree.XMLSchema:
    """Compiled schema of ``kind`` in ``version``; compiled once per process, thread-safe."""
    key = (check_version(version), kind)
    schema = _cache.get(key)
    if schema is not None:
        return schema
    if kind in UNCOMPILABLE:
        raise PesSchemaUnavailableError(
            f"le schéma {message_type_by_kind(kind).schema_file} ({version}) n'est pas "
            "compilable par libxml2 (modèle de contenu non déterministe) : "
            "ce document n'est pas vérifié"
        )
    with _lock:
        schema = _cache.get(key)
        if schema is None:
            path = schema_path(version, kind)
            if not path.is_file():
                raise PesSchemaError(f"schéma absent du paquet : {path}")
            try:
                schema = etree.XMLSchema(etree.parse(str(path), _schema_parser()))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise PesSchemaUnavailableError(
                    f"le schéma {path.name} ({version}) n'est pas compilable : {exc}"
                ) from exc
            _cache[key] = schema
    return schema
