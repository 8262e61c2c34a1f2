"""Seal the journal now: head hash, count, last entry, signed (and stamped when a timestamp
authority is configured)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pigp.orc import seals


class Command(BaseCommand):
    help = "Scelle le journal maintenant (signature Ed25519, horodatage RFC 3161 si configuré)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--public-key",
            "--cle-publique",
            dest="public_key",
            action="store_true",
            help="afficher la clé publique (PEM) et son identifiant, sans sceller",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["public_key"]:
            try:
                pem = seals.public_key_pem()
                key_id = seals.key_id_of(seals.public_key())
            except seals.SealKeyError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(pem, ending="")
            self.stderr.write(f"Identifiant de la clé (SHA-256 de la clé brute) : {key_id}")
            return
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
