"""Flows received and sent by the gateway, their history and their findings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class KindFlux(models.TextChoices):
    PES_ALLER = "pes_aller", "PES_Aller"
    PES_ACQUIT = "pes_acquit", "PES_ACQUIT"
    PES_RETOUR = "pes_retour", "PES_Retour"
    PES_ACQUIT_RETOUR = "pes_acquit_retour", "PES_ACQUIT_RETOUR"
    PAIN_001 = "pain001", "Virements SEPA (pain.001)"
    PAIN_008 = "pain008", "Prélèvements SEPA (pain.008)"
    INCONNU = "inconnu", "Inconnu"
    # Not a deposit: the text report of a refused deposit that has no PES acknowledgement.
    RAPPORT_REFUS = "rapport_refus", "Rapport de refus"
    # Not a flow either: ORC's monthly recapitulative attestation d'archivage (a PDF).
    ATTESTATION_ORC = "attestation_orc", "Attestation d'archivage (ORC)"


class Direction(models.TextChoices):
    ALLER = "aller", "Aller (vers le comptable)"
    RETOUR = "retour", "Retour (vers la collectivité)"


class Canal(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    SFTP = "sftp", "SFTP"
    INTERNE = "interne", "Interne"


class StatutFlux(models.TextChoices):
    POSTE = "poste", "Posté"
    EN_COURS = "en_cours", "En cours de contrôle"
    REFUSE = "refuse", "Refusé"
    TRANSMIS = "transmis", "Transmis au comptable"
    ACQUITTE = "acquitte", "Acquittement reçu"
    INFORMATION = "information", "Information disponible"
    ERREUR = "erreur", "Erreur technique"
    ANNULE = "annule", "Annulé"


class IntegrationFlux(models.TextChoices):
    """Where an acknowledged PES_Aller stands in the comptable's ledger (Hélios)."""

    EN_ATTENTE = "en_attente", "En attente d'intégration"
    INTEGREE = "integree", "Intégrée"
    ECHEC = "echec", "Intégration en échec"


# Kinds of file the comptable emits: a collectivité never sends one to him.
COMPTABLE_KINDS = {KindFlux.PES_ACQUIT, KindFlux.PES_RETOUR}

# Statuses from which the pipeline may (re)start its work.
PROCESSABLE = {StatutFlux.POSTE, StatutFlux.ERREUR}
FINAL = {StatutFlux.REFUSE, StatutFlux.ACQUITTE, StatutFlux.INFORMATION, StatutFlux.ANNULE}


class Flux(models.Model):
    intake_id = models.UUIDField(
        "identifiant de dépôt", default=uuid.uuid4, unique=True, editable=False
    )
    collectivite = models.ForeignKey(
        "core.Collectivite",
        on_delete=models.PROTECT,
        related_name="flux",
        verbose_name="collectivité",
    )
    budget = models.ForeignKey(
        "core.Budget", on_delete=models.PROTECT, null=True, blank=True, related_name="flux"
    )
    kind = models.CharField(
        "type", max_length=20, choices=KindFlux.choices, default=KindFlux.INCONNU
    )
    direction = models.CharField(
        "sens", max_length=10, choices=Direction.choices, default=Direction.ALLER
    )
    canal = models.CharField("canal", max_length=10, choices=Canal.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flux_deposes",
        verbose_name="déposé par",
    )
    sender_account = models.ForeignKey(
        "passerelle.ServiceAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flux_deposes",
        verbose_name="compte de service",
    )
    original_name = models.CharField("nom du fichier", max_length=255)
    nom_fic = models.CharField("NomFic", max_length=100, blank=True, db_index=True)
    fichier = models.ForeignKey(
        "core.StoredFile", on_delete=models.PROTECT, related_name="flux", verbose_name="fichier"
    )
    schema_version = models.CharField("version de schéma appliquée", max_length=20, blank=True)
    statut = models.CharField(
        "statut", max_length=20, choices=StatutFlux.choices, default=StatutFlux.POSTE
    )
    acquit_total = models.BooleanField("accepté en totalité", null=True, blank=True)
    message = models.TextField("dernier message", blank=True)
    acquit = models.ForeignKey(
        "core.StoredFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    related = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suites",
        verbose_name="flux lié",
    )
    summary = models.JSONField("résumé", default=dict, blank=True)
    attempts = models.PositiveIntegerField("tentatives", default=0)
    lease_until = models.DateTimeField("réservé jusqu'au", null=True, blank=True)
    # The hand-off to the ledger (see `passerelle.integration`): set pending in the transaction
    # that records the acknowledgement, marked done by Hélios with its last ledger write.
    integration = models.CharField(
        "intégration", max_length=12, choices=IntegrationFlux.choices, blank=True, default=""
    )
    integration_attempts = models.PositiveIntegerField("tentatives d'intégration", default=0)
    integration_error = models.TextField("dernière erreur d'intégration", blank=True)
    integration_due_at = models.DateTimeField(
        "intégration à relancer après le", null=True, blank=True
    )
    integration_lease_until = models.DateTimeField(
        "intégration réservée jusqu'au", null=True, blank=True
    )
    integrated_at = models.DateTimeField("intégré le", null=True, blank=True)
    created_at = models.DateTimeField("déposé le", auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField("statut depuis le", auto_now_add=True)

    class Meta:
        verbose_name = "flux"
        verbose_name_plural = "flux"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "fichier", "direction"], name="flux_unique_par_contenu"
            )
        ]
        indexes = [
            models.Index(fields=["collectivite", "-created_at", "-id"]),
            models.Index(fields=["statut", "status_changed_at"]),
            models.Index(fields=["collectivite", "kind"]),
            models.Index(fields=["integration", "integration_due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def sens(self) -> str:
        """Which way the file goes, as a user reads it on the flow's page."""
        if self.direction == Direction.ALLER and self.kind in COMPTABLE_KINDS:
            # Deposited, but a file of this kind is the comptable's: it went nowhere.
            return "déposé sur la passerelle (ce type de fichier est émis par le comptable)"
        return self.get_direction_display().lower()


class FluxEvent(models.Model):
    flux = models.ForeignKey(Flux, on_delete=models.CASCADE, related_name="events")
    statut = models.CharField("statut", max_length=20, choices=StatutFlux.choices)
    at = models.DateTimeField("date", auto_now_add=True)
    message = models.TextField("message", blank=True)
    actor = models.CharField("acteur", max_length=254, blank=True)

    class Meta:
        verbose_name = "événement de flux"
        verbose_name_plural = "historique des flux"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_statut_display()}"


class FluxFinding(models.Model):
    """One finding of the validation of a flow, kept for display and for the acknowledgement."""

    flux = models.ForeignKey(Flux, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField("code", max_length=64)
    severity = models.CharField("gravité", max_length=10)
    scope = models.CharField("portée", max_length=12)
    message = models.TextField("message")
    path = models.CharField("élément", max_length=500, blank=True)
    line = models.PositiveIntegerField("ligne", null=True, blank=True)
    bordereau = models.CharField("bordereau", max_length=40, blank=True)
    piece = models.CharField("pièce", max_length=40, blank=True)
    ligne = models.CharField("ligne de pièce", max_length=40, blank=True)
    pj = models.CharField("PJ", max_length=100, blank=True)

    class Meta:
        verbose_name = "anomalie"
        verbose_name_plural = "anomalies"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.code}: {self.message[:60]}"


class AcceptedBordereau(models.Model):
    """Bordereaux accepted from PES_Aller flows: IdBord is unique per exercice, type and budget."""

    flux = models.ForeignKey(Flux, on_delete=models.CASCADE, related_name="accepted_bordereaux")
    budget = models.ForeignKey("core.Budget", on_delete=models.PROTECT, related_name="+")
    # Dépense and recette bordereaux are numbered separately, with overlapping TypBord codes.
    domaine = models.CharField(max_length=8, default="depense")
    exercice = models.CharField(max_length=4)
    typ_bord = models.CharField(max_length=4)
    id_bord = models.CharField(max_length=20)

    class Meta:
        verbose_name = "bordereau accepté"
        verbose_name_plural = "bordereaux acceptés"
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "domaine", "exercice", "typ_bord", "id_bord"],
                name="bordereau_accepte_unique_par_domaine",
            )
        ]

    def __str__(self) -> str:
        return f"{self.exercice}/{self.typ_bord}/{self.id_bord}"


class ReceivedPj(models.Model):
    """PJ received in accepted flows, by IdUnique, so later flows may refer to them."""

    flux = models.ForeignKey(Flux, on_delete=models.CASCADE, related_name="received_pjs")
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    id_unique = models.CharField(max_length=100)

    class Meta:
        verbose_name = "PJ reçue"
        verbose_name_plural = "PJ reçues"
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "id_unique"], name="pj_recue_unique")
        ]

    def __str__(self) -> str:
        return self.id_unique
