"""`manage.py orc_volume --pieces N`: add N archived pièces for the search benchmark."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from pigp.orc import volume


class Command(BaseCommand):
    help = "Ajoute N pièces archivées fictives (métadonnées et textes) pour mesurer la recherche."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--pieces", type=int, default=10_000)
        parser.add_argument("--collectivites", type=int, default=40)
        parser.add_argument("--seed", type=int, default=13)

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        total = options["pieces"]

        def progress(done: int) -> None:
            rate = done / max(time.perf_counter() - start, 1e-9)
            self.stdout.write(f"\r{done}/{total} pièces ({rate:,.0f}/s)", ending="")
            self.stdout.flush()

        written = volume.generate(
            total,
            collectivites=options["collectivites"],
            seed=options["seed"],
            progress=progress,
        )
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"{written} pièces archivées en {time.perf_counter() - start:.1f} s")
        )
