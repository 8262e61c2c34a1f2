"""Who may consult what in the Extranet: one helper per kind of object.

Users of a collectivité with an extranet habilitation in force (any profile: everything here is
read-only) see that collectivité; the comptable's agents see every collectivité of their poste.
Anyone else — a juge des comptes, another poste, another collectivité — gets a 404: the Extranet
never reveals that an object exists. A user whose own access ended is told so (403).
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from pigp.core.access import ended_access_message, habilitations_in_force
from pigp.core.models import Application, Collectivite, User
from pigp.helios.models import Domaine, Piece, PieceJustificative, Tiers

M = TypeVar("M", bound=Model)


def _perimeter(user: User) -> Q:
    """The collectivités the user may consult, as a filter on `Collectivite`."""
    if not user.is_authenticated or user.is_juge:
        return Q(pk__in=[])
    ids = habilitations_in_force(user).filter(application=Application.EXTRANET)
    granted = Q(pk__in=ids.values("collectivite_id"))
    if user.poste_id is not None:
        return granted | Q(poste_id=user.poste_id)
    return granted


def has_extranet(user: User) -> bool:
    return collectivites_for(user).exists()


def collectivites_for(user: User) -> QuerySet[Collectivite]:
    return Collectivite.objects.filter(_perimeter(user)).order_by("nom")


def readable_ids(user: User) -> QuerySet[Collectivite, int]:
    """Ids of the user's collectivités, as a subquery (no round trip)."""
    return collectivites_for(user).order_by().values_list("pk", flat=True)


def get_collectivite(user: User, pk: int) -> Collectivite:
    collectivite = collectivites_for(user).select_related("poste").filter(pk=pk).first()
    if collectivite is None:
        ended = None if user.is_juge else ended_access_message(user, pk, Application.EXTRANET)
        if ended:
            raise PermissionDenied(ended)
        raise Http404("Collectivité introuvable.")
    return collectivite


def pieces_for(user: User) -> QuerySet[Piece]:
    return Piece.objects.filter(collectivite_id__in=readable_ids(user))


def _get_piece(user: User, pk: int, domaine: str, missing: str) -> Piece:
    piece = (
        pieces_for(user)
        .filter(pk=pk, domaine=domaine)
        .select_related("bordereau", "exercice__budget", "collectivite", "tiers")
        .first()
    )
    if piece is None:
        raise Http404(missing)
    return piece


def get_mandat(user: User, pk: int) -> Piece:
    return _get_piece(user, pk, Domaine.DEPENSE, "Mandat introuvable.")


def get_titre(user: User, pk: int) -> Piece:
    return _get_piece(user, pk, Domaine.RECETTE, "Titre introuvable.")


def _of_collectivites(user: User, queryset: QuerySet[M], pk: int, missing: str) -> M:
    """The object `pk` of `queryset` if its collectivité is the user's, else a 404 saying
    `missing`."""
    found = queryset.filter(collectivite_id__in=readable_ids(user), pk=pk).first()
    if found is None:
        raise Http404(missing)
    return found


def get_tiers(user: User, pk: int) -> Tiers:
    return _of_collectivites(
        user, Tiers.objects.select_related("collectivite"), pk, "Tiers introuvable."
    )


def get_pj(user: User, pk: int) -> PieceJustificative:
    return _of_collectivites(
        user,
        PieceJustificative.objects.select_related("fichier", "collectivite"),
        pk,
        "Pièce justificative introuvable.",
    )
