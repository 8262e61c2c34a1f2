"""Request body parsers: a raw body is handed to the view as a stream, never read into memory."""

from __future__ import annotations

from rest_framework.parsers import BaseParser, MultiPartParser


class _StreamParser(BaseParser):
    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
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
