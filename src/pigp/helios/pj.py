"""A pièce's PJ, and a stored PJ sent to the browser: shown when its type is safe to show,
else downloaded.

Shared by the comptable's workbench and the Extranet; each checks access first."""

from __future__ import annotations

from django.http import FileResponse

from pigp.core import files
from pigp.helios.models import Piece, PieceJustificative, PjRef

# Shown in the browser; anything else is downloaded.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain"}


def pj_rows(piece: Piece) -> list[tuple[PjRef, PieceJustificative | None]]:
    """The pièce's PJ references, each with its PJ when it was received (it may have come in
    another flow of the collectivité), in two queries."""
    refs = list(PjRef.objects.filter(piece=piece).order_by("id"))
    pjs = {
        pj.id_unique: pj
        for pj in PieceJustificative.objects.filter(
            collectivite_id=piece.collectivite_id, id_unique__in=[r.id_unique for r in refs]
        ).select_related("fichier")
    }
    return [(r, pjs.get(r.id_unique)) for r in refs]


def pj_response(item: PieceJustificative) -> FileResponse:
    """The response carrying `item`, whose `fichier` must be set (a decoded PJ)."""
    assert item.fichier is not None
    mime = (item.mime_type or item.fichier.media_type or "").split(";")[0].strip().lower()
    inline = mime in INLINE_TYPES
    response = FileResponse(
        files.open_stored(item.fichier),
        content_type=mime if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=item.nom or f"pj-{item.pk}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Nothing in a PJ may run as the portal: no script, no form, no plugin but the PDF viewer.
    if mime != "application/pdf":
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
