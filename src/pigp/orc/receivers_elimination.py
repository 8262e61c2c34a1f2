"""Elimination's hook into the task worker: destructions interrupted by a crash are finished
(and their proof written) at the worker's start-up and at each periodic sweep."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pigp.orc import elimination
from pigp.passerelle.signals import worker_sweep


@receiver(worker_sweep, dispatch_uid="orc_elimination_pending")
def _on_worker_sweep(sender: Any, startup: bool = False, **kwargs: Any) -> str:
    done = elimination.achever_en_attente()
    return f"ORC : {done} destruction(s) d'élimination achevée(s)." if done else ""
