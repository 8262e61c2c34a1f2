"""The comptable's ledger: exercices, bordereaux, pièces (mandats and titres), lines, tiers, PJ."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class Domaine(models.TextChoices):
    DEPENSE = "depense", "Dépense"
    RECETTE = "recette", "Recette"


class Exercice(models.Model):
    budget = models.ForeignKey("core.Budget", on_delete=models.PROTECT, related_name="exercices")
    annee = models.PositiveSmallIntegerField("année")
    cloture = models.BooleanField("clos", default=False)
    closed_at = models.DateTimeField("clos le", null=True, blank=True)
    closed_by = models.CharField("clos par", max_length=254, blank=True)

    class Meta:
        verbose_name = "exercice"
        ordering = ["-annee"]
        constraints = [models.UniqueConstraint(fields=["budget", "annee"], name="exercice_unique")]

    def __str__(self) -> str:
        return f"{self.budget} — {self.annee}"


class VersionExercice(models.Model):
    """The version of an exercice's ledger: a counter Hélios moves, in the transaction of the
    write, each time the exercice's pièces change (reception, state, reste à recouvrer, stage,
    clôture; payments and encaissements with them). Readers key what they compute from the
    ledger on it (`helios.versions`): exact whatever the clocks and however long a
    transaction lasts, since a counter is only seen once the write that moved it commits."""

    exercice = models.OneToOneField(
        Exercice, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    numero = models.BigIntegerField("version", default=0)

    class Meta:
        verbose_name = "version du grand livre"
        verbose_name_plural = "versions du grand livre"

    def __str__(self) -> str:
        return f"{self.exercice_id} v{self.numero}"


class Tiers(models.Model):
    """A creditor (dépense) or debtor (recette) of a collectivité, with bank details."""

    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="tiers"
    )
    cle = models.CharField("clé", max_length=120)  # IdTiers when given, else a digest of identity
    id_tiers = models.CharField("identifiant", max_length=40, blank=True)
    nat_id_tiers = models.CharField("nature de l'identifiant", max_length=2, blank=True)
    categorie = models.CharField("catégorie", max_length=2, blank=True)
    nature_juridique = models.CharField("nature juridique", max_length=2, blank=True)
    civilite = models.CharField("civilité", max_length=32, blank=True)
    nom = models.CharField("nom", max_length=200)
    prenom = models.CharField("prénom", max_length=100, blank=True)
    adresse = models.CharField("adresse", max_length=300, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField("ville", max_length=100, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    titulaire = models.CharField("titulaire du compte", max_length=200, blank=True)

    class Meta:
        verbose_name = "tiers"
        verbose_name_plural = "tiers"
        ordering = ["nom"]
        constraints = [models.UniqueConstraint(fields=["collectivite", "cle"], name="tiers_unique")]
        indexes = [
            models.Index(fields=["collectivite", "nom"]),
            # The Extranet finds a tiers' pièces by its SIRET or its IBAN.
            models.Index(fields=["collectivite", "id_tiers"]),
            models.Index(fields=["collectivite", "iban"]),
        ]

    def __str__(self) -> str:
        return f"{self.nom} {self.prenom}".strip()


class Bordereau(models.Model):
    exercice = models.ForeignKey(Exercice, on_delete=models.PROTECT, related_name="bordereaux")
    flux = models.ForeignKey("passerelle.Flux", on_delete=models.PROTECT, related_name="+")
    domaine = models.CharField("domaine", max_length=8, choices=Domaine.choices)
    id_bord = models.CharField("numéro", max_length=20)
    typ_bord = models.CharField("type", max_length=4, blank=True)
    xml_id = models.CharField("identifiant XML", max_length=100, blank=True)
    date_emission = models.DateField("émis le", null=True, blank=True)
    nbr_pce = models.PositiveIntegerField("nombre de pièces", default=0)
    mt_ht = models.DecimalField("montant HT", max_digits=16, decimal_places=2, default=Decimal("0"))
    mt_tva = models.DecimalField(
        "montant TVA", max_digits=16, decimal_places=2, default=Decimal("0")
    )
    recu_le = models.DateTimeField("reçu le", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "bordereau"
        ordering = ["recu_le", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercice", "domaine", "typ_bord", "id_bord"], name="bordereau_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Bordereau {self.get_domaine_display().lower()} n° {self.id_bord} ({self.exercice.annee})"


class EtatPiece(models.TextChoices):
    RECUE = "recue", "À prendre en charge"
    EN_INSTANCE = "en_instance", "En instance"
    PRISE_EN_CHARGE = "prise_en_charge", "Prise en charge"
    REJETEE = "rejetee", "Rejetée"
    PAYEE = "payee", "Payée"
    PARTIELLE = "partielle", "Recouvrée partiellement"
    SOLDEE = "soldee", "Recouvrée (soldée)"


class StadeRecouvrement(models.TextChoices):
    AMIABLE = "amiable", "Phase amiable"
    RELANCE = "relance", "Relance"
    MISE_EN_DEMEURE = "mise_en_demeure", "Mise en demeure"
    POURSUITES = "poursuites", "Poursuites"


class Piece(models.Model):
    """A mandat (dépense) or titre (recette)."""

    bordereau = models.ForeignKey(Bordereau, on_delete=models.PROTECT, related_name="pieces")
    exercice = models.ForeignKey(Exercice, on_delete=models.PROTECT, related_name="pieces")
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="pieces"
    )
    domaine = models.CharField("domaine", max_length=8, choices=Domaine.choices)
    id_pce = models.CharField("numéro", max_length=20)
    typ_pce = models.CharField("type", max_length=4, blank=True)
    nat_pce = models.CharField("nature", max_length=4, blank=True)
    objet = models.CharField("objet", max_length=500, blank=True)
    tiers = models.ForeignKey(
        Tiers, on_delete=models.PROTECT, null=True, blank=True, related_name="pieces"
    )
    mt_ht = models.DecimalField("montant HT", max_digits=16, decimal_places=2, default=Decimal("0"))
    mt_tva = models.DecimalField(
        "montant TVA", max_digits=16, decimal_places=2, default=Decimal("0")
    )
    mt_ttc = models.DecimalField(
        "montant TTC", max_digits=16, decimal_places=2, default=Decimal("0")
    )
    mode_reglement = models.CharField("mode de règlement", max_length=4, blank=True)
    etat = models.CharField(
        "état", max_length=20, choices=EtatPiece.choices, default=EtatPiece.RECUE
    )
    date_emission = models.DateField("émis le", null=True, blank=True)
    date_reception = models.DateTimeField("reçu le", auto_now_add=True)
    date_echeance = models.DateField("échéance", null=True, blank=True)
    date_prise_en_charge = models.DateField("pris en charge le", null=True, blank=True)
    date_rejet = models.DateField("rejeté le", null=True, blank=True)
    date_instance = models.DateField("mis en instance le", null=True, blank=True)
    date_paiement = models.DateField("payé le", null=True, blank=True)
    # Days from reception in Hélios to payment (the global payment delay), set with the payment
    # by `states.payment_delay`: the Extranet's dashboard aggregates it without date arithmetic.
    delai_paiement = models.PositiveIntegerField("délai de paiement (jours)", null=True, blank=True)
    date_solde = models.DateField("soldé le", null=True, blank=True)
    motif_code = models.CharField("motif (ObsEtat)", max_length=20, blank=True)
    motif_commentaire = models.TextField("commentaire du motif", blank=True)
    # Recette: what is still due, and where recovery stands; SEPA direct-debit mandate.
    reste_a_recouvrer = models.DecimalField(
        "reste à recouvrer", max_digits=16, decimal_places=2, default=Decimal("0")
    )
    stade = models.CharField(
        "stade de recouvrement", max_length=20, choices=StadeRecouvrement.choices, blank=True
    )
    date_stade = models.DateField("stade atteint le", null=True, blank=True)
    rum = models.CharField("RUM (mandat SEPA)", max_length=35, blank=True)
    date_signature_mandat = models.DateField("mandat SEPA signé le", null=True, blank=True)
    sequence_prelevement = models.CharField("séquence de prélèvement", max_length=4, blank=True)
    verrouillee = models.BooleanField("verrouillée (exercice clos)", default=False)
    # Every write a reader may see (state, reste, amounts) moves it, bulk ones included: the
    # Extranet's computed balance is keyed by the latest of an exercice's pièces.
    modifie_le = models.DateTimeField("modifiée le", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "pièce"
        ordering = ["bordereau_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bordereau", "id_pce"], name="piece_unique_par_bordereau"
            )
        ]
        indexes = [
            models.Index(fields=["collectivite", "domaine", "etat"]),
            # The dashboard's count and amount by state read this index only (PostgreSQL).
            models.Index(
                fields=["exercice", "domaine", "etat"],
                include=["mt_ttc"],
                name="helios_piece_exercice_etat",
            ),
            # The latest prise en charge of an exercice (where the comptable worked last).
            models.Index(fields=["exercice", "date_prise_en_charge"]),
            # The latest change of an exercice's pièces (the version of its balance).
            models.Index(fields=["exercice", "modifie_le"]),
            # The titres still to recover, oldest prise en charge first, and their ageing
            # buckets: the recouvrement page reads this index only (PostgreSQL).
            models.Index(
                fields=["collectivite", "date_prise_en_charge"],
                include=["reste_a_recouvrer", "tiers", "exercice", "id"],
                condition=models.Q(
                    domaine="recette",
                    etat__in=["prise_en_charge", "partielle"],
                    reste_a_recouvrer__gt=0,
                ),
                name="helios_piece_a_recouvrer",
            ),
            models.Index(fields=["tiers", "mt_ttc"]),
            # The Extranet's État des paiements: its default order, the search by number and by
            # amount, the payment dates' filter.
            models.Index(fields=["collectivite", "domaine", "date_emission"]),
            models.Index(fields=["collectivite", "domaine", "mt_ttc"]),
            models.Index(fields=["collectivite", "domaine", "date_paiement"]),
            models.Index(fields=["collectivite", "id_pce"]),
            # The dashboard's payment delay: its aggregates and median read this index only.
            models.Index(fields=["exercice", "domaine", "delai_paiement"]),
        ]

    def __str__(self) -> str:
        kind = "Mandat" if self.domaine == Domaine.DEPENSE else "Titre"
        return f"{kind} n° {self.id_pce} (bordereau {self.bordereau.id_bord})"

    @property
    def is_mandat(self) -> bool:
        return self.domaine == Domaine.DEPENSE


class Ligne(models.Model):
    piece = models.ForeignKey(Piece, on_delete=models.CASCADE, related_name="lignes")
    id_ligne = models.CharField("numéro", max_length=20)
    nature = models.CharField("nature", max_length=20, blank=True)
    fonction = models.CharField("fonction", max_length=20, blank=True)
    operation = models.CharField("opération", max_length=20, blank=True)
    libelle = models.CharField("libellé", max_length=300, blank=True)
    mt_ht = models.DecimalField("montant HT", max_digits=16, decimal_places=2, default=Decimal("0"))
    mt_tva = models.DecimalField(
        "montant TVA", max_digits=16, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = "ligne de pièce"
        ordering = ["piece_id", "id"]

    def __str__(self) -> str:
        return f"Ligne {self.id_ligne}"


class PieceJustificative(models.Model):
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="pjs"
    )
    flux = models.ForeignKey("passerelle.Flux", on_delete=models.PROTECT, related_name="+")
    id_unique = models.CharField("identifiant unique", max_length=100)
    nom = models.CharField("nom", max_length=255, blank=True)
    type_pj = models.CharField("type", max_length=4, blank=True)
    mime_type = models.CharField("type de média", max_length=100, blank=True)
    fichier = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, null=True, blank=True)
    erreur = models.CharField("erreur de décodage", max_length=300, blank=True)

    class Meta:
        verbose_name = "pièce justificative"
        verbose_name_plural = "pièces justificatives"
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "id_unique"], name="pj_unique")
        ]

    def __str__(self) -> str:
        return self.nom or self.id_unique


class PjRef(models.Model):
    """A pièce's reference to a PJ (which may have come in another flow)."""

    piece = models.ForeignKey(Piece, on_delete=models.CASCADE, related_name="pj_refs")
    id_unique = models.CharField("identifiant unique", max_length=100, db_index=True)
    nom = models.CharField("nom", max_length=255, blank=True)
    support = models.CharField("support", max_length=2, blank=True)

    class Meta:
        verbose_name = "référence de PJ"

    def __str__(self) -> str:
        return self.id_unique


class FacturePiece(models.Model):
    """An invoice a pièce pays, by the number the ordonnateur gave it (a mandat line's
    ``Facture`` in the PES_Aller). Kept apart from the lines so that one invoice paid over
    several lines is one row, and so that an invoice is found by its number within a
    collectivité (the Extranet's filter; Chorus' invoices may later point here)."""

    piece = models.ForeignKey(Piece, on_delete=models.CASCADE, related_name="factures")
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    numero = models.CharField("n° de facture", max_length=20)

    class Meta:
        verbose_name = "facture de la pièce"
        verbose_name_plural = "factures des pièces"
        ordering = ["piece_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["piece", "numero"], name="facture_unique_par_piece")
        ]
        indexes = [models.Index(fields=["collectivite", "numero"])]

    def __str__(self) -> str:
        return self.numero


class PieceEvent(models.Model):
    """What happened to a pièce, who did it and why."""

    piece = models.ForeignKey(Piece, on_delete=models.CASCADE, related_name="events")
    etat = models.CharField("état", max_length=20, choices=EtatPiece.choices)
    at = models.DateTimeField("date", auto_now_add=True)
    actor = models.CharField("acteur", max_length=254, blank=True)
    message = models.TextField("message", blank=True)

    class Meta:
        verbose_name = "événement de pièce"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_etat_display()}"
