"""Seal the journal now: head hash, count, last entry, signed (and stamped when a timestamp
authority is configured)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pigp.orc import seals


class Command(BaseCommand):
    help = "Scelle le journal maintenant (signature Ed25519, horodatage RFC 3161 si configuré)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = seals.seal_now(motif="commande orc_seal")
        except seals.SealKeyError as exc:
            raise CommandError(str(exc)) from exc
        seal = result.seal
        self.stdout.write(
            f"Scellement n° {seal.pk} : {seal.count} entrées jusqu'à l'entrée "
            f"{seal.last_entry_id}, tête {seal.head_hash}, clé {seal.key_id}."
        )
        if seal.tsa_token:
            self.stdout.write(f"Horodaté par {seal.tsa_url}.")
        elif result.tsa_error:
            self.stderr.write(f"Horodatage impossible (journalisé) : {result.tsa_error}")
