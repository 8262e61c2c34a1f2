"""Digitised paper PJ: a scan deposited by the collectivité for one of its archive units, with
its digitisation metadata and an NF Z42-026-style fidelity statement.

The file's type is sniffed from its first bytes (PDF, TIFF, PNG, JPEG; the name and the type
the browser announced are ignored); its size is bounded by `PIGP_ORC_NUMERISATION_MAX_SIZE`.
It is archived on every copy (`silo.archive`) before its document row and journal entry are
written together: a refused deposit stores nothing in the archive.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pigp.core import journal
from pigp.core.files import Readable
from pigp.core.models import User
from pigp.orc import silo
from pigp.orc.models import ArchiveDocument, ArchiveUnit, RoleDocument, StatutUnite

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
HEAD = 8
MIN_DPI = 200
MAX_DPI = 2400


class NumerisationError(Exception):
    """The deposit is refused; the message is French, for the user."""


def max_size() -> int:
    return int(settings.PIGP_ORC_NUMERISATION_MAX_SIZE)


def sniff(head: bytes) -> str | None:
    """The media type of a scan from its first bytes, None when it is not an accepted one."""
    for magic, media_type in SIGNATURES:
        if head.startswith(magic):
            return media_type
    return None


class _Bounded:
    """Reads `stream` (its head already read), refusing past `limit` bytes in all."""

    def __init__(self, head: bytes, stream: Readable, limit: int) -> None:
        self._head, self._stream, self._limit, self._seen = head, stream, limit, 0

    def read(self, size: int = -1) -> bytes:
        if self._head:
            chunk, self._head = self._head, b""
        else:
            chunk = self._stream.read(size)
        self._seen += len(chunk)
        if self._seen > self._limit:
            raise NumerisationError(_too_large())
        return chunk


def _too_large() -> str:
    return f"Le fichier dépasse la taille maximale autorisée ({max_size() // 1_000_000} Mo)."


def check_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """The metadata to keep with the scan, or a French error."""
    numerise_par = str(meta.get("numerise_par", "")).strip()
    dispositif = str(meta.get("dispositif", "")).strip()
    texte = str(meta.get("declaration_texte", "")).strip()
    numerise_le = meta.get("numerise_le")
    resolution = meta.get("resolution_dpi")
    if not numerise_par:
        raise NumerisationError("Indiquez qui a numérisé le document.")
    if not isinstance(numerise_le, datetime.date):
        raise NumerisationError("Indiquez la date de numérisation.")
    if numerise_le > timezone.localdate():
        raise NumerisationError("La date de numérisation ne peut être dans le futur.")
    if not dispositif:
        raise NumerisationError("Indiquez le matériel de numérisation utilisé.")
    if not isinstance(resolution, int) or not MIN_DPI <= resolution <= MAX_DPI:
        raise NumerisationError(
            f"La résolution doit être comprise entre {MIN_DPI} et {MAX_DPI} points par pouce."
        )
    if meta.get("declaration_fidelite") is not True or not texte:
        raise NumerisationError(
            "La déclaration de copie fidèle (case cochée et texte de la déclaration) est "
            "obligatoire."
        )
    return {
        "numerise_par": numerise_par,
        "numerise_le": numerise_le.isoformat(),
        "dispositif": dispositif,
        "resolution_dpi": resolution,
        "declaration_fidelite": True,
        "declaration_texte": texte,
        "referentiel": "NF Z42-026",
    }


def deposer(
    unit: ArchiveUnit,
    actor: User,
    stream: Readable,
    *,
    nom: str,
    meta: dict[str, Any],
    size: int | None = None,
    request: HttpRequest | None = None,
) -> ArchiveDocument:
    """Archive a digitised paper PJ for `unit`; raises `NumerisationError` (nothing stored)."""
    if unit.statut == StatutUnite.ELIMINEE or unit.eliminee_le is not None:
        raise NumerisationError("Cette pièce a été éliminée : aucun document n'y est ajouté.")
    numerisation = check_metadata(meta)
    if size is not None and size > max_size():
        raise NumerisationError(_too_large())
    head = stream.read(HEAD)
    if not head:
        raise NumerisationError("Le fichier est vide.")
    media_type = sniff(head)
    if media_type is None:
        raise NumerisationError(
            "Ce fichier n'est ni un PDF, ni une image TIFF, PNG ou JPEG : il n'est pas accepté."
        )
    # Spooled and checked in full before any copy is written: too large → nothing stored.
    with (
        silo.spooled(_Bounded(head, stream, max_size())) as spool,
        spool.path.open("rb") as fh,
    ):
        obj = silo.archive(fh, media_type=media_type)
    nom = (nom or "document-numerise").strip()[:255]
    with transaction.atomic():
        if ArchiveDocument.objects.filter(unit=unit, obj=obj, role=RoleDocument.NUMERISE).exists():
            raise NumerisationError("Ce document numérisé a déjà été déposé pour cette pièce.")
        doc = ArchiveDocument.objects.create(
            unit=unit,
            obj=obj,
            role=RoleDocument.NUMERISE,
            nom=nom,
            media_type=media_type,
            recu_le=timezone.now(),
            numerisation=numerisation,
        )
        journal.record(
            "orc_depot_numerise",
            actor=actor,
            obj=doc,
            collectivite=unit.collectivite_id,
            request=request,
            details={
                "unite": unit.pk,
                "nom": nom,
                "sha512": obj.sha512,
                "taille": obj.size,
                "type": media_type,
                **numerisation,
            },
        )
    return doc
