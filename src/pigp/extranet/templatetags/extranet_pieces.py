"""How the Extranet shows a pièce in its lists: a filter per row is far cheaper than an include."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pigp.helios.models import EtatPiece, Piece

register = template.Library()

# The DSFR badge colour of each state (none: grey).
BADGE: dict[str, str] = {
    EtatPiece.PAYEE: " fr-badge--success",
    EtatPiece.SOLDEE: " fr-badge--success",
    EtatPiece.REJETEE: " fr-badge--error",
    EtatPiece.EN_INSTANCE: " fr-badge--warning",
    EtatPiece.PRISE_EN_CHARGE: " fr-badge--info",
    EtatPiece.PARTIELLE: " fr-badge--info",
}


@register.filter
def badge_etat(piece: Piece) -> SafeString:
    """``{{ p|badge_etat }}``: the pièce's state as a small DSFR badge."""
    return format_html(
        '<span class="fr-badge fr-badge--sm fr-badge--no-icon{}">{}</span>',
        BADGE.get(piece.etat, ""),
        piece.get_etat_display(),
    )
