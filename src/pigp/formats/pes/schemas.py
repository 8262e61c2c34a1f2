"""The DGFiP PES V2 schema sets shipped with the library, compiled once and cached.

Each version lives in ``xsd/<version>/`` with the layout of the DGFiP "dossier technique"
(see ``xsd/ORIGIN.md``); imports between files are relative, so libxml2 resolves them
from the package directory without any network access.
"""

from __future__ import annotations

import contextlib
import enum
import queue
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lxml import etree

from .errors import PesError, PesSchemaError, PesSchemaUnavailableError
from .messages import expected_form
from .report import Finding, Location, NumAnoAck, Scope, Severity
from .safety import PARSER_OPTIONS, FlowStream

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


# -- validation helpers -----------------------------------------------------------------
class _NoTree:
    """Parser target without start/end methods: libxml2 builds no tree at all, the schema
    validator (plugged into the SAX callbacks) still sees every element."""

    def close(self) -> str:
        return "done"


class _QueueReader:
    """File-like end of the queue filled by :class:`SchemaThread` (``None`` = end)."""

    def __init__(self, q: queue.Queue[bytes | None]) -> None:
        self._queue = q
        self.ended = False

    def read(self, n: int = -1) -> bytes:
        if self.ended:
            return b""
        data = self._queue.get()
        if data is None:
            self.ended = True
            return b""
        return data

    def drain(self) -> None:
        while not self.ended:
            self.read()


class SchemaThread:
    """Schema check of the bytes the walker reads, by libxml2 in a second thread.

    lxml's ``iterparse(schema=…)`` hides well-formedness errors once a schema is attached (a
    truncated file then ends without any exception), so the walker's parser has no schema
    and keeps reporting them with their line; the verdict comes from this second parser.
    It builds no tree (a parser target without callbacks) and runs in its own thread:
    libxml2 releases the GIL while it parses, so validation overlaps the Python work of
    the walker and the rules. Bytes are handed over in batches (64 KiB to 2 MiB) through a bounded queue, so
    memory stays flat whatever the flow's size.
    """

    # Batches grow from 64 KiB (a small flow overlaps too) to 2 MiB: each hand-over may
    # cost the thread a GIL switch interval (5 ms) while the walker runs Python code.
    _FIRST_BATCH = 1 << 16
    _MAX_BATCH = 1 << 21

    def __init__(self, stream: FlowStream | _Readable, schema: etree.XMLSchema) -> None:
        self._stream = stream
        self._schema = schema
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._buf = bytearray()
        self._batch = self._FIRST_BATCH
        self._fed = False
        self._entries: list[etree._LogEntry] = []
        self.broken = False
        # Why the schema check could not give a verdict (the walker must not take "no
        # entries" for "valid"): an unexpected exception, or unreadable input without
        # any message to report.
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pes-xsd", daemon=True)
        self._thread.start()

    # -- the walker's side ----------------------------------------------------------------
    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        if data:
            self._buf += data
            if len(self._buf) >= self._batch:
                self._put(bytes(self._buf))
                self._buf.clear()
                self._batch = min(self._batch * 2, self._MAX_BATCH)
        elif not self._fed:
            self._end(keep=True)
        return data

    def _put(self, item: bytes | None) -> None:
        while True:
            try:
                self._queue.put(item, timeout=1.0)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    return  # the validator is gone: nothing left to feed

    def _end(self, *, keep: bool) -> None:
        if self._fed:
            return
        self._fed = True
        if keep and self._buf:
            self._put(bytes(self._buf))
        self._buf.clear()
        self._put(None)

    def close(self) -> None:
        """Stop feeding (early end included) and wait for the validating thread."""
        self._end(keep=False)
        self._thread.join()

    def verdict(self) -> list[etree._LogEntry]:
        """Schema errors of the whole input: an empty list means valid only when
        :attr:`failure` is None."""
        self._end(keep=True)
        self._thread.join()
        return self._entries

    # -- the validating thread ------------------------------------------------------------
    def _run(self) -> None:
        reader = _QueueReader(self._queue)
        parser = None
        verdict = False
        try:
            parser = etree.XMLParser(target=_NoTree(), schema=self._schema, **PARSER_OPTIONS)
            # feed() runs libxml2 without the GIL: one hand-over per batch, not per 4 kB
            # as with a file-like source.
            while data := reader.read():
                parser.feed(data)
            parser.close()
            self._entries = [e for e in parser.feed_error_log if e.domain_name == "SCHEMASV"]
            verdict = True
        except etree.XMLSyntaxError as exc:
            # Not well-formed: the walker reports it (with its line); keep the schema
            # messages met before, or the parser's last word, in case it does not.
            self.broken = True
            fed = parser.feed_error_log if parser is not None else []
            log = [e for e in fed if e.level_name in ("ERROR", "FATAL")]
            log = log or [e for e in exc.error_log if e.level_name in ("ERROR", "FATAL")]
            self._entries = [e for e in log if e.domain_name == "SCHEMASV"] or log[-1:]
            verdict = bool(self._entries)
            self.failure = None if verdict else exc
        except Exception as exc:
            # Fail closed: keep the schema errors met so far, and say the check broke off.
            self.broken = True
            self.failure = exc
            with contextlib.suppress(Exception):
                log = parser.feed_error_log if parser is not None else []
                self._entries = [e for e in log if e.domain_name == "SCHEMASV"]
        finally:
            if not verdict and self.failure is None:
                self.broken = True
                self.failure = PesError("le contrôle du schéma s'est arrêté sans verdict")
            reader.drain()


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


_RX_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S)
_RX_NOT_EXPECTED = re.compile(r"This element is not expected\.(?: Expected is (.*)\.)?", re.S)
_RX_MISSING = re.compile(r"Missing child element\(s\)\. Expected is (.*)\.", re.S)
_RX_VALUE = re.compile(r"(?:\[facet '([^']+)'\] )?The value '([^']*)'", re.S)
_RX_ATOMIC = re.compile(r"'([^']*)' is not a valid value of the (?:atomic|local atomic) type", re.S)
_RX_REQUIRED_ATTR = re.compile(r"The attribute '([^']+)' is required but missing", re.S)
_FACETS = {
    "pattern": "ne respecte pas le format attendu",
    "enumeration": "n'est pas dans la liste des valeurs autorisées",
    "length": "n'a pas la longueur attendue",
    "maxLength": "est trop longue",
    "minLength": "est trop courte ou vide",
    "totalDigits": "a trop de chiffres",
    "fractionDigits": "a trop de décimales",
    "minExclusive": "est trop petite (doit être strictement positive)",
    "minInclusive": "est trop petite",
    "maxInclusive": "est trop grande",
}


def _clean_ns(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "", text).replace("one of (", "l'un de (").strip()


def french_schema_message(message: str) -> tuple[str, str | None]:
    """French wording of a libxml2 schema message, and the element it names."""
    m = _RX_ELEMENT.match(message.strip())
    if not m:
        return "non conforme au schéma.", None
    element, attribute, rest = _clean_ns(m.group(1)), m.group(2), m.group(3)
    if ne := _RX_NOT_EXPECTED.search(rest):
        expected = f" ; attendu : {_clean_ns(ne.group(1))}" if ne.group(1) else ""
        return f"l'élément « {element} » n'est pas attendu à cet endroit{expected}.", element
    if mi := _RX_MISSING.search(rest):
        return (
            f"il manque un élément obligatoire dans « {element} » ; attendu : "
            f"{_clean_ns(mi.group(1))}.",
            element,
        )
    if "Character content is not allowed" in rest:
        return (
            f"l'élément « {element} » ne doit pas contenir de texte : sa valeur se met dans "
            "l'attribut V.",
            element,
        )
    if ra := _RX_REQUIRED_ATTR.search(rest):
        return f"l'attribut obligatoire « {ra.group(1)} » manque sur « {element} ».", element
    if attribute and "is not allowed" in rest:
        return f"l'attribut « {attribute} » n'est pas admis sur « {element} ».", element
    if "Element content is not allowed" in rest:
        return f"l'élément « {element} » ne doit pas contenir d'éléments.", element
    value = None
    facet = None
    if va := _RX_VALUE.search(rest):
        facet, value = va.group(1), va.group(2)
    elif at := _RX_ATOMIC.search(rest):
        value = at.group(1)
    if value is not None:
        what = _FACETS.get(facet or "", "n'est pas une valeur valide")
        where = f"« {element} »" + (f" (attribut {attribute})" if attribute else "")
        return f"la valeur « {value} » de {where} {what}{_constraint(facet, rest)}.", element
    # Not a message we know: no English shown, the element and the line say where.
    return f"l'élément « {element} » n'est pas conforme au schéma.", element


_RX_ATOMIC_TYPE = re.compile(r"atomic type '([^']+)'")
_RX_SET = re.compile(r"set \{(.*)\}")
_RX_LAST_NUMBER = re.compile(r"'(\d+)'\.?\s*$")
_RX_PATTERN = re.compile(r"pattern '([^']*)'")


def _constraint(facet: str | None, rest: str) -> str:
    """What was expected, in French, from the English tail of libxml2's message."""
    if facet is None:
        if typ := _RX_ATOMIC_TYPE.search(rest):
            return f" ; attendu : {expected_form(typ.group(1))}"
        return ""
    if facet == "enumeration" and (values := _RX_SET.search(rest)):
        allowed = ", ".join(v.strip().strip("'") for v in values.group(1).split(","))
        return f" : {allowed}" if len(allowed) <= 200 else ""
    if facet == "pattern" and (pattern := _RX_PATTERN.search(rest)):
        return f" (motif {pattern.group(1)})"
    number = _RX_LAST_NUMBER.search(rest)
    if number is None:
        return ""
    n = number.group(1)
    return {
        "length": f" ({n} caractères exactement)",
        "maxLength": f" ({n} caractères au plus)",
        "minLength": f" ({n} caractère(s) au moins)",
        "totalDigits": f" ({n} chiffres au plus)",
        "fractionDigits": f" ({n} décimales au plus)",
        "minInclusive": f" (minimum {n})",
        "maxInclusive": f" (maximum {n})",
    }.get(facet, "")


def schema_finding(message: str, line: int | None, path: str, version: str = "") -> Finding:
    text, element = french_schema_message(message)
    where = f"ligne {line}, " if line else ""
    path = re.sub(r"/\w+:", "/", path) if path else (f"…/{element}" if element else "")
    label = f" {version}" if version else ""
    return Finding(
        NumAnoAck.SCHEMA_INCOMPLET,
        Severity.ERROR,
        Scope.FLUX,
        f"Flux non conforme au schéma PES{label} ({where}{path}) : {text}",
        Location(path=path, line=line),
        "xsd",
    )


# -- locating schema errors in a flow of any size ----------------------------------------
# libxml2's streaming validation gives no line. To explain an invalid flow we re-read it
# once: each repeated unit (a Piece after the first of its bordereau, a PJ after the first)
# is moved into a minimal valid document and validated there, and what remains (the
# "spine": headers, BlocBordereau, first units, anything misplaced) is validated at the
# end. Dropping a repetition of a valid ``Piece+``/``PJ*`` item changes nothing to the
# validity of the rest, and the schemas hold no identity constraint across units, so the
# errors found are the flow's errors, each with its own line.
_ENVELOPE = (
    '<Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="X"/></Parametres>'
    '<Emetteur><Sigle V="X"/><Adresse V="X"/></Emetteur></Enveloppe>'
    '<EnTetePES><DteStr V="2025-01-01"/><IdPost V="034000"/><IdColl V="21340172201787"/>'
    '<CodCol V="123"/><CodBud V="01"/></EnTetePES>'
)
_BLOC = (
    '<BlocBordereau><Exer V="2025"/><IdBord V="1"/><DteBordEm V="2025-01-01"/><TypBord V="01"/>'
    '<NbrPce V="1"/>{mt}</BlocBordereau>'
)
_TEMPLATES = {
    "PES_DepenseAller": (
        '<PES_DepenseAller><EnTeteDepense><IdVer V="2"/></EnTeteDepense><Bordereau>'
        + _BLOC.format(mt='<MtBordHT V="1"/>')
        + "</Bordereau></PES_DepenseAller>"
    ),
    "PES_RecetteAller": (
        '<PES_RecetteAller><EnTeteRecette><IdVer V="2"/></EnTeteRecette><Bordereau>'
        + _BLOC.format(mt='<MtBordHt V="1"/>')
        + "</Bordereau></PES_RecetteAller>"
    ),
    "PES_PJ": '<PES_PJ><EnTetePES_PJ><IdVer V="1"/></EnTetePES_PJ></PES_PJ>',
}
_UNIT_PARENT = {"Piece": "Bordereau", "PJ": "PES_PJ"}


def _template(domain: str) -> etree._Element:
    text = f'<n:PES_Aller xmlns:n="{NS_ALLER}">{_ENVELOPE}{_TEMPLATES[domain]}</n:PES_Aller>'
    return etree.fromstring(text, etree.XMLParser(**PARSER_OPTIONS))


_BATCH = 256  # units validated together in one minimal document
# XMLSchema.validate() keeps its messages on the (shared, cached) schema object.
_validate_lock = threading.Lock()


def _validate(
    schema: etree.XMLSchema, doc: etree._Element | etree._ElementTree
) -> list[etree._LogEntry]:
    """Schema messages for ``doc`` (empty when valid), safe across threads."""
    with _validate_lock:
        if schema.validate(doc):
            return []
        return list(schema.error_log)


def _entries_to_findings(entries: list[etree._LogEntry], version: str) -> list[tuple[int, Finding]]:
    return [
        (e.line or 0, schema_finding(e.message, e.line or None, e.path or "", version))
        for e in entries
        if e.domain_name == "SCHEMASV"
    ]


class _Batch:
    """Units of one kind and domain waiting to be validated in a minimal document."""

    def __init__(self, domain: str, tag: str) -> None:
        self.domain = domain
        self.tag = tag
        self.units: list[tuple[etree._Element, str]] = []  # (element, its real path)
        mini = "Bordereau/Piece" if tag == "Piece" else "PJ"
        self._rx = re.compile(rf"^/PES_Aller/{domain}/{mini}(?:\[(\d+)\])?(.*)$")

    def flush(
        self, schema: etree.XMLSchema, version: str, minis: dict[str, etree._Element]
    ) -> list[tuple[int, Finding]]:
        if not self.units:
            return []
        if self.domain not in minis:
            minis[self.domain] = _template(self.domain)
        mini = minis[self.domain]
        holder = mini.find(f"{self.domain}/Bordereau" if self.tag == "Piece" else self.domain)
        assert holder is not None
        for el, _real in self.units:
            holder.append(el)  # moved out of the flow's tree; lines are kept
        found = []
        for e in _validate(schema, mini):
            if e.domain_name != "SCHEMASV":
                continue
            m = self._rx.match(re.sub(r"/\w+:", "/", e.path or ""))
            if not m:
                continue  # the template's own content, not the flow's
            index = int(m.group(1) or 1) - 1
            path = self.units[index][1] + m.group(2)
            found.append((e.line or 0, schema_finding(e.message, e.line or None, path, version)))
        for el, _real in self.units:
            holder.remove(el)
        self.units = []
        return found


def locate_schema_errors(
    stream: FlowStream, version: str, kind: MessageKind, *, limit: int = 50
) -> list[Finding]:
    """Schema errors of an invalid flow with line and element path, in bounded memory."""
    schema = get_schema(version, kind)
    found: list[tuple[int, Finding]] = []
    if kind is not MessageKind.ALLER:
        tree = etree.parse(stream, etree.XMLParser(**PARSER_OPTIONS))
        found = _entries_to_findings(_validate(schema, tree), version)
        return [f for _, f in sorted(found, key=lambda x: x[0])][:limit]
    counts: dict[int, int] = {}
    bord_index: dict[int, int] = {}
    minis: dict[str, etree._Element] = {}
    batches: dict[tuple[str, str], _Batch] = {}
    root = None
    for _ev, el in etree.iterparse(
        stream, events=("end",), tag=("Piece", "PJ", "Bordereau"), **PARSER_OPTIONS
    ):
        parent = el.getparent()
        if parent is None or el.tag == "Bordereau":
            continue
        if root is None:
            root = el.getroottree().getroot()
        if parent.tag != _UNIT_PARENT[el.tag]:
            continue
        position = counts[id(parent)] = counts.get(id(parent), 0) + 1
        previous = el.getprevious()
        if previous is None or previous.tag != el.tag:
            continue  # first of a run: stays in the spine
        domain = parent.getparent().tag if el.tag == "Piece" else "PES_PJ"
        if domain not in _TEMPLATES or len(found) >= limit:
            parent.remove(el)
            continue
        if el.tag == "Piece":
            if id(parent) not in bord_index:
                bord_index[id(parent)] = 1 + sum(
                    1 for b in parent.itersiblings(preceding=True) if b.tag == "Bordereau"
                )
            real = f"/PES_Aller/{domain}/Bordereau[{bord_index[id(parent)]}]/Piece[{position}]"
        else:
            real = f"/PES_Aller/PES_PJ/PJ[{position}]"
        batch = batches.setdefault((domain, el.tag), _Batch(domain, el.tag))
        parent.remove(el)
        batch.units.append((el, real))
        if len(batch.units) >= _BATCH:
            found += batch.flush(schema, version, minis)
    for batch in batches.values():
        found += batch.flush(schema, version, minis)
    if root is not None:
        found += _entries_to_findings(_validate(schema, root.getroottree()), version)
    return [f for _, f in sorted(found, key=lambda x: x[0])][:limit]
