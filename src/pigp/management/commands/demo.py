"""The demo of the whole portal, assembled at project level: each app loads its own part."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.core.demo import DEMO_PASSWORD, load_demo
from pigp.helios.demo import load_demo as load_helios_demo
from pigp.passerelle.demo import load_demo as load_passerelle_demo


class Command(BaseCommand):
    help = "Charge les données de démonstration (sans effet si elles sont déjà là)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Autoriser le chargement en production."
        )

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        if settings.PRODUCTION and not force:
            raise CommandError(
                "Refusé : PIGP_ENV=production. Les comptes de démonstration ont un mot de passe "
                "public ; utilisez --force si c'est vraiment voulu."
            )
        accounts = load_demo()
        flows = load_passerelle_demo()
        helios = load_helios_demo()
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        if flows:
            self.stdout.write(f"{flows} flux déposés sur la passerelle (traités par le worker).")
        if helios is not None and helios.flows:
            self.stdout.write(
                f"Hélios : {helios.flows} flux traités, {helios.decided} pièces décidées "
                f"({helios.rejected} rejetées), {helios.paid} mandats payés, "
                f"{helios.recovered} encaissements rapprochés, {helios.retours} PES_Retour, "
                f"exercices clos : {', '.join(helios.closed) or 'aucun'}."
            )
        self.stdout.write(f"Mot de passe de tous les comptes : {DEMO_PASSWORD}")
        for account in accounts:
            self.stdout.write(f"  {account.email:<28} {account.role}")
