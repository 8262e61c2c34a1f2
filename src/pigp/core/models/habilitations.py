"""Habilitation: a user's access to one application of one collectivité, with a profile."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Application(models.TextChoices):
    EXTRANET = "extranet", "Extranet Hélios"
    PASSERELLE = "passerelle", "Passerelle"
    CHORUS = "chorus", "Chorus Pro"
    ORC = "orc", "ORC (archives)"


class Profil(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    TRANSMISSION = "transmission", "Transmission"
    ADMINISTRATION = "administration", "Administration locale"
    ARCHIVISTE = "archiviste", "Archiviste (ORC)"


class StatutHabilitation(models.TextChoices):
    DEMANDEE = "demandee", "Demandée"
    ACTIVE = "active", "Active"
    REFUSEE = "refusee", "Refusée"
    REVOQUEE = "revoquee", "Révoquée"


# Allowed transitions of the habilitation state machine.
TRANSITIONS: dict[str, set[str]] = {
    StatutHabilitation.DEMANDEE: {StatutHabilitation.ACTIVE, StatutHabilitation.REFUSEE},
    StatutHabilitation.ACTIVE: {StatutHabilitation.REVOQUEE},
    StatutHabilitation.REFUSEE: set(),
    StatutHabilitation.REVOQUEE: set(),
}

# Profiles that may change data (as opposed to only reading it).
WRITE_PROFILES = {Profil.TRANSMISSION, Profil.ADMINISTRATION}


class HabilitationQuerySet(models.QuerySet["Habilitation"]):
    def in_force(self, today: datetime.date | None = None) -> HabilitationQuerySet:
        """Active and not past their end date: what grants access right now."""
        today = today or timezone.localdate()
        return self.filter(statut=StatutHabilitation.ACTIVE).filter(
            Q(date_fin__isnull=True) | Q(date_fin__gte=today)
        )

    def pending(self) -> HabilitationQuerySet:
        return self.filter(statut=StatutHabilitation.DEMANDEE)


class Habilitation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="habilitations",
        verbose_name="utilisateur",
    )
    collectivite = models.ForeignKey(
        "core.Collectivite",
        on_delete=models.PROTECT,
        related_name="habilitations",
        verbose_name="collectivité",
    )
    application = models.CharField("application", max_length=20, choices=Application.choices)
    profil = models.CharField("profil", max_length=20, choices=Profil.choices)
    statut = models.CharField(
        "statut",
        max_length=20,
        choices=StatutHabilitation.choices,
        default=StatutHabilitation.DEMANDEE,
    )
    demandee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="demandée par",
    )
    demandee_le = models.DateTimeField("demandée le", default=timezone.now)
    decidee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="décidée par",
    )
    decidee_le = models.DateTimeField("décidée le", null=True, blank=True)
    motif = models.TextField("motif", blank=True)
    date_fin = models.DateField("date de fin", null=True, blank=True)

    objects = HabilitationQuerySet.as_manager()

    class Meta:
        verbose_name = "habilitation"
        verbose_name_plural = "habilitations"
        ordering = ["-demandee_le"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivite", "application"],
                condition=Q(statut__in=["demandee", "active"]),
                name="habilitation_unique_ouverte",
            )
        ]
        indexes = [
            models.Index(fields=["user", "statut"]),
            models.Index(fields=["collectivite", "statut"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} — {self.collectivite} — {self.get_application_display()} "
            f"({self.get_profil_display()}, {self.get_statut_display()})"
        )

    def can_become(self, statut: str) -> bool:
        return statut in TRANSITIONS[StatutHabilitation(self.statut)]

    def is_in_force(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.statut == StatutHabilitation.ACTIVE and (
            self.date_fin is None or self.date_fin >= today
        )

    @property
    def can_write(self) -> bool:
        return self.profil in WRITE_PROFILES
