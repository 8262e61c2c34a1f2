"""Validation of a PES flow, in the order of Hélios' Guichet XML.

1. safety and envelope (empty, size, encoding, DOCTYPE/entities, limits, root);
2. XSD of the version in force, streaming (libxml2 validates while lxml parses);
3. signatures, when the flow carries any (``signature.verify_signatures``);
4. business rules (``rules.RuleEngine``), fed by the same streaming pass as 2.

Layers 2 and 4 share one pass over the file. A second pass happens only for a flow that
fails the schema: to locate the errors (line, element path) when the flow is small
enough to hold as a tree, and to try the versions accepted during a transition.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lxml import etree

from .context import NullContext, PlatformContext
from .errors import PesError, PesLimitError, PesSchemaError, PesUnsafeXmlError
from .messages import parser_message
from .pj import DEFAULT_MAX_DECOMPRESSED, PjCollector
from .reader import AllerWalker, Source, open_source
from .records import PieceLite
from .report import (
    Finding,
    Layer,
    Location,
    NumAnoAck,
    Report,
    Scope,
    Severity,
    SignatureInfo,
    interrupted_finding,
)
from .rules import RuleEngine
from .safety import PARSER_OPTIONS, FlowStream, Prolog, read_head
from .schemas import (
    DEFAULT_VERSION,
    MESSAGE_TYPES,
    NS_LEGACY_2009,
    MessageKind,
    MessageType,
    SchemaThread,
    check_version,
    get_schema,
    locate_schema_errors,
    message_type,
    schema_finding,
)

if TYPE_CHECKING:
    from .signature import TrustStore

log = logging.getLogger("pigp.formats.pes")
MAX_SCHEMA_FINDINGS = 50


@dataclass(frozen=True, slots=True)
class ValidationOptions:
    version: str = DEFAULT_VERSION
    accepted_versions: tuple[str, ...] = ()  # extra versions tolerated during a transition
    max_size: int = 1_500_000_000
    max_depth: int = 256
    max_elements: int = 50_000_000
    max_pj_decompressed: int = DEFAULT_MAX_DECOMPRESSED
    trust: TrustStore | None = None
    production: bool = False
    check_signatures: bool = True
    # The triplet table is derived, not the official grid (data/TRIPLETS_ORIGIN.md):
    # an unknown triplet is a warning unless this is set.
    strict_triplets: bool = False


@dataclass
class _Outcome:
    findings: list[Finding] = field(default_factory=list)
    root: str | None = None
    schema_version: str = DEFAULT_VERSION
    signatures: tuple[SignatureInfo, ...] = ()
    engine: RuleEngine | None = None
    layer: Layer = Layer.ENVELOPE  # the layer at work, for the last barrier (see validate)
    interrupted: list[Layer] = field(default_factory=list)

    def interrupt(self, layer: Layer, exc: BaseException) -> None:
        """``layer`` could not finish: an error finding, and the report is no verdict."""
        if layer not in self.interrupted:
            self.interrupted.append(layer)
            self.findings.append(interrupted_finding(layer, exc))


def _flux(
    code: NumAnoAck, message: str, rule: str, *, line: int | None = None, path: str = ""
) -> Finding:
    return Finding(code, Severity.ERROR, Scope.FLUX, message, Location(path=path, line=line), rule)


def validate(
    source: Source,
    *,
    options: ValidationOptions | None = None,
    context: PlatformContext | None = None,
) -> Report:
    """Validate a PES flow (path, bytes or binary file object) and return its report."""
    options = options or ValidationOptions()
    check_version(options.version)
    for v in options.accepted_versions:
        check_version(v)
    context = context or NullContext()
    out = _Outcome(schema_version=options.version)
    path = Path(source) if isinstance(source, (str, Path)) else None
    if path is not None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise PesError(f"fichier illisible : {path} ({exc.strerror})") from exc
        if size > options.max_size:
            out.findings.append(
                _flux(
                    NumAnoAck.AUTRE,
                    f"Le fichier fait {size} octets, au-delà de la taille maximale admise "
                    f"({options.max_size} octets).",
                    "max-size",
                )
            )
            return _report(out)
    with contextlib.ExitStack() as stack:
        try:
            raw = stack.enter_context(open_source(source))
        except OSError as exc:
            # Only a path is opened here; never print a bytes source (b'...') in a message.
            what = str(path) if path is not None else "flux"
            raise PesError(f"fichier illisible : {what} ({exc.strerror})") from exc
        if not _seekable(raw):
            with tempfile.TemporaryFile() as spool:
                _copy(raw, spool, options.max_size)
                spool.seek(0)
                _guarded_run(spool, None, options, context, out)
        else:
            _guarded_run(raw, path, options, context, out)
    return _report(out)


def _guarded_run(
    raw: IO[bytes],
    path: Path | None,
    options: ValidationOptions,
    context: PlatformContext,
    out: _Outcome,
) -> None:
    """The last barrier: whatever a layer raises, validation fails closed (the layers
    catch their own failures first, keeping what the others found)."""
    try:
        _run(raw, path, options, context, out)
    except Exception as exc:
        out.interrupt(out.layer, exc)


def _seekable(raw: IO[bytes]) -> bool:
    try:
        return raw.seekable()
    except (AttributeError, OSError):
        return False


def _copy(src: IO[bytes], dst: IO[bytes], limit: int) -> None:
    total = 0
    while chunk := src.read(1 << 20):
        total += len(chunk)
        if total > limit + 1:
            break
        dst.write(chunk)


def _report(out: _Outcome) -> Report:
    engine = out.engine
    h = engine.header if engine else None
    return Report(
        schema_version=out.schema_version,
        root=out.root,
        findings=tuple(out.findings),
        bordereaux=tuple(engine.summaries) if engine else (),
        pj_ids=tuple(engine.pj_ids) if engine else (),
        signatures=out.signatures,
        nom_fic=h.nom_fic if h else None,
        id_post=h.id_post if h else None,
        id_coll=h.id_coll if h else None,
        cod_col=h.cod_col if h else None,
        cod_bud=h.cod_bud if h else None,
        interrupted=tuple(out.interrupted),
    )


# -- layer 1 ----------------------------------------------------------------------------
_PROLOG_MESSAGES = {
    "empty": (NumAnoAck.FLUX_VIDE, "Le fichier est vide : aucun flux PES à traiter."),
    "compressed": (
        NumAnoAck.ENCODING,
        "Le fichier est une archive compressée ({detail}) et non un flux XML PES : "
        "déposez le fichier XML décompressé.",
    ),
    "binary": (
        NumAnoAck.SCHEMA_INCOMPLET,
        "Le fichier n'est pas un document XML (contenu binaire ou texte ne commençant pas "
        "par une balise).",
    ),
    "utf16": (
        NumAnoAck.ENCODING,
        "Le fichier est encodé en UTF-16 : un flux PES doit être encodé en ISO-8859-1 (ou UTF-8).",
    ),
    "bad-encoding": (
        NumAnoAck.ENCODING,
        "L'encodage du fichier ({detail}) n'est pas admis : un flux PES doit être encodé en "
        "ISO-8859-1 (ou UTF-8) et le déclarer dans son en-tête <?xml … encoding=…?>.",
    ),
    "encoding-mismatch": (
        NumAnoAck.ENCODING,
        "Le fichier déclare l'encodage {detail} mais contient des caractères qui ne sont pas "
        "du {detail} valide.",
    ),
    "doctype": (
        NumAnoAck.SCHEMA_INCOMPLET,
        "Le fichier contient une déclaration DOCTYPE ou ENTITY, interdite dans un flux PES "
        "(risque d'entités externes ou d'expansion d'entités).",
    ),
    "no-root": (
        NumAnoAck.SCHEMA_INCOMPLET,
        "Le fichier ne contient pas d'élément racine XML lisible.",
    ),
}


def _prolog_findings(prolog: Prolog) -> tuple[list[Finding], bool]:
    findings = []
    fatal = False
    for p in prolog.problems:
        if p.kind == "mojibake":
            findings.append(
                Finding(
                    NumAnoAck.ENCODING,
                    Severity.WARNING,
                    Scope.FLUX,
                    "Le fichier déclare l'encodage ISO-8859-1 mais semble encodé en UTF-8 : "
                    "les caractères accentués seront mal lus.",
                    Location(line=1),
                    "encoding-mojibake",
                )
            )
            continue
        code, text = _PROLOG_MESSAGES[p.kind]
        detail = p.detail
        if p.kind == "bad-encoding" and detail == "undeclared-not-utf8":
            text = (
                "Le fichier ne déclare pas son encodage et n'est pas en UTF-8 : ajoutez "
                '<?xml version="1.0" encoding="ISO-8859-1"?> en tête du flux.'
            )
        findings.append(_flux(code, text.format(detail=detail), f"prolog-{p.kind}", line=1))
        fatal = True
    return findings, fatal


def _root_problem(prolog: Prolog) -> Finding | None:
    name, ns = prolog.root, prolog.root_namespace
    path, line = f"/{name}", prolog.root_line
    if ns == NS_LEGACY_2009:
        return _flux(
            NumAnoAck.VERSION_PES,
            f"Le fichier est un message « {name} » de l'ancien format PES (2009, espace de "
            f"noms {ns}) : format inconnu ou périmé, non pris en charge.",
            "legacy-format",
            path=path,
            line=line,
        )
    expected = [mt for mt in MESSAGE_TYPES if mt.root == name]
    if expected:
        wanted = " ou ".join(sorted({mt.namespace for mt in expected}))
        got = f"l'espace de noms « {ns} »" if ns else "aucun espace de noms"
        return _flux(
            NumAnoAck.SCHEMA_INCOMPLET,
            f"L'élément racine « {name} » est dans {got} ; attendu : {wanted}.",
            "root-namespace",
            path=path,
            line=line,
        )
    return _flux(
        NumAnoAck.SCHEMA_INCOMPLET,
        f"L'élément racine « {name} » n'est pas celui d'un message PES (attendu PES_Aller, "
        "PES_ACQUIT, PES_Retour ou PES_ACQUIT_RETOUR).",
        "root-unknown",
        path=path,
        line=line,
    )


# -- the pass ---------------------------------------------------------------------------
def _run(
    raw: IO[bytes],
    path: Path | None,
    options: ValidationOptions,
    context: PlatformContext,
    out: _Outcome,
) -> None:
    start = raw.tell()
    head, prolog = read_head(raw)
    findings, fatal = _prolog_findings(prolog)
    out.findings.extend(findings)
    if fatal:
        return
    out.root = prolog.root
    mt = message_type(prolog.root_namespace, prolog.root or "")
    if mt is None:
        problem = _root_problem(prolog)
        if problem:
            out.findings.append(problem)
        return
    if mt.kind is MessageKind.DOC_BUDGETAIRE:
        out.findings.append(
            Finding(
                NumAnoAck.AUTRE,
                Severity.INFO,
                Scope.FLUX,
                "Document budgétaire non vérifié : le schéma DocumentBudgetaire.xsd de la "
                "DGFiP n'est pas compilable par libxml2 (modèle de contenu non déterministe).",
                Location(path=f"/{mt.root}", line=prolog.root_line),
                "docbudg-not-checked",
            )
        )
        return
    out.layer = Layer.SCHEMA
    try:
        schema = get_schema(options.version, mt.kind)
    except PesSchemaError as exc:  # a shipped schema that cannot be used: no verdict
        out.interrupt(Layer.SCHEMA, exc)
        schema = None
    engine = (
        RuleEngine(context, strict_triplets=options.strict_triplets)
        if mt.kind is MessageKind.ALLER
        else None
    )
    out.engine = engine
    errors, signatures, _size = _stream_pass(raw, head, schema, engine, options, mt, out)
    if errors is None:
        _finish_rules(engine, out)
    elif isinstance(errors, Finding):
        out.findings.append(errors)
        return  # not well-formed or unsafe: nothing else can be trusted
    else:
        raw.seek(start)
        out.layer = Layer.SCHEMA
        schema_findings = _locate(raw, options, mt) or errors
        try:
            accepted = _try_accepted(raw, start, options, mt)
        except Exception as exc:
            out.interrupt(Layer.SCHEMA, exc)
            accepted = None
        if accepted:
            out.schema_version = accepted
            out.findings.append(
                Finding(
                    NumAnoAck.VERSION_PES,
                    Severity.WARNING,
                    Scope.FLUX,
                    f"Le flux n'est pas conforme au schéma {options.version} en vigueur mais "
                    f"l'est au schéma {accepted}, encore accepté pendant la période de "
                    f"transition. Premier écart avec {options.version} : "
                    f"{schema_findings[0].message}",
                    schema_findings[0].location,
                    "xsd-transition",
                )
            )
        else:
            out.findings.extend(schema_findings)
            if prolog.legacy_domains:
                out.findings.append(
                    Finding(
                        NumAnoAck.VERSION_PES,
                        Severity.INFO,
                        Scope.FLUX,
                        "Ce flux déclare des domaines PES qui n'existent plus depuis la "
                        f"version 5 ({', '.join(prolog.legacy_domains)}) : il a "
                        "probablement été produit pour un ancien format du PES.",
                        Location(path=f"/{prolog.root}", line=prolog.root_line),
                        "legacy-hint",
                    )
                )
        _finish_rules(engine, out)
    # A walk that broke off may not have met every signature: check them all the same.
    walked = Layer.READING not in out.interrupted
    if (signatures or not walked) and options.check_signatures:
        out.layer = Layer.SIGNATURES
        raw.seek(start)
        try:
            infos, sig_findings = _signatures(raw if path is None else path, options)
        except Exception as exc:
            out.interrupt(Layer.SIGNATURES, exc)
        else:
            out.signatures = infos
            out.findings.extend(sig_findings)


def _finish_rules(engine: RuleEngine | None, out: _Outcome) -> None:
    """The rules' findings; the end-of-flow checks only after a complete walk."""
    if engine is None:
        return
    out.layer = Layer.RULES
    if Layer.READING in out.interrupted or Layer.RULES in out.interrupted:
        out.findings.extend(engine.findings)  # what was found before the break
        return
    try:
        out.findings.extend(engine.finish())
    except Exception as exc:
        out.findings.extend(engine.findings)
        out.interrupt(Layer.RULES, exc)


def _stream_pass(
    raw: IO[bytes],
    head: bytes,
    schema: etree.XMLSchema | None,
    engine: RuleEngine | None,
    options: ValidationOptions,
    mt: MessageType,
    out: _Outcome,
) -> tuple[list[Finding] | Finding | None, int, int]:
    """One pass: records for the rules + schema verdict. Returns (errors, signatures, size)."""
    collector = PjCollector(None, options.max_pj_decompressed)
    stream = FlowStream(
        raw,
        head=head,
        pj=collector if engine is not None else None,
        max_size=options.max_size,
        max_elements=options.max_elements,
        max_depth=options.max_depth,
        chunk_size=1 << 20,
    )
    etree.clear_error_log()  # lxml mixes the thread's earlier errors into the next report
    tee = SchemaThread(stream, schema) if schema is not None else None
    source = tee if tee is not None else stream
    walker = AllerWalker(source, collector, lite=True) if engine is not None else None
    out.layer = Layer.READING
    try:
        return _walk(walker, engine, source, stream, tee, options, out)
    finally:
        if tee is not None:
            tee.close()


def _walk(
    walker: AllerWalker[PieceLite] | None,
    engine: RuleEngine | None,
    source: SchemaThread | FlowStream,
    stream: FlowStream,
    tee: SchemaThread | None,
    options: ValidationOptions,
    out: _Outcome,
) -> tuple[list[Finding] | Finding | None, int, int]:
    try:
        try:
            _consume(walker, engine, source, out)
        except (PesUnsafeXmlError, PesLimitError, etree.XMLSyntaxError):
            raise
        except Exception as exc:
            out.interrupt(Layer.READING, exc)
            while source.read(1 << 20):  # the schema verdict needs the rest of the bytes
                pass
    except PesUnsafeXmlError as exc:
        return _flux(NumAnoAck.SCHEMA_INCOMPLET, f"{exc}.", "doctype", line=stream.line), 0, 0
    except PesLimitError as exc:
        return _flux(NumAnoAck.AUTRE, f"{exc}.", "limit", line=stream.line), 0, 0
    except etree.XMLSyntaxError as exc:
        # The log also holds the validating parser's messages: keep the parser's own.
        entry = next(
            (
                e
                for e in exc.error_log
                if e.domain_name not in ("SCHEMASV", "SCHEMASP")
                and e.level_name in ("ERROR", "FATAL")
            ),
            None,
        )
        message = entry.message if entry else str(exc)
        line = (entry.line if entry else None) or exc.lineno or stream.line
        return _wellformed_finding(message, line, stream), 0, 0
    signatures = walker.signatures if walker is not None else 0
    entries = tee.verdict() if tee is not None else []
    if tee is not None and tee.failure is not None:
        out.interrupt(Layer.SCHEMA, tee.failure)  # never "no entries, so valid"
    if not entries:
        return None, signatures, stream.size
    findings = [schema_finding(e.message, None, "", options.version) for e in entries]
    return findings[:MAX_SCHEMA_FINDINGS], signatures, stream.size


def _consume(
    walker: AllerWalker[PieceLite] | None,
    engine: RuleEngine | None,
    source: SchemaThread | FlowStream,
    out: _Outcome,
) -> None:
    """Walk the flow, feeding the rules; rules that fail stop, the walk goes on (schema
    verdict, signatures)."""
    if walker is not None and engine is not None:
        feed = engine.feed
        records = iter(walker)
        for record in records:
            try:
                feed(record)
            except Exception as exc:
                out.interrupt(Layer.RULES, exc)
                for _record in records:
                    pass
                return
    else:
        for _ev, el in etree.iterparse(source, events=("end",), **PARSER_OPTIONS):
            parent = el.getparent()
            if parent is not None and parent.getparent() is None:
                el.clear()


def _wellformed_finding(message: str, line: int | None, stream: FlowStream) -> Finding:
    low = message.lower()
    said = parser_message(message)
    detail = f" ({said})" if said else ""  # libxml2's English is not shown
    if "encoding" in low or "utf-8" in low or "invalid char" in low or "bytes" in low:
        return _flux(
            NumAnoAck.ENCODING,
            f"Ligne {line} : caractère invalide pour l'encodage déclaré du fichier{detail}.",
            "encoding-invalid",
            line=line,
        )
    if "excessive depth" in low or "huge" in low:
        return _flux(
            NumAnoAck.AUTRE,
            f"Ligne {line} : le document dépasse les limites du lecteur XML{detail}.",
            "limit",
            line=line,
        )
    at_end = stream.finished and line is not None and line >= stream.line - 1
    if "extra content" in low:
        return _flux(
            NumAnoAck.SCHEMA_INCOMPLET,
            f"Ligne {line} : du contenu suit la fin de l'élément racine.",
            "extra-content",
            line=line,
        )
    if "premature end" in low or (at_end and "entity" not in low):
        return _flux(
            NumAnoAck.SCHEMA_INCOMPLET,
            f"Le fichier est tronqué : le document XML s'arrête avant sa fin (ligne {line}).",
            "truncated",
            line=line,
        )
    if "entity" in low:
        return _flux(
            NumAnoAck.SCHEMA_INCOMPLET,
            f"Ligne {line} : référence à une entité non définie{detail} ; les "
            "entités ne sont pas admises dans un flux PES.",
            "entity",
            line=line,
        )
    return _flux(
        NumAnoAck.SCHEMA_INCOMPLET,
        f"Ligne {line} : le fichier n'est pas un XML bien formé{detail}.",
        "not-well-formed",
        line=line,
    )


def _locate(raw: IO[bytes], options: ValidationOptions, mt: MessageType) -> list[Finding]:
    """Re-read a schema-invalid flow to give each error its line and element path."""
    head, _prolog = read_head(raw)
    stream = FlowStream(raw, head=head, max_size=options.max_size)
    try:
        return locate_schema_errors(stream, options.version, mt.kind, limit=MAX_SCHEMA_FINDINGS)
    except (etree.XMLSyntaxError, PesError):
        return []
    except Exception:
        # The verdict is known (invalid); only the lines are missing: the streaming
        # pass's messages are reported instead.
        log.warning("PES validation: locating schema errors failed", exc_info=True)
        return []


def _try_accepted(
    raw: IO[bytes], start: int, options: ValidationOptions, mt: MessageType
) -> str | None:
    """First accepted (transition) version the flow is valid against, if any."""
    for version in options.accepted_versions:
        if version == options.version:
            continue
        raw.seek(start)
        head, _prolog = read_head(raw)
        stream = FlowStream(raw, head=head, max_size=options.max_size)
        tee = SchemaThread(stream, get_schema(version, mt.kind))
        try:
            while tee.read(1 << 16):
                pass
            valid = not tee.verdict() and not tee.broken
        except PesError:
            return None
        finally:
            tee.close()
        if tee.failure is not None and not isinstance(tee.failure, etree.XMLSyntaxError):
            raise tee.failure  # no verdict under this version: the caller fails closed
        if valid:
            return version
    return None


def _signatures(
    source: IO[bytes] | Path, options: ValidationOptions
) -> tuple[tuple[SignatureInfo, ...], Iterable[Finding]]:
    # An unavailable verifier (ImportError) is a check that cannot run: the caller fails closed.
    from .signature import verify_signatures

    try:
        return verify_signatures(source, trust=options.trust, production=options.production)
    except PesError as exc:
        return (), [
            Finding(
                NumAnoAck.SIGNATURE_ILLISIBLE,
                Severity.ERROR,
                Scope.SIGNATURE,
                f"Les signatures du flux n'ont pas pu être lues : {exc}",
                Location(),
                "signature-unreadable",
            )
        ]


__all__ = ["ValidationOptions", "validate"]
