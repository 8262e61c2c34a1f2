"""The two entry points: :func:`read` and :func:`validate`."""

from __future__ import annotations

import logging

from . import cii, ubl
from .detect import Detected, detect
from .model import Finding, Invoice, Report
from .safety import DEFAULT_MAX_SIZE
from .schemas import validate_xsd
from .schematron import validate_schematron

log = logging.getLogger("pigp.formats.invoice")

PLAIN_PDF = Finding(
    "pdf-sans-donnees",
    "warning",
    "/",
    "PDF simple, sans XML Factur-X joint : ses données ne peuvent pas être lues ni contrôlées.",
)


def _extract(detected: Detected) -> tuple[Invoice | None, tuple[Finding, ...]]:
    if detected.root is None or detected.syntax is None:
        return None, ()
    extractor = cii.extract if detected.syntax == "cii" else ubl.extract
    try:
        return extractor(detected.root, detected.format, detected.profile or ""), ()
    except Exception as exc:
        log.warning("invoice extraction failed", exc_info=exc)
        return None, (
            Finding(
                "lecture-interrompue",
                "error",
                "/",
                f"La lecture de la facture n'a pas pu aller au bout ({type(exc).__name__}).",
            ),
        )


def _report(detected: Detected, findings: tuple[Finding, ...], checks: tuple[str, ...]) -> Report:
    invoice, problems = _extract(detected)
    extra = (PLAIN_PDF,) if detected.format == "pdf" and not detected.findings else ()
    return Report(
        format=detected.format,
        syntax=detected.syntax,
        profile=detected.profile,
        invoice=invoice,
        findings=detected.findings + extra + problems + findings,
        checks=checks,
    )


def read(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> Report:
    """Recognise and read an invoice, without schema checks (safety findings only).

    Raises :class:`~.errors.InvoiceError` when the bytes are no e-invoice."""
    return _report(detect(data, max_size=max_size), (), ())


def validate(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE, schematron: bool = True) -> Report:
    """Read an invoice and check it against the XSD (and the Schematron) of its syntax and
    profile. Raises :class:`~.errors.InvoiceError` when the bytes are no e-invoice."""
    detected = detect(data, max_size=max_size)
    if detected.root is None or detected.syntax is None:
        return _report(detected, (), ())
    findings = validate_xsd(detected.root, detected.syntax, detected.profile)
    checks: tuple[str, ...] = ("xsd",)
    # The Schematron rules presuppose the structure the XSD guarantees: run them on a
    # schema-valid document only (their failures would otherwise repeat the XSD's).
    if schematron and not findings:
        try:
            more, names = validate_schematron(detected.root, detected.syntax, detected.profile)
        except Exception as exc:
            log.warning("invoice schematron interrupted", exc_info=exc)
            more, names = (
                (
                    Finding(
                        "controle-interrompu",
                        "error",
                        "/",
                        "Contrôle interrompu : les règles Schematron n'ont pas pu être "
                        f"appliquées ({type(exc).__name__}) ; la facture ne peut pas être "
                        "déclarée valide.",
                    ),
                ),
                (),
            )
        findings += more
        checks += names
    return _report(detected, findings, checks)
