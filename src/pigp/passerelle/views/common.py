"""Helpers shared by the passerelle's views: badges, file downloads, JSON of a flow."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse

from pigp.core import files
from pigp.core.models import StoredFile
from pigp.passerelle.models import Flux, StatutFlux
from pigp.passerelle.services import download_name, is_settled

PAGE_SIZE = 50

BADGES: dict[str, str] = {
    StatutFlux.POSTE: "fr-badge--info",
    StatutFlux.EN_COURS: "fr-badge--info",
    StatutFlux.REFUSE: "fr-badge--error",
    StatutFlux.TRANSMIS: "fr-badge--purple-glycine",
    StatutFlux.ACQUITTE: "fr-badge--success",
    StatutFlux.INFORMATION: "fr-badge--blue-ecume",
    StatutFlux.ERREUR: "fr-badge--warning",
    StatutFlux.ANNULE: "",
}
INLINE_TYPES = {"application/xml", "text/xml"}


def badge_class(flux: Flux) -> str:
    if flux.statut == StatutFlux.ACQUITTE and flux.acquit_total is False:
        return "fr-badge--warning"  # accepted only in part
    return BADGES.get(flux.statut, "")


def flux_json(flux: Flux, *, created: bool | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": flux.pk,
        "nom": flux.original_name,
        "statut": flux.statut,
        "libelle": flux.get_statut_display(),
        "badge": badge_class(flux),
        "message": flux.message,
        "final": is_settled(flux),
        "url": reverse("passerelle:flux", args=[flux.pk]),
        "statut_url": reverse("passerelle:flux_status", args=[flux.pk]),
        "acquit_url": reverse("passerelle:flux_acquit", args=[flux.pk]) if flux.acquit_id else None,
    }
    if created is not None:
        data["nouveau"] = created
    return data


def stored_file_response(
    stored: StoredFile, name: str, request: HttpRequest, *, xml: bool = True
) -> FileResponse:
    """Stream a stored file as an attachment; only a file known to be XML is said to be XML."""
    media_type = stored.media_type if xml and stored.media_type in INLINE_TYPES else None
    response = FileResponse(
        files.open_stored(stored),
        as_attachment=True,
        filename=download_name(name),
        content_type=media_type or "application/octet-stream",
    )
    response["Content-Length"] = str(stored.size)
    response["Cache-Control"] = "private, no-store"
    return response
