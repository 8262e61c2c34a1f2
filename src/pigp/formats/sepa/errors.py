"""Exception tree of the SEPA library.

Validation never raises for a bad file: it reports findings. These exceptions are for
callers that misuse the API, for the readers (which stop at the first problem) and for the
writers (which refuse to return a file that does not validate).
"""

from __future__ import annotations


class SepaError(Exception):
    """Base of every error raised by ``pigp.formats.sepa``."""


class SepaSchemaError(SepaError):
    """A message type or version is unknown, or its schema cannot be loaded."""


class SepaUnsafeXmlError(SepaError):
    """The input uses an XML feature we refuse (DOCTYPE, entity declaration)."""


class SepaLimitError(SepaError):
    """The input exceeds the allowed size."""


class SepaFormatError(SepaError):
    """The input is not the message the reader expects (not XML, wrong root, bad value)."""


class SepaWriterError(SepaError):
    """A writer was given data it cannot turn into a message."""


class SepaInvalidOutputError(SepaWriterError):
    """The message built by a writer does not validate against the shipped schema."""

    def __init__(self, message: str, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors
