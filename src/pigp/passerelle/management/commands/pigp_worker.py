"""The task worker: first hand back the flows and the bulk workbench decisions a dead worker
left behind, then run db_worker, with the hand-off sweep running beside it periodically."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from pigp.passerelle.pipeline import recover_stale
from pigp.passerelle.signals import worker_sweep
from pigp.passerelle.sweep import periodic

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Reprend les flux et les décisions groupées abandonnés par un worker arrêté, "
        "puis traite les tâches en attente ; relance périodiquement les intégrations et les "
        "avis de boîte aux lettres restés en attente."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--interval",
            type=float,
            default=0.5,
            help="Attente entre deux consultations de la file quand elle est vide (secondes).",
        )
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=None,
            help="Période du balayage des transmissions perdues (secondes ; "
            "PIGP_WORKER_SWEEP_SECONDS par défaut, 0 pour ne balayer qu'au démarrage).",
        )

    def handle(
        self,
        *args: object,
        queue_name: str,
        max_tasks: int | None,
        interval: float,
        sweep_every: float | None,
        **options: object,
    ) -> None:
        recovered = recover_stale()
        if recovered:
            self.stdout.write(f"{len(recovered)} flux repris : {', '.join(map(str, recovered))}")
        self._sweep(startup=True)
        period = settings.PIGP_WORKER_SWEEP_SECONDS if sweep_every is None else sweep_every
        if period > 0:
            threading.Thread(
                target=self._sweep_forever, args=(period,), name="pigp-sweep", daemon=True
            ).start()
        worker_args = [
            "--queue-name",
            queue_name,
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            str(interval),
        ]
        if max_tasks:
            worker_args += ["--max-tasks", str(max_tasks)]
        call_command("db_worker", *worker_args)

    def _sweep(self, *, startup: bool = False) -> None:
        # The other apps' hooks (Hélios resumes its bulk decisions…): registered receivers.
        for receiver, answer in worker_sweep.send_robust(sender=self.__class__, startup=startup):
            if isinstance(answer, Exception):
                log.error("worker hook %r failed", receiver, exc_info=answer)
            elif answer:
                self.stdout.write(str(answer))
        found = periodic()
        if found["integration"]:
            ids = ", ".join(map(str, found["integration"]))
            self.stdout.write(f"Intégration relancée pour {len(found['integration'])} flux : {ids}")
        if found["digests"]:
            self.stdout.write(f"Avis de boîte aux lettres relancés : {len(found['digests'])}")

    def _sweep_forever(self, period: float) -> None:
        """Beside db_worker, in its own thread (and so its own database connection)."""
        stop = threading.Event()
        while not stop.wait(period):
            try:
                self._sweep()
            except Exception:
                log.exception("periodic sweep failed; the next one tries again")
            finally:
                connections.close_all()
