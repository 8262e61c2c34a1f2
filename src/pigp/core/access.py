"""One access helper per kind of object.

Views, the API and SFTP all go through these: 404 outside the user's perimeter (never reveal
that an object exists), 403 when the user's profile may only read.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from pigp.core.models import Collectivite, Habilitation, Profil, User
from pigp.core.models.habilitations import WRITE_PROFILES, StatutHabilitation


def habilitations_in_force(user: User) -> QuerySet[Habilitation]:
    if not user.is_authenticated:
        return Habilitation.objects.none()
    return Habilitation.objects.in_force().filter(user=user)


def get_collectivite_for_user(
    user: User, pk: int, application: str, *, write: bool = False
) -> tuple[Collectivite, Habilitation]:
    """The collectivité `pk` as seen through `application`, with the habilitation granting it."""
    habilitation = (
        habilitations_in_force(user)
        .select_related("collectivite", "collectivite__poste")
        .filter(collectivite_id=pk, application=application)
        .first()
    )
    if habilitation is None:
        ended = ended_access_message(user, pk, application)
        if ended is not None:
            raise PermissionDenied(ended)
        raise Http404("Collectivité introuvable.")
    if write and habilitation.profil not in WRITE_PROFILES:
        raise PermissionDenied("Votre profil sur cette application ne permet que la consultation.")
    return habilitation.collectivite, habilitation


def ended_access_message(user: User, pk: int, application: str) -> str | None:
    """Why the user's own access to this collectivité ended, if it did (it is theirs to know)."""
    if not user.is_authenticated:
        return None
    last = (
        Habilitation.objects.filter(user=user, collectivite_id=pk, application=application)
        .exclude(statut__in=[StatutHabilitation.DEMANDEE, StatutHabilitation.REFUSEE])
        .select_related("collectivite")
        .order_by("-decidee_le", "-pk")
        .first()
    )
    if last is None or last.is_in_force():
        return None
    label = f"{last.get_application_display()} pour {last.collectivite.nom}"
    if last.statut == StatutHabilitation.REVOQUEE:
        when = f" le {timezone.localtime(last.decidee_le):%d/%m/%Y}" if last.decidee_le else ""
        motif = f" Motif : {last.motif}" if last.motif else ""
        return f"Votre accès à {label} a été révoqué{when} par le comptable.{motif}"
    return f"Votre accès à {label} a pris fin le {last.date_fin:%d/%m/%Y}."


def is_local_admin(user: User, collectivite: Collectivite) -> bool:
    return (
        habilitations_in_force(user)
        .filter(collectivite=collectivite, profil=Profil.ADMINISTRATION)
        .exists()
    )


def collectivites_of_comptable(user: User) -> QuerySet[Collectivite]:
    if not user.is_authenticated or user.poste_id is None:
        return Collectivite.objects.none()
    return Collectivite.objects.filter(poste_id=user.poste_id)


def require_comptable(user: User) -> None:
    """Comptable pages exist only for agents of a poste: others get a 404."""
    if not user.is_authenticated or user.poste_id is None:
        raise Http404("Page introuvable.")


def get_habilitation_for_comptable(user: User, pk: int) -> Habilitation:
    require_comptable(user)
    habilitation = (
        Habilitation.objects.select_related("user", "collectivite", "collectivite__poste")
        .filter(pk=pk, collectivite__poste_id=user.poste_id)
        .first()
    )
    if habilitation is None:
        raise Http404("Habilitation introuvable.")
    return habilitation
