"""Declare a public archives service, the départements it covers, and its agents."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from pigp.core.models import User
from pigp.orc.models import ServiceArchives


class Command(BaseCommand):
    help = (
        "Crée ou met à jour un service d'archives publiques (archives départementales) : les "
        "départements qu'il couvre et ses agents, qui visent les bordereaux d'élimination des "
        "collectivités de ces départements. Sans option, affiche le service."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "nom", help="Nom du service, par ex. « Archives départementales de la Haute-Garonne »."
        )
        parser.add_argument(
            "--departements", help="Codes des départements couverts, séparés par des virgules."
        )
        parser.add_argument(
            "--agent", action="append", default=[], help="Courriel d'un agent à ajouter."
        )
        parser.add_argument(
            "--retirer", action="append", default=[], help="Courriel d'un agent à retirer."
        )

    def handle(
        self,
        *args: object,
        nom: str,
        departements: str | None,
        agent: list[str],
        retirer: list[str],
        **options: object,
    ) -> None:
        with transaction.atomic():
            service = ServiceArchives.objects.filter(nom=nom).first()
            if service is None:
                if not departements:
                    raise CommandError("Service inconnu : indiquez --departements pour le créer.")
                service = ServiceArchives.objects.create(nom=nom, departements=departements)
                self.stdout.write(f"Service créé : {nom}")
            elif departements:
                service.departements = departements
                service.save(update_fields=["departements"])
            for email, add in [(e, True) for e in agent] + [(e, False) for e in retirer]:
                user = User.objects.filter(email__iexact=email).first()
                if user is None:
                    raise CommandError(f"Aucun compte pour {email}.")
                (service.agents.add if add else service.agents.remove)(user)
        agents = ", ".join(service.agents.order_by("email").values_list("email", flat=True))
        self.stdout.write(
            f"{service.nom} — départements : {', '.join(service.departement_codes())} — "
            f"agents : {agents or 'aucun'}"
        )
