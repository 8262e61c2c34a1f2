"""The early-destruction offer's hook into the worker's periodic sweep: attestations of covered
units not attested yet, and at the start of each month the previous month's recapitulative
attestations (both idempotent, so a dead worker's share is simply done again)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pigp.orc import attestations
from pigp.passerelle.signals import worker_sweep


@receiver(worker_sweep, dispatch_uid="orc_attestations")
def _on_worker_sweep(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    return attestations.sweep()
