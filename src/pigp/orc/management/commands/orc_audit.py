"""Audit the silo's copies: existence and SHA-512 of each, repairs, speed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.orc import audit


def _percent(value: str) -> float:
    try:
        number = float(value.replace(",", "."))
    except ValueError as exc:
        raise CommandError(f"Pourcentage invalide : {value}") from exc
    if not 0 < number <= 100:
        raise CommandError("Le pourcentage doit être compris entre 0 (exclu) et 100.")
    return number


class Command(BaseCommand):
    help = (
        "Audite les copies du silo : existence et empreinte SHA-512 de chacune ; une copie "
        "absente ou altérée est réparée depuis une copie saine. Affiche le débit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sample",
            "--echantillon",
            dest="sample",
            metavar="POURCENT",
            help="n'auditer qu'un échantillon aléatoire de ce pourcentage des objets",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sample = _percent(options["sample"]) if options["sample"] else None
        result = audit.audit(sample)
        self.stdout.write(
            f"{result.objects} objets, {result.copies} copies, {result.bytes} octets lus "
            f"en {result.seconds:.2f} s ({result.mb_per_second:.1f} Mo/s)."
        )
        self.stdout.write(
            f"Copies absentes : {result.missing} ; altérées : {result.corrupted} ; "
            f"réparées : {result.repaired} ; non réparées : {result.unrepaired}."
        )
        if result.unrepaired:
            raise CommandError(
                f"{result.unrepaired} copie(s) n'ont pas pu être réparées : aucune copie saine."
            )
