"""CSV as French spreadsheets read it: UTF-8 with a BOM, `;` between cells, 1234,56 and
31/01/2026. Shared by the apps' exports (Extranet lists, Chorus inbox)."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

CSV_TYPE = "text/csv; charset=utf-8"


def french(value: Any) -> str:
    """A cell as a French spreadsheet reads it: 1234,56 and 31/01/2026."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


class _Line:
    """A file-like object whose `write` hands back what the csv writer gives it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """The encoded lines of the file, BOM first (Excel needs it to read UTF-8)."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    yield writer.writerow(headers).encode()
    for row in rows:
        yield writer.writerow([french(v) for v in row]).encode()


def csv_response(
    headers: list[str], rows: Iterable[Iterable[Any]], filename: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
