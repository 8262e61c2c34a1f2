"""Long reads of the exports (tens of thousands of rows, read in chunks while they are sent)."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager

from django.db import connection, transaction


def reading() -> AbstractContextManager[object]:
    """Where a long read runs. On PostgreSQL, a transaction: outside one, Django's server-side
    cursor is declared WITH HOLD, which makes PostgreSQL compute every row before the first
    (1 s for 160 000 mandats); inside, rows come as they are read. SQLite reads lazily anyway,
    and a transaction held for a download would only hold its lock."""
    if connection.vendor == "postgresql":
        return transaction.atomic()
    return contextlib.nullcontext()
