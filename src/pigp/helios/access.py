"""Who may see the comptable's side of Hélios: only agents of the collectivité's poste.

One helper per kind of object. Anyone else (another poste's agent, a collectivité user, an
administrator without a poste) gets a 404: the workbench never reveals that an object exists.
Views of every Hélios page and action go through these helpers.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from pigp.core.models import Budget, Collectivite, User
from pigp.helios.models import (
    Bordereau,
    CamtDebit,
    CamtImport,
    CamtLine,
    Domaine,
    Exercice,
    PaymentRun,
    Piece,
    PieceJustificative,
    PrelevementRun,
    RetourEmis,
)

M = TypeVar("M", bound=Model)
R = TypeVar("R", PaymentRun, PrelevementRun)


def is_agent(user: User) -> bool:
    return bool(user.is_authenticated and getattr(user, "poste_id", None))


def require_agent(user: User) -> None:
    """Hélios pages exist only for agents of a poste comptable: others get a 404."""
    if not is_agent(user):
        raise Http404("Page introuvable.")


def collectivites_for_agent(user: User) -> QuerySet[Collectivite]:
    """The collectivités of the agent's poste (none for anyone else)."""
    if not is_agent(user):
        return Collectivite.objects.none()
    return Collectivite.objects.filter(poste_id=user.poste_id)


def bordereaux_for_agent(user: User) -> QuerySet[Bordereau]:
    if not is_agent(user):
        return Bordereau.objects.none()
    return Bordereau.objects.filter(exercice__budget__collectivite__poste_id=user.poste_id)


def pieces_for_agent(user: User) -> QuerySet[Piece]:
    if not is_agent(user):
        return Piece.objects.none()
    return Piece.objects.filter(collectivite__poste_id=user.poste_id)


def pjs_for_agent(user: User) -> QuerySet[PieceJustificative]:
    if not is_agent(user):
        return PieceJustificative.objects.none()
    return PieceJustificative.objects.filter(collectivite__poste_id=user.poste_id)


def get_collectivite_for_agent(user: User, pk: int) -> Collectivite:
    require_agent(user)
    collectivite = collectivites_for_agent(user).select_related("poste").filter(pk=pk).first()
    if collectivite is None:
        raise Http404("Collectivité introuvable.")
    return collectivite


def get_bordereau_for_agent(user: User, pk: int) -> Bordereau:
    require_agent(user)
    bordereau = (
        bordereaux_for_agent(user)
        .select_related("exercice__budget__collectivite", "flux")
        .filter(pk=pk)
        .first()
    )
    if bordereau is None:
        raise Http404("Bordereau introuvable.")
    return bordereau


def get_piece_for_agent(user: User, pk: int) -> Piece:
    require_agent(user)
    piece = (
        pieces_for_agent(user)
        .select_related("bordereau__flux", "exercice__budget", "collectivite", "tiers")
        .filter(pk=pk)
        .first()
    )
    if piece is None:
        raise Http404("Pièce introuvable.")
    return piece


def get_pj_for_agent(user: User, pk: int) -> PieceJustificative:
    require_agent(user)
    pj = pjs_for_agent(user).select_related("fichier", "collectivite").filter(pk=pk).first()
    if pj is None:
        raise Http404("Pièce justificative introuvable.")
    return pj


def exercices_for_agent(user: User) -> QuerySet[Exercice]:
    if not is_agent(user):
        return Exercice.objects.none()
    return Exercice.objects.filter(budget__collectivite__poste_id=user.poste_id)


def get_exercice_for_agent(user: User, pk: int) -> Exercice:
    require_agent(user)
    exercice = (
        exercices_for_agent(user).select_related("budget__collectivite").filter(pk=pk).first()
    )
    if exercice is None:
        raise Http404("Exercice introuvable.")
    return exercice


def retours_for_agent(user: User) -> QuerySet[RetourEmis]:
    if not is_agent(user):
        return RetourEmis.objects.none()
    return RetourEmis.objects.filter(budget__collectivite__poste_id=user.poste_id)


def get_retour_for_agent(user: User, pk: int) -> RetourEmis:
    require_agent(user)
    retour = (
        retours_for_agent(user)
        .select_related("budget__collectivite", "mailbox_item__fichier")
        .filter(pk=pk)
        .first()
    )
    if retour is None:
        raise Http404("PES_Retour introuvable.")
    return retour


def _of_poste(user: User, queryset: QuerySet[M], poste_lookup: str, pk: int, missing: str) -> M:
    """The object `pk` of `queryset` if it belongs to the agent's poste (through
    `poste_lookup`), else a 404 saying `missing`."""
    require_agent(user)
    found = queryset.filter(pk=pk, **{poste_lookup: user.poste_id}).first()
    if found is None:
        raise Http404(missing)
    return found


def get_camt_import_for_agent(user: User, pk: int) -> CamtImport:
    """An imported bank statement of the poste's collectivités."""
    return _of_poste(
        user,
        CamtImport.objects.select_related("collectivite"),
        "collectivite__poste_id",
        pk,
        "Relevé introuvable.",
    )


def get_camt_line_for_agent(user: User, pk: int) -> CamtLine:
    """A credit line of an imported bank statement of the poste's collectivités."""
    return _of_poste(
        user,
        CamtLine.objects.select_related("camt__collectivite"),
        "camt__collectivite__poste_id",
        pk,
        "Ligne de relevé introuvable.",
    )


def get_camt_debit_for_agent(user: User, pk: int) -> CamtDebit:
    """A debit line of an imported bank statement of the poste's collectivités."""
    return _of_poste(
        user,
        CamtDebit.objects.select_related("camt__collectivite", "run"),
        "camt__collectivite__poste_id",
        pk,
        "Ligne de relevé introuvable.",
    )


def get_run_for_agent(user: User, model: type[R], pk: int) -> R:
    """A payment run (pain.001) or a direct-debit run (pain.008) of the poste."""
    return _of_poste(
        user,
        model.objects.select_related("collectivite", "fichier"),
        "collectivite__poste_id",
        pk,
        "Campagne introuvable.",
    )


def get_budget_for_agent(user: User, pk: int) -> Budget:
    return _of_poste(
        user,
        Budget.objects.select_related("collectivite"),
        "collectivite__poste_id",
        pk,
        "Budget introuvable.",
    )


def get_titre_for_agent(user: User, pk: int) -> Piece:
    piece = get_piece_for_agent(user, pk)
    if piece.domaine != Domaine.RECETTE:
        raise Http404("Titre introuvable.")
    return piece
