"""Hélios listens to the passerelle: accepted flows are taken into the ledger by a task."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django_tasks import task

from pigp.passerelle.models import Flux
from pigp.passerelle.signals import flux_accepted


@task()
def ingest_flux(flux_id: int) -> dict[str, int]:
    from pigp.helios.reception import ingest

    flux = Flux.objects.select_related("budget", "fichier", "collectivite").get(pk=flux_id)
    result = ingest(flux)
    return {"bordereaux": result.bordereaux, "pieces": result.pieces, "pj": result.pjs}


@receiver(flux_accepted, dispatch_uid="helios_ingest")
def _on_flux_accepted(sender: Any, flux: Flux, **kwargs: Any) -> None:
    ingest_flux.enqueue(flux_id=flux.pk)
