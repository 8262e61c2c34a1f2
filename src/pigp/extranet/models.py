"""The Extranet's own data: a user's alert subscriptions and the alerts delivered to him."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# « Titre en retard »: still due this many days after its due date (its prise en charge when the
# flow gave none), unless the subscription says otherwise.
DELAI_RETARD_DEFAUT = 30


class KindAlerte(models.TextChoices):
    MANDAT_REJETE = "mandat_rejete", "Mandat rejeté"
    MANDAT_PAYE = "mandat_paye", "Mandat payé à partir d'un montant"
    TITRE_EN_RETARD = "titre_en_retard", "Titre en retard de recouvrement"


class Abonnement(models.Model):
    """A user's subscription to one kind of alert about one collectivité."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="abonnements_extranet"
    )
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("alerte", max_length=20, choices=KindAlerte.choices)
    seuil = models.DecimalField(
        "montant minimal (€)", max_digits=16, decimal_places=2, null=True, blank=True
    )
    delai_jours = models.PositiveSmallIntegerField(
        "retard (jours après l'échéance)", null=True, blank=True
    )
    # Events are looked for from this moment: a new subscription does not replay history.
    cree_le = models.DateTimeField("abonné le", default=timezone.now)

    class Meta:
        verbose_name = "abonnement à une alerte"
        ordering = ["collectivite_id", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivite", "kind"], name="abonnement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user_id}, {self.collectivite_id})"


class Alerte(models.Model):
    """One event found for one subscription; `envoyee_le` once its digest e-mail is on its way.

    The uniqueness constraint makes detection idempotent: a retried digest, or two workers at
    once, find the same event again and insert nothing."""

    abonnement = models.ForeignKey(Abonnement, on_delete=models.CASCADE, related_name="alertes")
    piece = models.ForeignKey("helios.Piece", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("alerte", max_length=20, choices=KindAlerte.choices)
    detectee_le = models.DateTimeField("détectée le", default=timezone.now)
    envoyee_le = models.DateTimeField("envoyée le", null=True, blank=True)

    class Meta:
        verbose_name = "alerte"
        ordering = ["-detectee_le", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["abonnement", "piece", "kind"], name="alerte_unique_par_evenement"
            )
        ]
        indexes = [models.Index(fields=["abonnement", "envoyee_le"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : pièce {self.piece_id}"


class DigestRun(models.Model):
    """The day's digest was enqueued: one per day, whichever worker's sweep comes first."""

    jour = models.DateField("jour", unique=True)
    lance_le = models.DateTimeField("lancé le", default=timezone.now)

    class Meta:
        verbose_name = "récapitulatif quotidien des alertes"

    def __str__(self) -> str:
        return f"Alertes du {self.jour:%d/%m/%Y}"
