"""The user's alerts as the pages show them."""

from __future__ import annotations

from django.db.models import QuerySet

from pigp.core.models import Collectivite, User
from pigp.extranet.models import Abonnement, Alerte

LATEST = 10


def abonnements_of(user: User, collectivite: Collectivite) -> QuerySet[Abonnement]:
    return Abonnement.objects.filter(user=user, collectivite=collectivite)


def latest(user: User, collectivite: Collectivite, limit: int = LATEST) -> list[Alerte]:
    """The user's latest alerts about the collectivité, newest first."""
    return list(
        Alerte.objects.filter(abonnement__user=user, abonnement__collectivite=collectivite)
        .select_related("piece", "piece__bordereau")
        .order_by("-detectee_le", "-pk")[:limit]
    )
