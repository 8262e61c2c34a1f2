"""Acknowledged flows not yet in the ledger: list them, relaunch the failed ones.

Dry run unless --apply: without it, says what would be relaunched.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from pigp.passerelle import integration
from pigp.passerelle.models import Flux, IntegrationFlux


class Command(BaseCommand):
    help = (
        "Liste les flux acquittés en attente d'intégration ou en échec d'intégration dans "
        "Hélios, et relance les intégrations en échec (--relancer N… ou --relancer-echecs). "
        "Sans --apply, affiche seulement ce qui serait relancé."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--relancer", type=int, nargs="+", default=[], metavar="FLUX", help="Flux à relancer."
        )
        parser.add_argument(
            "--relancer-echecs", action="store_true", help="Relancer tous les flux en échec."
        )
        parser.add_argument("--apply", action="store_true", help="Effectuer les relances.")

    def handle(
        self,
        *args: object,
        relancer: list[int],
        relancer_echecs: bool,
        apply: bool,
        **options: object,
    ) -> None:
        open_ = Flux.objects.filter(
            Q(integration=IntegrationFlux.EN_ATTENTE) | Q(integration=IntegrationFlux.ECHEC)
        ).order_by("integration", "pk")
        for flux in open_:
            self.stdout.write(
                f"n° {flux.pk} {flux.original_name} — {flux.get_integration_display()}, "
                f"{flux.integration_attempts} tentative(s)"
                + (f" — {flux.integration_error}" if flux.integration_error else "")
            )
        targets = list(Flux.objects.filter(pk__in=relancer).order_by("pk"))
        missing = set(relancer) - {f.pk for f in targets}
        if missing:
            raise CommandError(f"Flux inconnu(s) : {', '.join(map(str, sorted(missing)))}")
        if relancer_echecs:
            targets += list(
                Flux.objects.filter(integration=IntegrationFlux.ECHEC).exclude(pk__in=relancer)
            )
        verb = "" if apply else "(simulation) "
        for flux in targets:
            if flux.integration != IntegrationFlux.ECHEC:
                self.stderr.write(
                    f"n° {flux.pk} : pas en échec ({flux.get_integration_display() or 'sans intégration'}), ignoré."
                )
                continue
            if apply:
                integration.relaunch(flux, actor="passerelle_integration")
            self.stdout.write(f"{verb}Intégration relancée : n° {flux.pk}")
