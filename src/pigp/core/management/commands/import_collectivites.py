from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.core.imports import import_collectivites


class Command(BaseCommand):
    help = "Importe des collectivités et budgets depuis un fichier CSV (tout ou rien)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("fichier", type=Path)

    def handle(self, *args: object, fichier: Path, **options: object) -> None:
        try:
            raw = fichier.read_bytes()
        except OSError as exc:
            raise CommandError(f"Fichier illisible : {exc}") from exc
        result = import_collectivites(raw)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"Rien n'a été importé : {len(result.errors)} erreur(s).")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.collectivites_created} collectivité(s) créée(s), "
                f"{result.collectivites_updated} mise(s) à jour, {result.budgets_created} budget(s) "
                f"créé(s), {result.budgets_updated} mis à jour."
            )
        )
