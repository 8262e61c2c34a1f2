"""The task worker: first hand back the flows and the bulk workbench decisions a dead worker
left behind, then run db_worker."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from pigp.helios.workbench import recover_stalled_bulk
from pigp.passerelle.pipeline import recover_stale


class Command(BaseCommand):
    help = (
        "Reprend les flux et les décisions groupées abandonnés par un worker arrêté, "
        "puis traite les tâches en attente."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--interval",
            type=float,
            default=0.5,
            help="Attente entre deux consultations de la file quand elle est vide (secondes).",
        )

    def handle(
        self,
        *args: object,
        queue_name: str,
        max_tasks: int | None,
        interval: float,
        **options: object,
    ) -> None:
        recovered = recover_stale()
        if recovered:
            self.stdout.write(f"{len(recovered)} flux repris : {', '.join(map(str, recovered))}")
        bulk = recover_stalled_bulk()
        if bulk:
            self.stdout.write(
                f"{len(bulk)} décision(s) groupée(s) reprise(s) : {', '.join(map(str, bulk))}"
            )
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
