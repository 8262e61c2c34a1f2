"""Daily PES_Retour: run by cron, e.g. `15 6 * * * cd /srv/pigp && .venv/bin/python manage.py helios_retours`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.core.models import Budget
from pigp.helios import retours


class Command(BaseCommand):
    help = (
        "Émet les PES_Retour (dépense et recette) de chaque budget : ce qui a changé depuis le "
        "précédent. Sans changement, aucun fichier. À lancer chaque jour (cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--budget", type=int, help="Identifiant d'un seul budget.")

    def handle(self, *args: object, budget: int | None = None, **options: object) -> None:
        budgets = None
        if budget is not None:
            budgets = list(Budget.objects.filter(pk=budget))
            if not budgets:
                raise CommandError(f"Budget {budget} introuvable.")
        made = retours.generate_all(budgets, actor="helios_retours")
        for retour in made:
            self.stdout.write(f"{retour.nom} : {retour.pieces} pièce(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(made)} PES_Retour émis."))
