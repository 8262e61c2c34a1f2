from django.core.management.base import BaseCommand, CommandError

from pigp.core.journal import verify_chain


class Command(BaseCommand):
    help = "Recalcule la chaîne d'empreintes du journal et désigne la première entrée rompue."

    def handle(self, *args: object, **options: object) -> None:
        check = verify_chain()
        if check.intact:
            self.stdout.write(
                self.style.SUCCESS(f"Journal intègre : {check.checked} entrée(s) vérifiée(s).")
            )
            return
        where = (
            f"entrée n° {check.first_broken.pk} ({check.first_broken.timestamp:%Y-%m-%d %H:%M:%S}, "
            f"{check.first_broken.action})"
            if check.first_broken is not None
            else f"après l'entrée vérifiée n° {check.checked}"
        )
        raise CommandError(f"Journal rompu : {where} — {check.reason}.")
