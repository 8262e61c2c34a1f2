"""PES V2 (Protocole d'Échange Standard) of the DGFiP: schemas, readers, validation.

A pure library (no Django). Entry points:

* :func:`validate` — checks a flow in Hélios' order and returns a :class:`Report`;
* :func:`read_pes_aller`, :func:`read_acquit`, :func:`read_retour`,
  :func:`read_acquit_retour` — streaming readers returning typed records;
* :func:`decode_pj` — streaming gzip+base64 decoding of a PJ content.

See ``docs/pes.md`` for the layers, codes and limits.
"""

from __future__ import annotations

from .context import NullContext, PlatformContext
from .errors import (
    PesError,
    PesFormatError,
    PesLimitError,
    PesPjError,
    PesPjTooLargeError,
    PesSchemaError,
    PesSchemaUnavailableError,
    PesUnsafeXmlError,
)
from .pj import PjContent, PjDecoder, decode_pj
from .reader import read_pes_aller
from .report import (
    BordereauSummary,
    Finding,
    Layer,
    Location,
    NumAnoAck,
    Report,
    Scope,
    Severity,
    SignatureInfo,
)
from .returns import read_acquit, read_acquit_retour, read_retour
from .schemas import DEFAULT_VERSION, SUPPORTED_VERSIONS, MessageKind, get_schema
from .validator import ValidationOptions, validate

# Writers, signatures and the generator are loaded on first use: validation and reading
# do not need them, and signxml is slow to import.
_LAZY = {
    "build_acquit": "acquit",
    "build_retour_depense": "retour",
    "build_retour_recette": "retour",
    "retour_filename": "retour",
    "PieceState": "retour",
    "LineState": "retour",
    "Payment": "retour",
    "RetourHeader": "retour",
    "RetourError": "retour",
    "generate_pes_aller": "generator",
    "GeneratedFlow": "generator",
    "TrustStore": "signature",
    "verify_signatures": "signature",
    "sign_bordereaux": "signature",
    "sign_bordereau": "xades",
    "SignatureError": "xades",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    *sorted(_LAZY),
    "DEFAULT_VERSION",
    "SUPPORTED_VERSIONS",
    "BordereauSummary",
    "Finding",
    "Layer",
    "Location",
    "MessageKind",
    "NullContext",
    "NumAnoAck",
    "PesError",
    "PesFormatError",
    "PesLimitError",
    "PesPjError",
    "PesPjTooLargeError",
    "PesSchemaError",
    "PesSchemaUnavailableError",
    "PesUnsafeXmlError",
    "PjContent",
    "PjDecoder",
    "PlatformContext",
    "Report",
    "Scope",
    "Severity",
    "SignatureInfo",
    "ValidationOptions",
    "decode_pj",
    "get_schema",
    "read_acquit",
    "read_acquit_retour",
    "read_pes_aller",
    "read_retour",
    "validate",
]
