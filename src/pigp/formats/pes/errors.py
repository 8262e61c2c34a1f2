"""Exception tree of the PES library.

Validation never raises for a bad flow: it reports findings. These exceptions are for
callers that misuse the API (unknown schema version, unreadable source) and for the
low-level readers, which stop at the first problem.
"""

from __future__ import annotations


class PesError(Exception):
    """Base of every error raised by ``pigp.formats.pes``."""


class PesSchemaError(PesError):
    """A schema set cannot be used (unknown version, missing file)."""


class PesSchemaUnavailableError(PesSchemaError):
    """A shipped schema cannot be compiled by libxml2 (e.g. DocumentBudgetaire.xsd)."""


class PesUnsafeXmlError(PesError):
    """The input uses an XML feature we refuse (DOCTYPE, entity declaration)."""


class PesLimitError(PesError):
    """The input exceeds a size, depth or element-count limit."""


class PesFormatError(PesError):
    """The input is not the PES message the reader expects (root, namespace, structure)."""


class PesPjError(PesError):
    """The content of a PJ cannot be decoded (base64 or gzip)."""


class PesPjTooLargeError(PesPjError, PesLimitError):
    """The decompressed content of a PJ exceeds the allowed size (gzip bomb)."""
