"""Template tags of the money pages, for pages that other views render."""

from __future__ import annotations

from django import template

from pigp.helios.models import Piece

register = template.Library()


@register.inclusion_tag("helios/money_piece_paiements.html")
def paiements_du_mandat(piece: Piece) -> dict:
    """The payments of a mandat and the statement line that saw each debited (one query).

    A tag rather than view context so that the pièce page (the workbench's view) shows it
    without knowing about payments."""
    if not piece.is_mandat:
        return {"paiements": []}
    paiements = piece.paiements.select_related("debit__camt").order_by("date", "pk")
    return {"paiements": list(paiements)}
