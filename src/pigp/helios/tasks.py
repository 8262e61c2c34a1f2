"""Background work of the comptable's workbench."""

from __future__ import annotations

from django_tasks import task


@task()
def run_bulk_action(action_id: int) -> dict[str, int | str]:
    """Apply a bordereau-wide decision (`workbench.request_bulk`); safe to run again."""
    from pigp.helios.workbench import run_bulk

    bulk = run_bulk(action_id)
    return {"statut": bulk.statut, "traitees": bulk.n_traitees, "changees": bulk.n_changees}
