"""Documents of a pièce held by other apps (the Chorus invoice a mandat pays, the archive
copy ORC keeps…), shown with its PJ without Hélios importing those apps.

An app registers a provider in its `AppConfig.ready`:

    from pigp.helios import documents
    documents.register("chorus", invoices_of_pieces)

A provider is called once per page with every pièce shown (batched: one or two queries for a
list as for one pièce) and returns, for the pièces it knows, their documents:

    def invoices_of_pieces(pieces, *, user, audience) -> Mapping[int, Iterable[PieceDocument]]

`audience` says which page asks — `HELIOS` (the comptable's workbench) or `EXTRANET` (the
ordonnateur's pages) — so that the provider gives a URL its own views serve to that user with
their own access checks; `user` is the viewer. A provider that raises is logged and skipped:
the page shows the other documents and says that some could not be listed, never a 500.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pigp.helios.models import Piece

logger = logging.getLogger(__name__)

HELIOS = "helios"
EXTRANET = "extranet"


@dataclass(frozen=True)
class PieceDocument:
    """One document of a pièce, as a page lists it."""

    label: str  # e.g. « Facture FA-2026-0042 »
    kind: str  # e.g. "facture"
    url: str  # served by the providing app, which checks the viewer's access
    media_type: str = ""
    date: datetime.date | None = None


Provider = Callable[..., Mapping[int, Iterable[PieceDocument]]]

_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Add (or replace) the provider called `name`."""
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


@dataclass
class Documents:
    """What the providers gave for the pièces of a page."""

    by_piece: dict[int, list[PieceDocument]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # names of the providers that raised

    def of(self, piece: Piece) -> list[PieceDocument]:
        return self.by_piece.get(piece.pk, [])


def documents_for(pieces: Sequence[Piece], *, user: Any, audience: str) -> Documents:
    """Ask every registered provider once for the documents of `pieces`."""
    found = Documents()
    if not pieces:
        return found
    wanted = {p.pk for p in pieces}
    for name, provider in list(_providers.items()):
        try:
            given = provider(pieces, user=user, audience=audience)
            rows = [(pk, list(docs)) for pk, docs in given.items() if pk in wanted]
        except Exception:
            logger.exception("Documents of pièces: the provider %r failed", name)
            found.failed.append(name)
            continue
        for pk, docs in rows:
            found.by_piece.setdefault(pk, []).extend(docs)
    for docs in found.by_piece.values():
        docs.sort(key=lambda d: (d.date or datetime.date.min, d.label))
    return found


# --- Contents: the files behind the documents --------------------------------------------------
#
# A second registry, for the apps that keep a pièce's files (ORC archives them): a content
# provider returns, for the pièces it knows, the original files it holds —
#
#     def contents(pieces) -> Mapping[int, Iterable[PieceContent]]
#
# (Chorus: the invoice as the supplier deposited it). Unlike `documents_for`, a provider that
# raises is NOT skipped: the caller must not take a partial answer for the whole (fail closed).


@dataclass(frozen=True)
class PieceContent:
    """One file of a pièce held by another app."""

    label: str  # e.g. « Facture FA-2026-0042 »
    kind: str  # e.g. "facture"
    fichier: Any  # a `core.StoredFile` (open it with `pigp.core.files.open_stored`)
    media_type: str = ""


ContentProvider = Callable[[Sequence[Piece]], Mapping[int, Iterable[PieceContent]]]

_content_providers: dict[str, ContentProvider] = {}


def register_content(name: str, provider: ContentProvider) -> None:
    """Add (or replace) the content provider called `name`."""
    _content_providers[name] = provider


def unregister_content(name: str) -> None:
    _content_providers.pop(name, None)


def contents_of(pieces: Sequence[Piece]) -> dict[int, list[PieceContent]]:
    """Ask every content provider once for the files of `pieces`; an error propagates."""
    found: dict[int, list[PieceContent]] = {}
    if not pieces:
        return found
    wanted = {p.pk for p in pieces}
    for _name, provider in list(_content_providers.items()):
        for pk, items in provider(pieces).items():
            if pk in wanted:
                found.setdefault(pk, []).extend(items)
    return found
