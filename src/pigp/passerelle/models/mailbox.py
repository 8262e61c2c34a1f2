"""The collectivité's mailbox: acknowledgements and returns waiting to be picked up."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pigp.passerelle.models.flux import KindFlux


class MailboxItem(models.Model):
    collectivite = models.ForeignKey(
        "core.Collectivite",
        on_delete=models.PROTECT,
        related_name="mailbox",
        verbose_name="collectivité",
    )
    kind = models.CharField("type", max_length=20, choices=KindFlux.choices)
    name = models.CharField("nom", max_length=255)
    fichier = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    related_flux = models.ForeignKey(
        "passerelle.Flux",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailbox_items",
    )
    created_at = models.DateTimeField("arrivé le", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("lu le", null=True, blank=True)
    read_by = models.CharField("lu par", max_length=254, blank=True)
    notified_at = models.DateTimeField("notifié le", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "passerelle.Flux",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acknowledges",
        verbose_name="acquitté par",
    )

    class Meta:
        verbose_name = "fichier de la boîte aux lettres"
        verbose_name_plural = "boîte aux lettres"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "name"], name="mailbox_nom_unique")
        ]
        indexes = [models.Index(fields=["collectivite", "read_at"])]

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passerelle_notifications"
    )
    acquittements = models.BooleanField("m'écrire quand un acquittement arrive", default=True)
    retours = models.BooleanField("m'écrire quand un retour arrive", default=True)

    class Meta:
        verbose_name = "préférence de notification"

    def __str__(self) -> str:
        return f"Notifications de {self.user}"
