"""Reclaim files left by a crash; dry run unless --apply."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandParser

from pigp.passerelle.sweep import sweep


class Command(BaseCommand):
    help = (
        "Recherche les fichiers reçus dont l'enregistrement a été interrompu (et crée leur flux), "
        "les objets orphelins et les flux abandonnés. Sans --apply, affiche seulement ce qui serait fait."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="Effectuer les opérations.")
        parser.add_argument(
            "--min-age-minutes",
            type=float,
            default=10,
            help="Ne toucher qu'aux fichiers plus anciens que cela (défaut : 10).",
        )

    def handle(self, *args: object, apply: bool, min_age_minutes: float, **options: object) -> None:
        report = sweep(apply=apply, min_age=datetime.timedelta(minutes=min_age_minutes))
        verb = "" if apply else "(simulation) "
        self.stdout.write(f"{verb}Fichiers reçus récupérés en flux : {len(report.reclaimed)}")
        for sha in report.reclaimed:
            self.stdout.write(f"  + {sha}")
        self.stdout.write(
            f"{verb}Dépôts déjà enregistrés (manifeste soldé) : {len(report.finished)}"
        )
        self.stdout.write(f"{verb}Objets orphelins supprimés : {len(report.orphans)}")
        for sha in report.orphans:
            self.stdout.write(f"  - {sha}")
        self.stdout.write(
            f"{verb}Fichiers temporaires périmés supprimés : {len(report.stale_spool)}"
        )
        if apply:
            self.stdout.write(f"Flux abandonnés relancés : {len(report.recovered_flux)}")
        elif report.reclaimed or report.orphans or report.stale_spool:
            self.stdout.write("Relancez avec --apply pour effectuer ces opérations.")
