"""The life of a pièce: which transitions are allowed, and the one function that makes them.

Every transition is stored in the pièce's history (`PieceEvent`) and in the journal.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from pigp.core import journal
from pigp.helios import versions
from pigp.helios.models import Domaine, EtatPiece, Paiement, Piece, PieceEvent
from pigp.helios.motifs import motifs_for
from pigp.helios.signals import PaymentRef, pieces_moved

E = EtatPiece

TRANSITIONS: dict[str, dict[str, set[str]]] = {
    Domaine.DEPENSE: {
        E.RECUE: {E.PRISE_EN_CHARGE, E.REJETEE, E.EN_INSTANCE},
        E.EN_INSTANCE: {E.PRISE_EN_CHARGE, E.REJETEE},
        E.PRISE_EN_CHARGE: {E.PAYEE},
        E.REJETEE: set(),
        E.PAYEE: set(),
    },
    Domaine.RECETTE: {
        E.RECUE: {E.PRISE_EN_CHARGE, E.REJETEE, E.EN_INSTANCE},
        E.EN_INSTANCE: {E.PRISE_EN_CHARGE, E.REJETEE},
        E.PRISE_EN_CHARGE: {E.PARTIELLE, E.SOLDEE},
        E.PARTIELLE: {E.SOLDEE},
        E.REJETEE: set(),
        E.SOLDEE: set(),
    },
}

# Transitions the comptable chooses in the workbench; the others follow from money moving.
MANUAL = {E.PRISE_EN_CHARGE, E.REJETEE, E.EN_INSTANCE}
NEEDS_MOTIF = {E.REJETEE, E.EN_INSTANCE}


class TransitionError(Exception):
    """A transition the rules refuse; the message is for the comptable, in French."""


class AlreadyDecided(TransitionError):
    """A decision asked of a pièce already decided (rejected, taken in charge, paid…).

    Not a refusal: a decision on a whole bordereau leaves such pièces as they are and says so.
    `label` names the pièce and its state, e.g. « mandat n° 3 (rejetée) ».
    """

    def __init__(self, message: str, label: str) -> None:
        super().__init__(message)
        self.label = label


def allowed(piece: Piece, to: str) -> bool:
    return to in TRANSITIONS[piece.domaine].get(piece.etat, set())


def check(piece: Piece, to: str, motif_code: str = "") -> None:
    kind = "mandat" if piece.domaine == Domaine.DEPENSE else "titre"
    # A closed exercice locks the decisions (prise en charge, rejet, instance), never the money:
    # its restes à payer and à recouvrer are still paid and recovered after the clôture.
    if piece.verrouillee and to in MANUAL:
        raise TransitionError(
            f"Le {kind} n° {piece.id_pce} appartient à un exercice clos : sa prise en charge "
            "ou son rejet ne change plus."
        )
    if not allowed(piece, to):
        etat = piece.get_etat_display().lower()
        message = (
            f"Impossible de passer le {kind} n° {piece.id_pce} de « {etat} » "
            f"à « {EtatPiece(to).label.lower()} »."
        )
        if to in MANUAL:  # every undecided pièce allows every decision: this one is decided
            raise AlreadyDecided(message, f"{kind} n° {piece.id_pce} ({etat})")
        raise TransitionError(message)
    if to in NEEDS_MOTIF:
        codes = [c for c in motif_code.split() if c]
        if not codes:
            raise TransitionError("Choisissez au moins un motif.")
        known = motifs_for(piece.domaine)
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise TransitionError(f"Motif inconnu : {', '.join(unknown)}.")


def payment_delay(received: datetime.datetime | None, paid: datetime.date) -> int:
    """The global payment delay in days: from the day Hélios received the mandat (local date)
    to its payment; never negative (a pièce received and paid the same day takes 0)."""
    if received is None:
        return 0
    return max((paid - timezone.localdate(received)).days, 0)


def transition(
    piece: Piece,
    to: str,
    *,
    actor: str,
    motif_code: str = "",
    commentaire: str = "",
    when: datetime.date | None = None,
    collectivite_id: int | None = None,
) -> Piece:
    """Move one pièce to `to`, or raise TransitionError and change nothing."""
    with transaction.atomic():
        versions.touch([piece.exercice_id])
        locked = Piece.objects.select_for_update().get(pk=piece.pk)
        check(locked, to, motif_code)
        from_ = locked.etat
        day = when or timezone.localdate()
        locked.etat = to
        fields = ["etat", "modifie_le"]
        if to == E.PRISE_EN_CHARGE:
            locked.date_prise_en_charge = day
            fields.append("date_prise_en_charge")
        elif to == E.REJETEE:
            locked.date_rejet = day
            fields.append("date_rejet")
        elif to == E.EN_INSTANCE:
            locked.date_instance = day
            fields.append("date_instance")
        elif to == E.PAYEE:
            locked.date_paiement = day
            locked.delai_paiement = payment_delay(locked.date_reception, day)
            fields += ["date_paiement", "delai_paiement"]
        elif to == E.SOLDEE:
            locked.date_solde = day
            fields.append("date_solde")
        if to in NEEDS_MOTIF:
            locked.motif_code = " ".join(motif_code.split())
            locked.motif_commentaire = commentaire
            fields += ["motif_code", "motif_commentaire"]
        locked.save(update_fields=fields)
        label = EtatPiece(to).label
        message = f"{label}" + (f" — motif {locked.motif_code}" if to in NEEDS_MOTIF else "")
        if commentaire:
            message += f" : {commentaire}"
        PieceEvent.objects.create(piece=locked, etat=to, actor=actor, message=message)
        journal.record(
            f"piece_{to}",
            actor_label=actor,
            obj=locked,
            collectivite=collectivite_id or locked.collectivite_id,
            details={
                "motif": locked.motif_code if to in NEEDS_MOTIF else "",
                "commentaire": commentaire[:300],
            },
        )
        pieces_moved.send(
            sender=Piece,
            piece_ids=[locked.pk],
            to=to,
            from_=from_,
            domaine=locked.domaine,
            day=day,
            actor=actor,
            motif_code=locked.motif_code if to in NEEDS_MOTIF else "",
            commentaire=commentaire,
            payments=_payments_of(locked) if to == E.PAYEE else {},
        )
    piece.refresh_from_db()
    return piece


def _payments_of(piece: Piece) -> dict[int, PaymentRef]:
    """The latest `Paiement` of a pièce paid one by one, if any (a run pays in bulk)."""
    paid = Paiement.objects.filter(piece=piece).order_by("-date", "-pk").first()
    if paid is None:
        return {}
    return {piece.pk: PaymentRef(paid.run_id, paid.date, paid.reference)}


def transition_many(
    pieces: Iterable[Piece],
    to: str,
    *,
    actor: str,
    motif_code: str = "",
    commentaire: str = "",
    skip_decided: bool = True,
) -> tuple[list[Piece], list[str], list[str]]:
    """Apply to each pièce that allows it; return those moved, the reasons for the refused
    ones, and the labels of those left alone because they were already decided (refused
    instead when `skip_decided` is False)."""
    moved, refused, skipped = [], [], []
    for piece in pieces:
        try:
            moved.append(
                transition(piece, to, actor=actor, motif_code=motif_code, commentaire=commentaire)
            )
        except AlreadyDecided as exc:
            if skip_decided:
                skipped.append(exc.label)
            else:
                refused.append(str(exc))
        except TransitionError as exc:
            refused.append(str(exc))
    return moved, refused, skipped
