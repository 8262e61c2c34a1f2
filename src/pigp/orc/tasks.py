"""ORC's background work (django-tasks): archive the pending pièces, complete a closed
exercice. Both are idempotent: a duplicate enqueue, or a run after a crash, redoes nothing
that is done."""

from __future__ import annotations

from django_tasks import task


@task()
def archiver(piece_ids: list[int] | None = None) -> dict[str, int]:
    """Archive the pending pièces given (all pending ones when None)."""
    from pigp.orc import ingest

    result = ingest.work_pending(piece_ids=piece_ids)
    return {"archivees": result.count, "en_echec": len(result.failed)}


@task()
def completer_exercice(exercice_id: int) -> dict[str, int | str]:
    """Complete and seal a closed exercice (nothing when a pièce could not be archived yet:
    the worker's sweep enqueues it again)."""
    from pigp.orc import ingest

    sealed = ingest.complete_exercice(exercice_id)
    if sealed is None:
        return {"etat": "incomplet, repris au prochain balayage"}
    return {"unites": sealed.unites, "empreinte": sealed.empreinte}
