"""Request body parsers: a raw body is handed to the view as a stream, never read into memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.parsers import BaseParser, MultiPartParser


class _StreamParser(BaseParser):
    # The stubs want a mapping back, but DRF hands whatever a parser returns to the view as
    # `request.data`: here the body's stream itself.
    def parse(  # type: ignore[override]
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> IO[bytes]:
        return stream


class XmlBodyParser(_StreamParser):
    media_type = "application/xml"


class TextXmlBodyParser(_StreamParser):
    media_type = "text/xml"


class OctetStreamParser(_StreamParser):
    media_type = "application/octet-stream"


class GzipBodyParser(_StreamParser):
    media_type = "application/gzip"


class ZipBodyParser(_StreamParser):
    media_type = "application/zip"


BODY_PARSERS = [
    MultiPartParser,
    XmlBodyParser,
    TextXmlBodyParser,
    OctetStreamParser,
    GzipBodyParser,
    ZipBodyParser,
]
