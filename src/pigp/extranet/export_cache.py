"""A CSV export kept as a file while the ledger it was read from holds.

Twenty agents exporting the same list (the same filters of the same collectivité) at the same
ledger version get the same bytes: the first export is streamed to its user and written to a
file on the way; once complete, the file is renamed under the export's key, and the next
requests of that key are served from it, without reading or formatting a row. The key holds
the versions of the collectivité's exercices (`snapshots.Keeper`), so a file is never served
after a change. Files live in `PIGP_EXPORT_CACHE_DIR` (local to the host) and are removed an
hour after they were written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse

from pigp.ui.csv import CSV_TYPE

MAX_AGE_SECONDS = 3600


def directory() -> Path:
    path = Path(settings.PIGP_EXPORT_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def csv_response(key: str, lines: Iterator[bytes], filename: str) -> StreamingHttpResponse:
    """The export `key` from its file when one is complete, else `lines` streamed and kept."""
    path = directory() / f"{key}.csv"
    disposition = f'attachment; filename="{filename}.csv"'
    try:
        kept = path.open("rb")
    except FileNotFoundError:
        response = StreamingHttpResponse(_tee(lines, path), content_type=CSV_TYPE)
    else:
        response = FileResponse(kept, content_type=CSV_TYPE)
    response["Content-Disposition"] = disposition
    return response


def _tee(lines: Iterator[bytes], path: Path) -> Iterator[bytes]:
    """`lines`, written to a temporary file beside `path` and renamed to it once all were
    sent; an export interrupted (the user leaves, an error) leaves no file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    complete = False
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in lines:
                out.write(chunk)
                yield chunk
        os.replace(temporary, path)  # atomic: a reader sees the whole file or none
        complete = True
        _prune(path.parent)
    finally:
        if not complete:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _prune(folder: Path) -> None:
    """Remove the files written more than an hour ago (earlier versions, abandoned parts)."""
    limit = time.time() - MAX_AGE_SECONDS
    for entry in os.scandir(folder):
        with contextlib.suppress(FileNotFoundError):
            if entry.stat().st_mtime < limit:
                os.unlink(entry.path)
