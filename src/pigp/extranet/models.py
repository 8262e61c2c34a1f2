"""The Extranet's own data: a user's alert subscriptions and the alerts delivered to him, and
his exports produced in the background."""

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


class ListeExport(models.TextChoices):
    """The lists that export; each value is also the prefix of its export URLs' names."""

    PAIEMENTS = "paiements", "État des paiements"
    RECOUVREMENT = "recouvrement", "Recouvrement"
    RESTES = "restes", "Restes à recouvrer"
    TRESORERIE = "tresorerie", "Mouvements de trésorerie"
    BALANCE = "balance", "Balance des comptes"


class FormatExport(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class EtatExport(models.TextChoices):
    EN_ATTENTE = "en_attente", "En attente"
    EN_COURS = "en_cours", "En cours"
    PRET = "pret", "Prêt"
    ECHEC = "echec", "En échec"
    EXPIRE = "expire", "Expiré"


class ExportDemande(models.Model):
    """One user's export of one list, too large to be served at once: the worker writes it.

    `query` is the list's query string as the user had it (filters and sort): the task rebuilds
    the table from it through the list's own code, with the user's rights checked again. A run
    holds the request until `lease_until` (extended at each chunk written); past it the worker's
    sweep hands the request to a new run, which rewrites the file from scratch. `tentatives`
    numbers the runs: a run whose number is no longer the request's has been replaced and
    writes nothing more."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports_extranet"
    )
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    page = models.CharField("liste", max_length=20, choices=ListeExport.choices)
    format = models.CharField("format", max_length=4, choices=FormatExport.choices)
    query = models.TextField("filtres et tri", blank=True)
    etat = models.CharField(
        "état", max_length=12, choices=EtatExport.choices, default=EtatExport.EN_ATTENTE
    )
    rows_total = models.PositiveBigIntegerField("lignes", default=0)
    rows_done = models.PositiveBigIntegerField("lignes écrites", default=0)
    fichier = models.ForeignKey(
        "core.StoredFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField("nom du fichier", max_length=200, blank=True)
    erreur = models.TextField("motif de l'échec", blank=True)
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    lease_until = models.DateTimeField("réservé jusqu'au", null=True, blank=True)
    created_at = models.DateTimeField("demandé le", default=timezone.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    downloaded_at = models.DateTimeField("téléchargé le", null=True, blank=True)

    class Meta:
        verbose_name = "export de l'Extranet"
        verbose_name_plural = "exports de l'Extranet"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "collectivite", "-created_at"]),
            models.Index(fields=["etat", "lease_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_page_display()} ({self.format}) — {self.get_etat_display()}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.etat == EtatExport.PRET else 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def running(self) -> bool:
        return self.etat in (EtatExport.EN_ATTENTE, EtatExport.EN_COURS)


class BalanceCalculee(models.Model):
    """The balance's movements by account of one exercice, as last computed, with the version of
    the ledger they were computed from (the latest `modifie_le` of the exercice's pièces).
    Read instead of recomputing while the version holds: exact, since every write that moves
    the balance moves that date (`helios.models.Piece.modifie_le`)."""

    exercice = models.OneToOneField(
        "helios.Exercice", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    version = models.CharField("version du grand livre", max_length=40)
    mouvements = models.JSONField("mouvements par compte")
    calculee_le = models.DateTimeField("calculée le", auto_now=True)

    class Meta:
        verbose_name = "balance calculée"
        verbose_name_plural = "balances calculées"

    def __str__(self) -> str:
        return f"Balance de l'exercice {self.exercice_id} ({self.version})"
