"""ORC's periodic work for the proof: a seal every 24 hours and a sampled audit every week,
run from the worker's sweep (`pigp.passerelle.signals.worker_sweep`)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pigp.orc import audit, seals
from pigp.passerelle.signals import worker_sweep


@receiver(worker_sweep, dispatch_uid="orc_seal")
def _seal_if_due(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    result = seals.seal_if_due()
    if result is None:
        return ""
    line = f"ORC : journal scellé (scellement n° {result.seal.pk}, {result.seal.count} entrées)."
    if result.tsa_error:
        line += f" Horodatage impossible : {result.tsa_error}"
    return line


@receiver(worker_sweep, dispatch_uid="orc_audit")
def _audit_if_due(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    if audit.plan_if_due():
        return f"ORC : audit hebdomadaire lancé ({audit.PERIODIC_SAMPLE:g} % des objets)."
    return ""
