"""Money: payments, recoveries, direct debits, bank statements, treasury, returns."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class CompteTresor(models.Model):
    """The poste's account at the Trésor: debtor of transfers, creditor of direct debits."""

    poste = models.OneToOneField(
        "core.PosteComptable", on_delete=models.PROTECT, related_name="compte_tresor"
    )
    titulaire = models.CharField("titulaire", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    ics = models.CharField("identifiant créancier SEPA (ICS)", max_length=35, blank=True)

    class Meta:
        verbose_name = "compte au Trésor"
        verbose_name_plural = "comptes au Trésor"

    def __str__(self) -> str:
        return f"{self.titulaire} ({self.iban[:4]}…{self.iban[-4:]})"


class PaymentRun(models.Model):
    """A payment run: the mandats paid on one date, and the pain.001 that pays them."""

    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    date_execution = models.DateField("date d'exécution")
    version = models.CharField("version SEPA", max_length=20)
    fichier = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, null=True, blank=True)
    nombre = models.PositiveIntegerField("nombre de paiements", default=0)
    total = models.DecimalField("total", max_digits=16, decimal_places=2, default=Decimal("0"))
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    cree_par = models.CharField("créé par", max_length=254, blank=True)
    # What the pain.001 carried, for the bank statement that books it (see CamtDebit).
    msg_id = models.CharField("identifiant du message (MsgId)", max_length=35, blank=True)
    pmt_inf_id = models.CharField("identifiant du lot (PmtInfId)", max_length=35, blank=True)
    # Payments seen debited on the Trésor account, and the latest day one was.
    debites = models.PositiveIntegerField("paiements débités", default=0)
    debite_le = models.DateField("dernier débit constaté", null=True, blank=True)

    class Meta:
        verbose_name = "campagne de paiement"
        ordering = ["-cree_le"]
        indexes = [
            models.Index(fields=["collectivite", "pmt_inf_id"]),
            models.Index(fields=["collectivite", "msg_id"]),
        ]

    def __str__(self) -> str:
        return f"Paiements du {self.date_execution:%d/%m/%Y} ({self.nombre})"


class Paiement(models.Model):
    piece = models.ForeignKey("helios.Piece", on_delete=models.PROTECT, related_name="paiements")
    run = models.ForeignKey(
        PaymentRun, on_delete=models.PROTECT, null=True, blank=True, related_name="paiements"
    )
    date = models.DateField("date de paiement")
    montant = models.DecimalField("montant", max_digits=16, decimal_places=2)
    reference = models.CharField("référence (EndToEndId)", max_length=35)
    iban = models.CharField("IBAN du créancier", max_length=34, blank=True)
    cree_le = models.DateTimeField(auto_now_add=True, db_index=True)
    # The statement line on which the bank booked it (see CamtDebit), and its date.
    debit = models.ForeignKey(
        "helios.CamtDebit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paiements",
    )
    debite_le = models.DateField("débité le", null=True, blank=True)

    class Meta:
        verbose_name = "paiement"
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="paiement_reference_unique")
        ]
        indexes = [models.Index(fields=["date", "montant"])]

    def __str__(self) -> str:
        return f"{self.montant} € le {self.date:%d/%m/%Y}"


class PrelevementRun(models.Model):
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    date_echeance = models.DateField("date d'échéance")
    version = models.CharField("version SEPA", max_length=20)
    fichier = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, null=True, blank=True)
    nombre = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    regle = models.BooleanField("réglé", default=False)
    cree_le = models.DateTimeField(auto_now_add=True)
    cree_par = models.CharField(max_length=254, blank=True)

    class Meta:
        verbose_name = "campagne de prélèvement"
        ordering = ["-cree_le"]

    def __str__(self) -> str:
        return f"Prélèvements du {self.date_echeance:%d/%m/%Y} ({self.nombre})"


class CamtImport(models.Model):
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    fichier = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT)
    nom = models.CharField(max_length=255)
    message = models.CharField("type de relevé", max_length=20)
    releve = models.CharField("identifiant du relevé", max_length=35, blank=True)  # Stmt/Id
    lignes = models.PositiveIntegerField(default=0)  # credit lines
    rapprochees = models.PositiveIntegerField(default=0)
    debits = models.PositiveIntegerField("lignes au débit", default=0)
    debits_rapproches = models.PositiveIntegerField("lignes au débit rapprochées", default=0)
    cree_le = models.DateTimeField(auto_now_add=True)
    cree_par = models.CharField(max_length=254, blank=True)

    class Meta:
        verbose_name = "import de relevé bancaire"
        ordering = ["-cree_le"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "fichier"], name="camt_import_unique")
        ]

    def __str__(self) -> str:
        return self.nom


class CamtLine(models.Model):
    """A credit line of a statement; matched to a titre, waiting for manual matching, or the
    repeat of a credit already seen on another statement (`DEJA`, see `statement_seen`)."""

    class Methode(models.TextChoices):
        REFERENCE = "reference", "Référence du titre"
        MONTANT = "montant", "Montant et nom du débiteur"
        PRELEVEMENT = "prelevement", "Prélèvement SEPA (EndToEndId)"
        MANUEL = "manuel", "À la main"
        DEJA = "deja", "Crédit déjà constaté"

    camt = models.ForeignKey(CamtImport, on_delete=models.CASCADE, related_name="entries")
    montant = models.DecimalField(max_digits=16, decimal_places=2)
    date = models.DateField()
    reference = models.CharField(max_length=140, blank=True)
    debiteur = models.CharField(max_length=140, blank=True)
    iban_debiteur = models.CharField(max_length=34, blank=True)
    libelle = models.CharField(max_length=300, blank=True)
    piece = models.ForeignKey(
        "helios.Piece", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    methode = models.CharField("rapprochement", max_length=20, choices=Methode.choices, blank=True)
    # What identifies the bank movement across files (camt.054 then camt.053).
    compte = models.CharField("compte du relevé", max_length=34, blank=True)
    reference_banque = models.CharField("référence de la banque", max_length=35, blank=True)
    bout_en_bout = models.CharField("référence de bout en bout", max_length=35, blank=True)
    explication = models.CharField("explication", max_length=500, blank=True)

    class Meta:
        verbose_name = "ligne de relevé"
        indexes = [
            models.Index(fields=["camt", "piece"]),
            models.Index(fields=["reference_banque"]),
            models.Index(fields=["bout_en_bout"]),
        ]

    def __str__(self) -> str:
        return f"{self.montant} € {self.reference}"


class CamtDebit(models.Model):
    """A debit line of a statement: the bank's booking of a payment run (one batch) or of
    payments. Reconciled when the payments matched with it add up to its amount (or when it
    repeats a debit already seen); otherwise it waits for the comptable, `explication` saying
    why in French."""

    class Methode(models.TextChoices):
        LOT = "lot", "Référence du lot (PmtInfId ou MsgId)"
        REFERENCE = "reference", "Référence de bout en bout (EndToEndId)"
        MONTANT = "montant", "Montant et date"
        MANUEL = "manuel", "À la main"
        DEJA = "deja", "Débit déjà constaté"

    camt = models.ForeignKey(CamtImport, on_delete=models.CASCADE, related_name="debit_lines")
    montant = models.DecimalField("montant", max_digits=16, decimal_places=2)
    date = models.DateField("date de comptabilisation")
    reference = models.CharField("référence", max_length=140, blank=True)
    reference_banque = models.CharField("référence de la banque", max_length=35, blank=True)
    compte = models.CharField("compte du relevé", max_length=34, blank=True)
    bout_en_bout = models.CharField("référence de bout en bout", max_length=35, blank=True)
    creancier = models.CharField("bénéficiaire", max_length=140, blank=True)
    iban_creancier = models.CharField("IBAN du bénéficiaire", max_length=34, blank=True)
    libelle = models.CharField("libellé", max_length=300, blank=True)
    operations = models.PositiveIntegerField("opérations détaillées", default=0)
    run = models.ForeignKey(
        PaymentRun, on_delete=models.PROTECT, null=True, blank=True, related_name="debit_lines"
    )
    montant_rapproche = models.DecimalField(
        "montant rapproché", max_digits=16, decimal_places=2, default=Decimal("0")
    )
    methode = models.CharField("rapprochement", max_length=20, choices=Methode.choices, blank=True)
    rapprochee = models.BooleanField("rapprochée", default=False)
    explication = models.CharField("explication", max_length=500, blank=True)

    class Meta:
        verbose_name = "ligne de relevé au débit"
        verbose_name_plural = "lignes de relevé au débit"
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["camt", "rapprochee"]),
            models.Index(fields=["reference_banque"]),
            models.Index(fields=["bout_en_bout"]),
        ]

    def __str__(self) -> str:
        return f"Débit de {self.montant} € le {self.date:%d/%m/%Y}"

    @property
    def reste(self) -> Decimal:
        return self.montant - self.montant_rapproche


class Encaissement(models.Model):
    class Source(models.TextChoices):
        MANUEL = "manuel", "Saisie manuelle"
        RELEVE = "releve", "Relevé bancaire"
        PRELEVEMENT = "prelevement", "Prélèvement SEPA"

    piece = models.ForeignKey(
        "helios.Piece", on_delete=models.PROTECT, related_name="encaissements"
    )
    date = models.DateField("date")
    montant = models.DecimalField("montant", max_digits=16, decimal_places=2)
    source = models.CharField(max_length=20, choices=Source.choices)
    reference = models.CharField(max_length=140, blank=True)
    camt_line = models.OneToOneField(
        CamtLine, on_delete=models.PROTECT, null=True, blank=True, related_name="encaissement"
    )
    prelevement = models.ForeignKey(
        PrelevementRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encaissements",
    )
    cree_le = models.DateTimeField(auto_now_add=True, db_index=True)
    cree_par = models.CharField(max_length=254, blank=True)

    class Meta:
        verbose_name = "encaissement"

    def __str__(self) -> str:
        return f"{self.montant} € le {self.date:%d/%m/%Y}"


class SoldeOuverture(models.Model):
    exercice = models.OneToOneField(
        "helios.Exercice", on_delete=models.PROTECT, related_name="solde_ouverture"
    )
    montant = models.DecimalField(max_digits=16, decimal_places=2)
    date = models.DateField()

    class Meta:
        verbose_name = "solde d'ouverture"

    def __str__(self) -> str:
        return f"{self.montant} € au {self.date:%d/%m/%Y}"


class MouvementTresorerie(models.Model):
    """One movement of the Trésor account (compte 515): negative for payments."""

    # Label prefixes: the payment's EndToEndId, the titre's number follow.
    LIBELLE_PAIEMENT = "Paiement "
    LIBELLE_ENCAISSEMENT = "Encaissement titre "

    budget = models.ForeignKey("core.Budget", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(db_index=True)
    montant = models.DecimalField(max_digits=16, decimal_places=2)
    libelle = models.CharField(max_length=200)
    paiement = models.OneToOneField(Paiement, on_delete=models.PROTECT, null=True, blank=True)
    encaissement = models.OneToOneField(
        Encaissement, on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = "mouvement de trésorerie"
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["budget", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.montant} €"


class RetourEmis(models.Model):
    """A PES_Retour sent to the collectivité's mailbox."""

    budget = models.ForeignKey("core.Budget", on_delete=models.PROTECT, related_name="+")
    domaine = models.CharField(max_length=8)
    nom = models.CharField(max_length=120, unique=True)
    mailbox_item = models.ForeignKey("passerelle.MailboxItem", on_delete=models.PROTECT)
    depuis = models.DateTimeField("changements depuis")
    jusqua = models.DateTimeField("changements jusqu'au")
    pieces = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "PES_Retour émis"
        verbose_name_plural = "PES_Retour émis"
        ordering = ["-jusqua"]

    def __str__(self) -> str:
        return self.nom
