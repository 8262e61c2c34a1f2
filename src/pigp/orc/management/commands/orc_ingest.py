"""Catch up on history: archive every paid mandat and titre taken in charge that has no unit
yet, then complete and seal the closed exercices. Resumable: the pièces go through the
`PendingIngest` outbox (all missing ones are enqueued first, then worked), so a run stopped
half-way is finished by the next one."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.core.models import Collectivite
from pigp.orc import ingest


class Command(BaseCommand):
    help = (
        "Archive l'historique : mandats payés et titres pris en charge sans unité d'archive, "
        "puis exercices clos complétés et scellés. Reprend où une exécution interrompue "
        "s'est arrêtée."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--exercice", type=int, default=None, help="année de l'exercice")
        parser.add_argument(
            "--collectivite", default=None, help="SIRET de la collectivité (toutes sinon)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        coll_id: int | None = None
        if options["collectivite"]:
            coll = Collectivite.objects.filter(siret=options["collectivite"]).first()
            if coll is None:
                raise CommandError(f"Aucune collectivité de SIRET {options['collectivite']}.")
            coll_id = coll.pk
        annee = options["exercice"]
        ids = ingest.missing(collectivite_id=coll_id, annee=annee)
        for start in range(0, len(ids), 1000):
            ingest.request(ids[start : start + 1000], bump=False)
        pending = ingest.pending_rows(collectivite_id=coll_id)
        if annee is not None:
            pending = pending.filter(piece__exercice__annee=annee)
        piece_ids = list(pending.values_list("piece_id", flat=True))
        self.stdout.write(
            f"{len(ids)} pièce(s) à archiver ajoutée(s) ; {len(piece_ids)} en attente."
        )
        began = time.monotonic()

        def progress(done: int, total: int) -> None:
            sys.stderr.write(f"\rArchivage : {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        result = ingest.work_pending(piece_ids=piece_ids, progress=progress)
        elapsed = max(time.monotonic() - began, 1e-9)
        self.stdout.write(
            f"{result.count} pièce(s) archivée(s) en {elapsed:.1f} s "
            f"({result.count / elapsed:.1f} pièces/s)."
        )
        for piece_id, error in sorted(result.failed.items()):
            self.stderr.write(f"Pièce {piece_id} non archivée (sera reprise) : {error}")
        exercices = ingest.closed_unsealed(collectivite_id=coll_id, annee=annee)
        sealed = 0
        for n, exercice_id in enumerate(exercices, start=1):
            sys.stderr.write(f"\rExercices clos : {n}/{len(exercices)}")
            if ingest.complete_exercice(exercice_id) is not None:
                sealed += 1
        if exercices:
            sys.stderr.write("\n")
        self.stdout.write(f"{sealed} exercice(s) clos scellé(s) sur {len(exercices)}.")
        if result.failed or sealed < len(exercices):
            raise CommandError("Archivage incomplet : relancez la commande pour reprendre.")
