from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Affiche le code de double authentification courant d'un compte de démonstration."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: object, email: str, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("Refusé en production.")
        device = TOTPDevice.objects.filter(
            user__email__iexact=email, name="Démonstration", confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"Aucun appareil de démonstration pour {email}.")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:06d}")
