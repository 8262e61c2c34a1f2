"""Exports of the Extranet's lists: exactly the rows of the list, filters and sort applied.

An export is a `Table`: its headers and its rows (typed values: str, int, Decimal, date or
None), produced lazily. The État des paiements, the recouvrement and the restes à recouvrer
each give theirs; the CSV and XLSX writers below serve them all.

Both formats read the rows in chunks (`iterator`), so that 100 000 mandats never sit in memory:
the CSV is streamed as it is written; the XLSX (openpyxl in write-only mode) is written to a
temporary file, then streamed from it. Past a threshold of rows an export is written by the
worker instead (`background`), with the same writers.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from pigp.extranet.queries.streaming import reading
from pigp.helios.models import EtatPiece, FacturePiece, Piece
from pigp.ui import csv as ui_csv
from pigp.ui.csv import CSV_TYPE

CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [
    "N° de mandat",
    "Bordereau",
    "Exercice",
    "Tiers",
    "Objet",
    "Montant TTC",
    "État",
    "Émis le",
    "Pris en charge le",
    "Payé le",
    "N° de facture",
]
_FIELDS = (
    "id_pce",
    "bordereau__id_bord",
    "exercice__annee",
    "tiers__nom",
    "tiers__prenom",
    "objet",
    "mt_ttc",
    "etat",
    "date_emission",
    "date_prise_en_charge",
    "date_paiement",
)
_ETATS = dict(EtatPiece.choices)


def rows(qs: QuerySet[Piece]) -> Iterator[list[Any]]:
    """The list's rows as typed values (str, int, Decimal, date or None), read in chunks; each
    chunk's invoice numbers by one query on their pièces (a subquery per row in the main query
    would run for every row before the database sorts the first one)."""
    values = qs.values_list("pk", *_FIELDS)
    chunk: list[tuple[Any, ...]] = []
    with reading():
        for row in values.iterator(chunk_size=CHUNK):
            chunk.append(row)
            if len(chunk) == CHUNK:
                yield from _with_factures(chunk)
                chunk = []
        yield from _with_factures(chunk)


def _with_factures(chunk: list[tuple[Any, ...]]) -> Iterator[list[Any]]:
    numeros: dict[int, list[str]] = {}
    found = FacturePiece.objects.filter(piece__in=[row[0] for row in chunk]).order_by("id")
    for piece, numero in found.values_list("piece", "numero"):
        numeros.setdefault(piece, []).append(numero)
    for pk, numero, bord, annee, nom, prenom, objet, montant, etat, emis, pec, paye in chunk:
        tiers = f"{nom or ''} {prenom or ''}".strip()
        factures = ", ".join(numeros.get(pk, [])) or None
        etat_label = _ETATS.get(etat, etat)
        yield [numero, bord, annee, tiers, objet, montant, etat_label, emis, pec, paye, factures]


@dataclass(frozen=True)
class Table:
    """What an export writes: a sheet name, the headers and the rows (an iterator, read once)."""

    sheet: str
    headers: list[str]
    rows: Iterable[list[Any]]


def mandats_table(qs: QuerySet[Piece]) -> Table:
    return Table("Mandats", HEADERS, rows(qs))


def table_csv_lines(table: Table) -> Iterator[bytes]:
    return ui_csv.csv_lines(table.headers, table.rows)


def csv_lines(qs: QuerySet[Piece]) -> Iterator[bytes]:
    return table_csv_lines(mandats_table(qs))


def table_csv(table: Table, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(table_csv_lines(table), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _cells(sheet: Any, row: Iterable[Any]) -> list[Any]:
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, datetime.date):
            cell.number_format = "DD/MM/YYYY"
        elif isinstance(value, Decimal):
            cell.number_format = "#,##0.00"
        cells.append(cell)
    return cells


def write_xlsx(table: Table, out: IO[bytes]) -> None:
    """Write the table as a workbook to `out` (a seekable file): openpyxl's write-only mode
    keeps one row at a time in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.sheet)
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append(_cells(sheet, row))
    workbook.save(out)


def write_csv(table: Table, out: IO[bytes]) -> None:
    for line in table_csv_lines(table):
        out.write(line)


def table_xlsx(table: Table, filename: str) -> FileResponse:
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    write_xlsx(table, out)
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type=XLSX_TYPE,
    )


def table_response(table: Table, filename: str, fmt: str) -> StreamingHttpResponse | FileResponse:
    """The table in `fmt` (« csv » or « xlsx »)."""
    return table_csv(table, filename) if fmt == "csv" else table_xlsx(table, filename)
