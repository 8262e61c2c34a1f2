"""The Extranet's hooks into the task worker (the passerelle's periodic sweep)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pigp.extranet import alerts, background
from pigp.passerelle.signals import worker_sweep


@receiver(worker_sweep, dispatch_uid="extranet_alert_digest")
def _on_worker_sweep(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    if alerts.schedule_daily():
        return "Récapitulatif quotidien des alertes de l'Extranet lancé."
    return ""


@receiver(worker_sweep, dispatch_uid="extranet_exports")
def _on_worker_sweep_exports(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    """Exports left by a dead worker run again; files past their days are deleted."""
    return background.sweep()
