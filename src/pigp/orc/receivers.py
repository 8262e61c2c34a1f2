"""ORC listens to Hélios (connected in `OrcConfig.ready`).

Inside Hélios' transaction, quickly and without file work: the pièces to archive get a
`PendingIngest` row (committed or rolled back with the change that calls for it) and the
worker's task is enqueued once the transaction commits. After the clôture of an exercice,
its completion is enqueued. The worker's periodic sweep hands back what a dead worker left.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from pigp.helios.models import Exercice, Piece
from pigp.helios.signals import exercice_closed, pieces_moved, pieces_received
from pigp.orc import ingest
from pigp.passerelle.signals import worker_sweep


def _enqueue_after_commit(piece_ids: list[int]) -> None:
    from pigp.orc.tasks import archiver

    transaction.on_commit(lambda: archiver.enqueue(piece_ids=piece_ids))


@receiver(pieces_moved, sender=Piece, dispatch_uid="orc.pieces_moved")
def on_pieces_moved(
    sender: Any, *, piece_ids: list[int], to: str, domaine: str, **kwargs: Any
) -> None:
    if not ingest.archivable(domaine, to):
        return
    _enqueue_after_commit(ingest.request(piece_ids))


@receiver(pieces_received, sender=Piece, dispatch_uid="orc.pieces_received")
def on_pieces_received(
    sender: Any, *, piece_ids: list[int], domaine: str, lived: bool = False, **kwargs: Any
) -> None:
    """A reception is never archived at once (`recue`); pièces that arrive with their life
    lived (the volume seed) are, when their state calls for it."""
    if not lived:
        return
    states = ingest.ARCHIVABLE.get(domaine, frozenset())
    ids = list(Piece.objects.filter(pk__in=piece_ids, etat__in=states).values_list("pk", flat=True))
    if ids:
        _enqueue_after_commit(ingest.request(ids))


@receiver(exercice_closed, sender=Exercice, dispatch_uid="orc.exercice_closed")
def on_exercice_closed(sender: Any, *, exercice: Exercice, **kwargs: Any) -> None:
    from pigp.orc.tasks import completer_exercice

    completer_exercice.enqueue(exercice_id=exercice.pk)


@receiver(worker_sweep, dispatch_uid="orc.sweep")
def on_worker_sweep(sender: Any, **kwargs: Any) -> str:
    """Pending pièces no live run holds, and closed exercices not sealed yet, go again."""
    from pigp.orc.tasks import archiver, completer_exercice

    stale = ingest.stale_pending()
    if stale:
        archiver.enqueue(piece_ids=stale)
    exercices = ingest.closed_unsealed()
    for exercice_id in exercices:
        completer_exercice.enqueue(exercice_id=exercice_id)
    if not stale and not exercices:
        return ""
    return (
        f"ORC : {len(stale)} archivage(s) en attente repris, "
        f"{len(exercices)} exercice(s) clos à compléter"
    )
