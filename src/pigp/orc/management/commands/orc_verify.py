"""Check the journal's chain and every seal; name the first entry or seal that fails."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pigp.orc import seals


class Command(BaseCommand):
    help = (
        "Vérifie le chaînage du journal et chaque scellement (signature, tête et nombre "
        "d'entrées) ; nomme la première entrée ou le premier scellement en défaut."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = seals.verify()
        except seals.SealKeyError as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            raise CommandError(result.problem)
        self.stdout.write(
            f"Journal intègre : {result.entries} entrées chaînées, "
            f"{result.seals} scellements vérifiés."
        )
