"""An invoice received through Chorus Pro, its history, and the receipt of each deposit."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class StatutFacture(models.TextChoices):
    """The codes of `CPPStatutPivot` (Chorus Pro's status flow)."""

    DEPOSEE = "01", "Déposée"
    EN_COURS_ACHEMINEMENT = "02", "En cours d'acheminement"
    MISE_A_DISPOSITION = "03", "Mise à disposition"
    A_RECYCLER = "04", "À recycler"
    REJETEE = "05", "Rejetée"
    SUSPENDUE = "06", "Suspendue"
    SERVICE_FAIT = "07", "Service fait"
    MANDATEE = "08", "Mandatée"
    MISE_A_DISPOSITION_COMPTABLE = "09", "Mise à disposition comptable"
    COMPTABILISEE = "10", "Comptabilisée"
    MISE_EN_PAIEMENT = "11", "Mise en paiement"
    COMPLETEE = "12", "Complétée"


class KindFacture(models.TextChoices):
    FACTURE = "facture", "Facture"
    AVOIR = "avoir", "Avoir"


class FormatFacture(models.TextChoices):
    UBL = "ubl", "UBL 2.1"
    CII = "cii", "UN/CEFACT CII"
    FACTURX = "facturx", "Factur-X"
    PDF = "pdf", "PDF simple"


class IssueDepot(models.TextChoices):
    ACCEPTEE = "acceptee", "Acceptée"
    A_RECYCLER = "a_recycler", "À recycler"
    REFUSEE = "refusee", "Refusée"


# The global payment delay (délai global de paiement) of public buyers, from reception.
DELAI_GLOBAL = datetime.timedelta(days=30)
# The clock does not run on these: rejected (nothing to pay), suspended (paused), paid.
CLOCK_STOPPED = frozenset({StatutFacture.REJETEE, StatutFacture.MISE_EN_PAIEMENT})
CLOCK_PAUSED = frozenset({StatutFacture.SUSPENDUE})
# Before 03 the invoice has not reached the recipient; 04 is the supplier's to correct.
NOT_RECEIVED = frozenset(
    {StatutFacture.DEPOSEE, StatutFacture.EN_COURS_ACHEMINEMENT, StatutFacture.A_RECYCLER}
)


def _amount(label: str, *, null: bool = False) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=16, decimal_places=2, null=null, blank=null, default=None if null else 0
    )


class Facture(models.Model):
    collectivite = models.ForeignKey(
        "core.Collectivite",
        on_delete=models.PROTECT,
        related_name="factures_chorus",
        null=True,
        blank=True,
        help_text="Destinataire, trouvé par le SIRET de l'acheteur (vide tant qu'il est inconnu).",
    )
    service = models.ForeignKey(
        "chorus.ServiceDestinataire",
        on_delete=models.PROTECT,
        related_name="factures",
        null=True,
        blank=True,
    )
    fournisseur = models.ForeignKey(
        "chorus.Fournisseur", on_delete=models.PROTECT, related_name="factures"
    )
    numero = models.CharField("numéro", max_length=100)
    kind = models.CharField(
        "type", max_length=10, choices=KindFacture.choices, default=KindFacture.FACTURE
    )
    date_emission = models.DateField("émise le")
    annee_emission = models.PositiveSmallIntegerField("année d'émission", editable=False)
    date_echeance = models.DateField("échéance", null=True, blank=True)
    date_reception = models.DateTimeField("reçue le", default=timezone.now)
    devise = models.CharField("devise", max_length=3, default="EUR")
    montant_ht = _amount("montant HT")
    montant_tva = _amount("montant TVA")
    montant_ttc = _amount("montant TTC")
    montant_a_payer = _amount("montant à payer")
    siret_acheteur = models.CharField("SIRET de l'acheteur", max_length=14, blank=True)
    numero_engagement = models.CharField("numéro d'engagement", max_length=100, blank=True)
    code_service = models.CharField("code service", max_length=100, blank=True)
    numero_marche = models.CharField("numéro de marché", max_length=100, blank=True)
    format = models.CharField("format", max_length=10, choices=FormatFacture.choices)
    profil = models.CharField("profil", max_length=30, blank=True)
    original = models.ForeignKey(
        "core.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name="original"
    )
    pdf = models.ForeignKey(
        "core.StoredFile",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="PDF",
    )
    statut = models.CharField(
        "statut", max_length=2, choices=StatutFacture.choices, default=StatutFacture.DEPOSEE
    )
    statut_le = models.DateTimeField("statut depuis le", default=timezone.now)
    motif = models.TextField("motif du statut", blank=True)
    # Time spent suspended (06): the delay clock does not run then.
    delai_suspendu = models.DurationField("durée de suspension", default=datetime.timedelta)
    rapport = models.JSONField("rapport de validation", default=list, blank=True)
    lignes = models.JSONField("lignes", default=list, blank=True)
    numero_mandat = models.CharField("numéro de mandat", max_length=40, blank=True)
    # SET_NULL: Hélios sits below chorus and must never be held back by it; the mandat's
    # number stays on the invoice.
    mandat = models.ForeignKey(
        "helios.Piece",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="factures_chorus",
    )
    date_paiement = models.DateField("payée le", null=True, blank=True)
    reference_paiement = models.CharField("référence du virement", max_length=35, blank=True)

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        constraints = [
            models.UniqueConstraint(
                fields=["fournisseur", "numero", "annee_emission"],
                name="chorus_facture_unique_par_annee",
            ),
            models.CheckConstraint(condition=~Q(numero=""), name="chorus_facture_numero_non_vide"),
        ]
        indexes = [
            models.Index(fields=["collectivite", "statut", "date_reception"]),
            models.Index(fields=["collectivite", "date_reception"]),
            models.Index(fields=["collectivite", "fournisseur"]),
            models.Index(fields=["collectivite", "date_emission"]),
            models.Index(fields=["collectivite", "montant_ttc"]),
            models.Index(fields=["fournisseur", "date_reception"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.numero}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.annee_emission = self.date_emission.year
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    # The global payment delay clock.

    @property
    def clock_running(self) -> bool:
        return self.statut not in CLOCK_STOPPED and self.statut not in CLOCK_PAUSED

    def delai_ecoule(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        """Time counted against the 30 days: from reception to now, or to the status that
        stopped or paused the clock, less the time spent suspended."""
        end = self.statut_le if not self.clock_running else (now or timezone.now())
        return max(end - self.date_reception - self.delai_suspendu, datetime.timedelta())

    def jours_ecoules(self, now: datetime.datetime | None = None) -> int:
        return self.delai_ecoule(now).days

    def jours_restants(self, now: datetime.datetime | None = None) -> int:
        return DELAI_GLOBAL.days - self.jours_ecoules(now)

    def en_retard(self, now: datetime.datetime | None = None) -> bool:
        if self.statut in NOT_RECEIVED or self.statut == StatutFacture.REJETEE:
            return False
        return self.delai_ecoule(now) > DELAI_GLOBAL

    @property
    def montant_signe(self) -> Decimal:
        return -self.montant_ttc if self.kind == KindFacture.AVOIR else self.montant_ttc


class FactureEvent(models.Model):
    """One step of an invoice's history: the status it entered, when, by whom, why."""

    facture = models.ForeignKey(Facture, on_delete=models.CASCADE, related_name="events")
    statut = models.CharField("statut", max_length=2, choices=StatutFacture.choices)
    at = models.DateTimeField("le", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField("par", max_length=200, blank=True)
    motif = models.TextField("motif", blank=True)

    class Meta:
        verbose_name = "événement de facture"
        verbose_name_plural = "historique des factures"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.facture} : {self.get_statut_display()}"


class Depot(models.Model):
    """The compte rendu de dépôt: each check run on a deposited file and its outcome. The
    file is kept even when refused: nothing deposited is lost."""

    fournisseur = models.ForeignKey(
        "chorus.Fournisseur", on_delete=models.PROTECT, related_name="depots"
    )
    deposant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    nom_fichier = models.CharField("nom du fichier", max_length=255)
    recu_le = models.DateTimeField("reçu le", default=timezone.now)
    issue = models.CharField("issue", max_length=12, choices=IssueDepot.choices)
    # [{"controle": …, "resultat": "ok" | "avertissement" | "erreur", "message": …}]
    controles = models.JSONField("contrôles", default=list)
    rapport = models.JSONField("constats de validation", default=list, blank=True)
    facture = models.ForeignKey(
        Facture, on_delete=models.SET_NULL, null=True, blank=True, related_name="depots"
    )
    fichier = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "dépôt de facture"
        verbose_name_plural = "dépôts de factures"
        ordering = ["-recu_le", "-pk"]
        indexes = [models.Index(fields=["fournisseur", "recu_le"])]

    def __str__(self) -> str:
        return f"Dépôt de {self.nom_fichier} ({self.get_issue_display()})"
