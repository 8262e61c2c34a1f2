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


# Rows are sent by batches of about this many bytes: a row per chunk would cost a write (and
# a chunk to parse on the other side) per row of a 160 000-row export.
BATCH_BYTES = 32_768


def french(value: Any) -> str:
    """A cell as a French spreadsheet reads it: 1234,56 and 31/01/2026 (the common types
    first: a big export formats millions of cells)."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is Decimal:
        return f"{value:.2f}".replace(".", ",")
    if kind is datetime.date:
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


class _Line:
    """A file-like object whose `write` hands back what the csv writer gives it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """The encoded file, BOM first (Excel needs it to read UTF-8), then the headers, then the
    rows by batches of `BATCH_BYTES`."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    yield writer.writerow(headers).encode()
    pending: list[str] = []
    size = 0
    for row in rows:
        line = writer.writerow([french(v) for v in row])
        pending.append(line)
        size += len(line)
        if size >= BATCH_BYTES:
            yield "".join(pending).encode()
            pending.clear()
            size = 0
    if pending:
        yield "".join(pending).encode()


def csv_response(
    headers: list[str], rows: Iterable[Iterable[Any]], filename: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
