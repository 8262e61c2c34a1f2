"""The comptable's workbench: the queue of bordereaux and the actions on pièces.

Views call these; they take querysets already limited to the agent's poste (`access.py`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from pigp.core.models import User
from pigp.helios import states
from pigp.helios.access import bordereaux_for_agent, collectivites_for_agent
from pigp.helios.models import Bordereau, Domaine, EtatPiece, Piece

AWAITING = (EtatPiece.RECUE, EtatPiece.EN_INSTANCE)


@dataclass(frozen=True)
class Action:
    slug: str
    target: str
    label: str  # button
    done: str  # past participle agreeing with "pièce"
    done_plural: str
    needs_motif: bool


ACTIONS: dict[str, Action] = {
    a.slug: a
    for a in (
        Action(
            "prendre-en-charge",
            EtatPiece.PRISE_EN_CHARGE,
            "Prendre en charge",
            "prise en charge",
            "prises en charge",
            False,
        ),
        Action("rejeter", EtatPiece.REJETEE, "Rejeter", "rejetée", "rejetées", True),
        Action(
            "mettre-en-instance",
            EtatPiece.EN_INSTANCE,
            "Mettre en instance",
            "mise en instance",
            "mises en instance",
            True,
        ),
    )
}


# -- queue --------------------------------------------------------------------------------


def queue(
    user: User, *, collectivite_id: int | None = None, domaine: str = "", tri: str = ""
) -> QuerySet[Bordereau]:
    """Bordereaux having pièces awaiting prise en charge, oldest first, with their counts."""
    awaiting = Piece.objects.filter(bordereau_id=OuterRef("pk"), etat__in=AWAITING)
    qs = (
        bordereaux_for_agent(user)
        .filter(Exists(awaiting))
        .select_related("exercice__budget__collectivite")
        .annotate(
            n_pieces=Count("pieces"),
            n_recues=Count("pieces", filter=Q(pieces__etat=EtatPiece.RECUE)),
            n_instance=Count("pieces", filter=Q(pieces__etat=EtatPiece.EN_INSTANCE)),
            montant_attente=Sum("pieces__mt_ttc", filter=Q(pieces__etat__in=AWAITING)),
        )
        .order_by("recu_le", "id")
    )
    if collectivite_id:
        qs = qs.filter(exercice__budget__collectivite_id=collectivite_id)
    if domaine in Domaine.values:
        qs = qs.filter(domaine=domaine)
    if tri == "collectivite":
        qs = qs.order_by("exercice__budget__collectivite__nom", "recu_le", "id")
    return qs


@dataclass
class CollectiviteCount:
    pk: int
    nom: str
    bordereaux: int
    pieces: int
    oldest: datetime.datetime | None

    @property
    def age(self) -> int:
        return age_days(self.oldest)


def counts_by_collectivite(user: User, *, domaine: str = "") -> list[CollectiviteCount]:
    """Pièces and bordereaux awaiting, per collectivité of the poste (one query)."""
    pieces = Piece.objects.filter(collectivite__poste_id=user.poste_id, etat__in=AWAITING)
    if domaine in Domaine.values:
        pieces = pieces.filter(domaine=domaine)
    rows = (
        pieces.values("collectivite_id", "collectivite__nom")
        .annotate(
            n=Count("id"),
            b=Count("bordereau_id", distinct=True),
            oldest=Min("bordereau__recu_le"),
        )
        .order_by("collectivite__nom")
    )
    return [
        CollectiviteCount(r["collectivite_id"], r["collectivite__nom"], r["b"], r["n"], r["oldest"])
        for r in rows
    ]


def collectivite_choices(user: User) -> list[tuple[int, str]]:
    return list(collectivites_for_agent(user).order_by("nom").values_list("pk", "nom"))


def age_days(moment: datetime.datetime | None) -> int:
    if moment is None:
        return 0
    return max((timezone.localdate() - timezone.localdate(moment)).days, 0)


# -- pièces of a bordereau ----------------------------------------------------------------


def pieces_of(bordereau: Bordereau) -> QuerySet[Piece]:
    return bordereau.pieces.select_related("tiers", "bordereau").order_by("id")


def etat_counts(bordereau: Bordereau) -> list[tuple[str, int]]:
    rows = dict(bordereau.pieces.values_list("etat").annotate(n=Count("id")).order_by())
    return [(label, rows[value]) for value, label in EtatPiece.choices if rows.get(value)]


# -- actions ------------------------------------------------------------------------------


@dataclass
class Outcome:
    action: Action
    moved: list[Piece] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n = len(self.moved)
        if not n:
            return "Aucune pièce n'a changé d'état."
        done = self.action.done_plural if n > 1 else self.action.done
        return f"{n} pièce{'s' if n > 1 else ''} {done}."

    def refusals(self, limit: int = 10) -> str:
        if not self.refused:
            return ""
        n = len(self.refused)
        shown = " ".join(self.refused[:limit])
        more = f" … et {n - limit} autre(s) refus." if n > limit else ""
        return f"{n} pièce{'s' if n > 1 else ''} refusée{'s' if n > 1 else ''} : {shown}{more}"


def apply(
    user: User,
    pieces: Iterable[Piece],
    action: Action,
    *,
    motifs: Iterable[str] = (),
    commentaire: str = "",
) -> Outcome:
    """Apply `action` to each pièce that allows it; the others are reported, never raised.

    One outer transaction: each pièce's transition becomes a savepoint instead of a commit
    (a refused pièce rolls back alone), which makes a bordereau of hundreds of pièces several
    times faster.
    """
    with transaction.atomic():
        moved, refused = states.transition_many(
            pieces,
            action.target,
            actor=user.email,
            motif_code=" ".join(motifs) if action.needs_motif else "",
            commentaire=commentaire if action.needs_motif else "",
        )
    return Outcome(action, moved, refused)


def available_actions(piece: Piece) -> list[Action]:
    if piece.verrouillee:
        return []
    return [a for a in ACTIONS.values() if states.allowed(piece, a.target)]
