"""`manage.py seed_volume --mandats 1000000 --titres 500000`: a large ledger for load tests."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from pigp.helios import volume


class Command(BaseCommand):
    help = (
        "Remplit la base d'un grand jeu de pièces réalistes (plusieurs collectivités, trois "
        "exercices, tiers, paiements, encaissements, rejets) pour les essais de charge. "
        "Refuse une base qui contient d'autres pièces, sauf --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mandats", type=int, default=100_000)
        parser.add_argument("--titres", type=int, default=50_000)
        parser.add_argument("--collectivites", type=int, default=4)
        parser.add_argument("--seed", type=int, default=1, help="Graine du tirage.")
        parser.add_argument("--batch", type=int, default=5_000, help="Lignes par écriture.")
        parser.add_argument(
            "--force", action="store_true", help="Accepter une base qui contient d'autres pièces."
        )

    def handle(self, *args: object, **options: object) -> None:
        mandats, titres = int(options["mandats"]), int(options["titres"])  # type: ignore[call-overload]
        try:
            volume.check_database(force=bool(options["force"]))
        except volume.SeedError as exc:
            raise CommandError(str(exc)) from exc
        plan = volume.Plan(
            mandats=mandats,
            titres=titres,
            collectivites=max(1, int(options["collectivites"])),  # type: ignore[call-overload]
            seed=int(options["seed"]),  # type: ignore[call-overload]
            batch=max(1, int(options["batch"])),  # type: ignore[call-overload]
        )
        start = time.perf_counter()
        written = volume.seed(plan, volume.Progress(report=self.stdout.write))
        # (VACUUM cannot run in a transaction: skipped when the caller holds one, as tests do.)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # What autovacuum would have done by the time such a ledger is consulted: the
            # planner's statistics, and the visibility map that index-only scans need.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        for table, count in written.items():
            self.stdout.write(f"{table} : {count} ligne(s)")
        self.stdout.write(
            self.style.SUCCESS(
                f"{mandats} mandats et {titres} titres en {time.perf_counter() - start:.1f} s."
            )
        )
