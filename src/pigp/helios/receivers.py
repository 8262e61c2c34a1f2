"""Hélios listens to the passerelle: accepted flows are taken into the ledger by a task.

The receivers run inside the passerelle's transaction (the acknowledgement, or the sweep's
hand-off): with the database backend the task row commits with it. The task claims the flow
(`passerelle.integration`), so a duplicate hand-off never runs twice at once, and the ledger
write is idempotent, so a re-run after a crash writes only what is missing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver
from django_tasks import task

from pigp.core.tasks import enqueue_later
from pigp.passerelle import integration
from pigp.passerelle.models import Flux
from pigp.passerelle.signals import flux_accepted, flux_integration_due, worker_sweep

log = logging.getLogger(__name__)


@task()
def ingest_flux(flux_id: int) -> dict[str, int | str]:
    from pigp.helios.reception import ingest

    flux = integration.claim(flux_id)
    if flux is None:
        return {"etat": "déjà intégré, en échec ou en cours"}
    try:
        result = ingest(flux)
    except Exception as exc:
        log.exception("flux %s: ingest failed", flux_id)
        delay = integration.record_failure(flux_id, exc)
        if delay is not None:
            enqueue_later(ingest_flux, delay, flux_id=flux_id)
        raise
    return {"bordereaux": result.bordereaux, "pieces": result.pieces, "pj": result.pjs}


@receiver(flux_accepted, dispatch_uid="helios_ingest")
@receiver(flux_integration_due, dispatch_uid="helios_ingest_due")
def _on_flux_accepted(sender: Any, flux: Flux, **kwargs: Any) -> None:
    ingest_flux.enqueue(flux_id=flux.pk)


@receiver(worker_sweep, dispatch_uid="helios_resume_bulk")
def _on_worker_sweep(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    """Bulk bordereau decisions a dead worker left (their lease past) go on, at start-up and
    at each periodic sweep: resuming is idempotent (a committed cursor), never decides twice."""
    from pigp.helios.workbench import recover_stalled_bulk

    resumed = recover_stalled_bulk()
    if not resumed:
        return ""
    return f"{len(resumed)} décision(s) groupée(s) reprise(s) : {', '.join(map(str, resumed))}"
