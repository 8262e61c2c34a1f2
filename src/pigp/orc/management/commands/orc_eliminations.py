"""Eligibility report and recovery of interrupted destructions; dry run unless --apply."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from pigp.core.models import Collectivite
from pigp.orc import elimination
from pigp.orc.models import ArchiveUnit


class Command(BaseCommand):
    help = (
        "Affiche, par collectivité, les pièces dont la durée d'utilité administrative est échue "
        "(et les pièces gelées écartées), et les bordereaux exécutés dont la destruction n'a pas "
        "été achevée. Avec --apply, achève ces destructions et en écrit la preuve au journal. "
        "Aucun bordereau n'est établi ici : c'est l'archiviste qui le fait dans ORC."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="Achever les destructions.")
        parser.add_argument("--collectivite", help="SIRET d'une collectivité (défaut : toutes).")
        parser.add_argument(
            "--date", help="Date de la simulation, AAAA-MM-JJ (défaut : aujourd'hui)."
        )

    def handle(
        self,
        *args: object,
        apply: bool,
        collectivite: str | None,
        date: str | None,
        **options: object,
    ) -> None:
        try:
            today = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"Date invalide : {date} (attendu AAAA-MM-JJ).") from exc
        with_units = ArchiveUnit.objects.values("collectivite_id")
        collectivites = Collectivite.objects.filter(pk__in=with_units).order_by("nom")
        if collectivite:
            collectivites = collectivites.filter(siret=collectivite)
            if not collectivites.exists():
                raise CommandError(f"Aucune pièce archivée pour le SIRET {collectivite}.")
        for coll in collectivites:
            found = elimination.eligible(coll, today)
            self.stdout.write(
                f"{coll.nom} ({coll.siret}) : {len(found.eligibles)} pièce(s) éliminable(s) au "
                f"{today:%d/%m/%Y}, {len(found.ecartees)} gelée(s) écartée(s)"
            )
        pending = list(elimination.en_attente().order_by("pk"))
        self.stdout.write(f"Destructions à achever : {len(pending)}")
        for e in pending:
            self.stdout.write(f"  - {e.numero}")
        if apply:
            done = elimination.achever_en_attente()
            self.stdout.write(f"Destructions achevées : {done}")
        elif pending:
            self.stdout.write("Relancez avec --apply pour les achever.")
