"""The demo of the whole portal, assembled at project level: each app adds its part to one
timeline, played in date order (`pigp.core.demo_clock`)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.chorus.demo import SUPPLIER_ACCOUNT
from pigp.chorus.demo import load_demo as load_chorus_demo
from pigp.core.demo import DEMO_PASSWORD, load_demo
from pigp.core.demo_clock import Timeline
from pigp.extranet.demo import load_demo as load_extranet_demo
from pigp.helios.demo import load_demo as load_helios_demo
from pigp.orc.demo import load_demo as load_orc_demo
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
        timeline = Timeline()
        accounts = load_demo(timeline)
        flows = load_passerelle_demo(timeline)
        helios = load_helios_demo(timeline)
        extranet = load_extranet_demo(timeline)
        chorus = load_chorus_demo(timeline)
        orc = load_orc_demo(timeline)
        timeline.run()
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        if flows.created:
            self.stdout.write(f"{flows.created} flux déposés sur la passerelle.")
        if helios is not None and helios.flows:
            self.stdout.write(
                f"Hélios : {helios.flows} flux traités, {helios.decided} pièces décidées "
                f"({helios.rejected} rejetées), {helios.paid} mandats payés, "
                f"{helios.recovered} encaissements rapprochés, {helios.retours} PES_Retour, "
                f"exercices clos : {', '.join(helios.closed) or 'aucun'}."
            )
            if extranet.abonnements:
                self.stdout.write(
                    f"Extranet : {extranet.abonnements} abonnements aux alertes, "
                    f"{extranet.alertes} alertes détectées."
                )
            if chorus.factures:
                self.stdout.write(
                    f"Chorus Pro : {chorus.factures} factures déposées, dont {chorus.liees} "
                    "suivies par Hélios jusqu'à leur mandat."
                )
            if orc.unites:
                self.stdout.write(
                    f"ORC : {orc.unites} pièces archivées, {orc.attestations} attestations "
                    f"d'archivage, {orc.scellements} scellements du journal."
                )
            self.stdout.write(
                f"Historique daté du {timeline.start:%d/%m/%Y} au {timeline.today:%d/%m/%Y}."
            )
        self.stdout.write(f"Mot de passe de tous les comptes : {DEMO_PASSWORD}")
        for account in accounts:
            self.stdout.write(f"  {account.email:<28} {account.role}")
        self.stdout.write(f"  {SUPPLIER_ACCOUNT[0]:<28} {SUPPLIER_ACCOUNT[1]}")
