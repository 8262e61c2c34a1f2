"""Chorus listens to Hélios (connected in `ChorusConfig.ready`): its invoices follow the
mandats that pay them (`lien_helios`), and the invoices are documents of those mandats."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.dispatch import receiver
from django.urls import reverse

from pigp.chorus import lien_helios
from pigp.chorus.models import Facture
from pigp.helios.documents import PieceContent, PieceDocument
from pigp.helios.models import Piece
from pigp.helios.signals import pieces_moved, pieces_received


@receiver(pieces_received, sender=Piece, dispatch_uid="chorus.pieces_received")
def on_pieces_received(
    sender: Any,
    *,
    piece_ids: list[int],
    collectivite_id: int,
    domaine: str,
    lived: bool = False,
    **kwargs: Any,
) -> None:
    lien_helios.on_received(
        piece_ids=piece_ids, collectivite_id=collectivite_id, domaine=domaine, lived=lived
    )


@receiver(pieces_moved, sender=Piece, dispatch_uid="chorus.pieces_moved")
def on_pieces_moved(
    sender: Any,
    *,
    piece_ids: list[int],
    to: str,
    domaine: str,
    day: Any,
    motif_code: str = "",
    commentaire: str = "",
    payments: Mapping[int, Any] | None = None,
    **kwargs: Any,
) -> None:
    lien_helios.on_moved(
        piece_ids=piece_ids,
        to=to,
        domaine=domaine,
        day=day,
        motif_code=motif_code,
        commentaire=commentaire,
        payments=payments,
    )


def invoices_of_pieces(
    pieces: Sequence[Piece], *, user: Any, audience: str
) -> Mapping[int, Iterable[PieceDocument]]:
    """The documents provider (`pigp.helios.documents`): the invoices each mandat pays, one
    query for the page. The URL's view checks the viewer's access itself."""
    found: dict[int, list[PieceDocument]] = {}
    rows = (
        Facture.objects.filter(mandat_id__in=[p.pk for p in pieces])
        .select_related("fournisseur")
        .order_by("date_emission", "pk")
    )
    for facture in rows:
        assert facture.mandat_id is not None
        found.setdefault(facture.mandat_id, []).append(
            PieceDocument(
                label=f"Facture n° {facture.numero} — {facture.fournisseur.raison_sociale}",
                kind="facture",
                url=reverse("chorus:facture_pdf", args=[facture.pk]),
                media_type="application/pdf",
                date=facture.date_emission,
            )
        )
    return found


def invoice_files_of_pieces(pieces: Sequence[Piece]) -> Mapping[int, Iterable[PieceContent]]:
    """The content provider (`pigp.helios.documents.register_content`): the original file of
    each invoice a mandat pays, as the supplier deposited it (one query). ORC archives it."""
    found: dict[int, list[PieceContent]] = {}
    rows = (
        Facture.objects.filter(mandat_id__in=[p.pk for p in pieces])
        .select_related("original")
        .order_by("date_emission", "pk")
    )
    for facture in rows:
        assert facture.mandat_id is not None
        found.setdefault(facture.mandat_id, []).append(
            PieceContent(
                label=f"Facture n° {facture.numero}",
                kind="facture",
                fichier=facture.original,
                media_type=facture.original.media_type,
            )
        )
    return found
