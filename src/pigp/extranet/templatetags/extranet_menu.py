"""What the Extranet's side menu shows beside its links."""

from __future__ import annotations

from django import template

from pigp.core.models import Collectivite
from pigp.extranet.models import EtatExport, ExportDemande

register = template.Library()


@register.simple_tag(takes_context=True)
def exports_prets(context: template.Context, collectivite: Collectivite) -> int:
    """How many of the user's exports of the collectivité are ready and not yet downloaded."""
    user = context["request"].user
    return ExportDemande.objects.filter(
        user=user, collectivite=collectivite, etat=EtatExport.PRET, downloaded_at=None
    ).count()
