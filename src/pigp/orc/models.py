"""The archive silo: objects kept by SHA-512 on several copies, archive units (one per pièce)
with their documents, the service offer (adhesion, attestations), seals of the journal,
retention and elimination, SEDA transfers.

Hélios never imports this app; ORC reads Hélios' rows and listens to its signals.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class ArchiveObject(models.Model):
    """One content, addressed by its SHA-512, kept on every storage of `PIGP_ORC_COPIES`."""

    sha512 = models.CharField("empreinte SHA-512", max_length=128, unique=True)
    size = models.BigIntegerField("taille (octets)")
    media_type = models.CharField("type de média", max_length=100, blank=True)
    created_at = models.DateTimeField("archivé le", auto_now_add=True)
    eliminated_at = models.DateTimeField("éliminé le", null=True, blank=True)

    class Meta:
        verbose_name = "objet archivé"
        verbose_name_plural = "objets archivés"

    def __str__(self) -> str:
        return f"{self.sha512[:16]}… ({self.size} octets)"


class EtatCopie(models.TextChoices):
    SAINE = "saine", "Saine"
    ABSENTE = "absente", "Absente"
    ALTEREE = "alteree", "Altérée"
    DETRUITE = "detruite", "Détruite"


class ObjectCopy(models.Model):
    """A copy of an object on one storage, as last written or audited."""

    obj = models.ForeignKey(ArchiveObject, on_delete=models.CASCADE, related_name="copies")
    storage = models.CharField("stockage", max_length=40)
    etat = models.CharField("état", max_length=10, choices=EtatCopie.choices)
    written_at = models.DateTimeField("écrite le")
    verified_at = models.DateTimeField("vérifiée le", null=True, blank=True)

    class Meta:
        verbose_name = "copie"
        constraints = [
            models.UniqueConstraint(fields=["obj", "storage"], name="orc_copy_once_per_storage")
        ]

    def __str__(self) -> str:
        return f"{self.obj_id} sur {self.storage} ({self.etat})"


class ActionStockage(models.TextChoices):
    ECRITURE = "ecriture", "Écriture relue et vérifiée"
    AUDIT = "audit", "Audit"
    REPARATION = "reparation", "Réparation"
    DESTRUCTION = "destruction", "Destruction"


class StorageLog(models.Model):
    """The storage log: every write, audit, repair and destruction of a copy."""

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    storage = models.CharField("stockage", max_length=40)
    obj = models.ForeignKey(
        ArchiveObject, on_delete=models.PROTECT, related_name="storage_log", null=True
    )
    action = models.CharField("action", max_length=12, choices=ActionStockage.choices)
    ok = models.BooleanField("réussie")
    detail = models.TextField("détail", blank=True)

    class Meta:
        verbose_name = "écriture du registre de stockage"
        verbose_name_plural = "registre de stockage"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.storage}"


class StatutUnite(models.TextChoices):
    OUVERTE = "ouverte", "Exercice en cours"
    CLOSE = "close", "Exercice clos, scellée"
    ELIMINEE = "eliminee", "Éliminée"


class ArchiveUnit(models.Model):
    """The archive of one pièce (mandat or titre): its metadata and documents."""

    piece = models.OneToOneField(
        "helios.Piece", on_delete=models.PROTECT, related_name="archive", null=True, blank=True
    )
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    budget = models.ForeignKey("core.Budget", on_delete=models.PROTECT, related_name="+")
    exercice = models.ForeignKey("helios.Exercice", on_delete=models.PROTECT, related_name="+")
    annee = models.PositiveIntegerField("exercice", db_index=True)
    domaine = models.CharField("domaine", max_length=8)  # helios Domaine: depense / recette
    numero_bordereau = models.CharField("bordereau", max_length=20, blank=True)
    numero = models.CharField("numéro", max_length=20)
    objet = models.CharField("objet", max_length=500, blank=True)
    tiers_nom = models.CharField("tiers", max_length=300, blank=True)
    tiers_siret = models.CharField("SIRET du tiers", max_length=14, blank=True)
    mt_ht = models.DecimalField("montant HT", max_digits=16, decimal_places=2, default=Decimal(0))
    mt_tva = models.DecimalField("TVA", max_digits=16, decimal_places=2, default=Decimal(0))
    mt_ttc = models.DecimalField("montant TTC", max_digits=16, decimal_places=2, default=Decimal(0))
    natures = models.CharField("natures", max_length=200, blank=True)  # space-separated
    fonctions = models.CharField("fonctions", max_length=200, blank=True)  # space-separated
    numeros_factures = models.CharField("n° de factures", max_length=500, blank=True)
    etat = models.CharField("état", max_length=20)  # helios EtatPiece at the last ingest
    date_emission = models.DateField("émis le", null=True, blank=True)
    date_prise_en_charge = models.DateField("pris en charge le", null=True, blank=True)
    date_paiement = models.DateField("payé le", null=True, blank=True)
    metadata = models.JSONField("métadonnées", default=dict, blank=True)  # lines, payments…
    texte = models.TextField("texte indexé", blank=True)  # objet, tiers, PJ text
    statut = models.CharField(
        "statut", max_length=10, choices=StatutUnite.choices, default=StatutUnite.OUVERTE
    )
    archivee_le = models.DateTimeField("archivée le", auto_now_add=True)
    mise_a_jour_le = models.DateTimeField("mise à jour le", auto_now=True)
    scellee_le = models.DateTimeField("scellée le", null=True, blank=True)
    couverte = models.BooleanField("couverte par l'adhésion", default=False)
    dua_fin = models.DateField("fin de la durée d'utilité administrative", null=True, blank=True)
    gel = models.BooleanField("gel (legal hold)", default=False)
    gel_motif = models.CharField("motif du gel", max_length=300, blank=True)
    eliminee_le = models.DateTimeField("éliminée le", null=True, blank=True)

    class Meta:
        verbose_name = "unité d'archive"
        verbose_name_plural = "unités d'archive"
        indexes = [
            models.Index(fields=["collectivite", "annee", "domaine"]),
            models.Index(fields=["tiers_siret"]),
            models.Index(fields=["numero"]),
        ]

    def __str__(self) -> str:
        kind = "Mandat" if self.domaine == "depense" else "Titre"
        return f"{kind} {self.numero} / bordereau {self.numero_bordereau} ({self.annee})"


class RoleDocument(models.TextChoices):
    PJ = "pj", "Pièce justificative"
    FACTURE = "facture", "Facture (Chorus Pro)"
    FLUX = "flux", "Flux PES signé"
    ACQUIT = "acquit", "PES_ACQUIT"
    RETOUR = "retour", "PES_Retour"
    NUMERISE = "numerise", "PJ papier numérisée"


class ArchiveDocument(models.Model):
    """One document of an archive unit, its content an `ArchiveObject`."""

    unit = models.ForeignKey(ArchiveUnit, on_delete=models.CASCADE, related_name="documents")
    obj = models.ForeignKey(ArchiveObject, on_delete=models.PROTECT, related_name="documents")
    role = models.CharField("rôle", max_length=10, choices=RoleDocument.choices)
    nom = models.CharField("nom", max_length=255)
    media_type = models.CharField("type de média", max_length=100, blank=True)
    id_unique = models.CharField("identifiant de la PJ", max_length=100, blank=True)
    recu_le = models.DateTimeField("reçu le", null=True, blank=True)
    texte = models.TextField("texte extrait", blank=True)
    numerisation = models.JSONField("numérisation", default=dict, blank=True)
    archive_le = models.DateTimeField("archivé le", auto_now_add=True)

    class Meta:
        verbose_name = "document archivé"
        verbose_name_plural = "documents archivés"
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "obj", "role"], name="orc_document_once_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.nom}"


class PendingIngest(models.Model):
    """The outbox: a pièce to (re)archive, written in the transaction of the Hélios change
    that calls for it, taken by the worker under a lease, deleted once archived."""

    piece = models.OneToOneField("helios.Piece", on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField("demandé le")
    attempts = models.PositiveIntegerField("tentatives", default=0)
    lease_until = models.DateTimeField("réservé jusqu'au", null=True, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)

    class Meta:
        verbose_name = "archivage en attente"
        verbose_name_plural = "archivages en attente"

    def __str__(self) -> str:
        return f"pièce {self.piece_id}"


class ExerciceArchive(models.Model):
    """An exercice completed and sealed in the archive after its clôture."""

    exercice = models.OneToOneField("helios.Exercice", on_delete=models.PROTECT, related_name="+")
    close_le = models.DateTimeField("scellé le")
    unites = models.PositiveIntegerField("unités")
    empreinte = models.CharField("empreinte du manifeste (SHA-512)", max_length=128)

    class Meta:
        verbose_name = "exercice archivé"
        verbose_name_plural = "exercices archivés"

    def __str__(self) -> str:
        return f"exercice {self.exercice_id} scellé le {self.close_le:%d/%m/%Y}"


class Adhesion(models.Model):
    """The collectivité's adhesion to the early-destruction offer (its convention)."""

    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    signee_le = models.DateField("convention signée le")
    signataire = models.CharField("signataire", max_length=200)
    qualite = models.CharField("qualité du signataire", max_length=200)
    enregistree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    enregistree_le = models.DateTimeField("enregistrée le", auto_now_add=True)
    fin_le = models.DateTimeField("résiliée le", null=True, blank=True)
    convention = models.ForeignKey(
        ArchiveObject,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="convention signée (PDF archivé)",
    )

    class Meta:
        verbose_name = "adhésion"
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=models.Q(fin_le__isnull=True),
                name="orc_one_adhesion_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"adhésion du {self.signee_le:%d/%m/%Y}"


class KindAttestation(models.TextChoices):
    PIECE = "piece", "Attestation d'archivage d'une pièce"
    MENSUELLE = "mensuelle", "Attestation récapitulative mensuelle"


class Attestation(models.Model):
    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("nature", max_length=10, choices=KindAttestation.choices)
    unit = models.ForeignKey(
        ArchiveUnit, on_delete=models.PROTECT, related_name="attestations", null=True, blank=True
    )
    periode = models.DateField("mois", null=True, blank=True)  # first day of the month
    emise_le = models.DateTimeField("émise le", auto_now_add=True)
    contenu = models.JSONField("contenu")
    empreinte = models.CharField("empreinte SHA-512 du contenu", max_length=128)

    class Meta:
        verbose_name = "attestation d'archivage"
        verbose_name_plural = "attestations d'archivage"
        # A unit may get a complementary attestation for documents deposited after its first
        # one (digitised paper PJ): idempotence is per document set (`orc.attestations`).
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "periode"],
                condition=models.Q(kind="mensuelle"),
                name="orc_one_monthly_attestation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.emise_le:%d/%m/%Y})"


class Seal(models.Model):
    """A seal of the journal: its head, count and time, signed with the platform's key."""

    at = models.DateTimeField("scellé le", db_index=True)
    head_hash = models.CharField("empreinte de tête", max_length=64)
    count = models.BigIntegerField("entrées")
    last_entry_id = models.BigIntegerField("dernière entrée")
    key_id = models.CharField("clé (empreinte de la clé publique)", max_length=64)
    signature = models.TextField("signature Ed25519 (base64)")
    tsa_url = models.CharField("autorité d'horodatage", max_length=300, blank=True)
    tsa_token = models.BinaryField("jeton d'horodatage RFC 3161", null=True, blank=True)

    class Meta:
        verbose_name = "scellement du journal"
        verbose_name_plural = "scellements du journal"
        ordering = ["at"]

    def __str__(self) -> str:
        return f"scellement du {self.at:%d/%m/%Y %H:%M} ({self.count} entrées)"


class ActionFinale(models.TextChoices):
    DETRUIRE = "Destroy", "Destruction"
    CONSERVER = "Keep", "Conservation (versement aux archives)"


class RegleConservation(models.Model):
    """A retention rule, as data: the DUA of a kind of document after the end of its exercice."""

    code = models.CharField("code", max_length=40, unique=True)  # e.g. mandat, titre, pj
    libelle = models.CharField("libellé", max_length=200)
    annees = models.PositiveIntegerField("durée d'utilité administrative (années)")
    action_finale = models.CharField(
        "sort final", max_length=10, choices=ActionFinale.choices, default=ActionFinale.DETRUIRE
    )

    class Meta:
        verbose_name = "règle de conservation"
        verbose_name_plural = "règles de conservation"

    def __str__(self) -> str:
        return f"{self.libelle} : {self.annees} ans"


class ServiceArchives(models.Model):
    """A public archives service (archives départementales) and the départements it covers:
    its agents give the visa an elimination needs."""

    nom = models.CharField("nom", max_length=200, unique=True)
    departements = models.CharField("départements couverts", max_length=400)
    agents = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="services_archives")

    class Meta:
        verbose_name = "service d'archives publiques"
        verbose_name_plural = "services d'archives publiques"

    def __str__(self) -> str:
        return self.nom

    def departement_codes(self) -> list[str]:
        return [code.strip() for code in self.departements.split(",") if code.strip()]


class StatutElimination(models.TextChoices):
    PROJET = "projet", "Projet"
    APPROUVE = "approuve", "Approuvé par l'archiviste"
    VISE = "vise", "Visé par le service d'archives"
    REFUSE = "refuse", "Refusé"
    EXECUTE = "execute", "Exécuté"


class Elimination(models.Model):
    """A bordereau d'élimination: eligible units of one collectivité, approved then visé,
    then destroyed on every copy (the metadata stays)."""

    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    numero = models.CharField("numéro", max_length=40, unique=True)
    statut = models.CharField(
        "statut", max_length=10, choices=StatutElimination.choices, default=StatutElimination.PROJET
    )
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cree_le = models.DateTimeField("établi le", auto_now_add=True)
    approuve_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approuve_le = models.DateTimeField("approuvé le", null=True, blank=True)
    vise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    vise_le = models.DateTimeField("visé le", null=True, blank=True)
    execute_le = models.DateTimeField("exécuté le", null=True, blank=True)
    motif_refus = models.CharField("motif du refus", max_length=500, blank=True)
    units = models.ManyToManyField(ArchiveUnit, related_name="eliminations", blank=True)
    ecartees = models.JSONField("unités écartées (gel)", default=list, blank=True)

    class Meta:
        verbose_name = "bordereau d'élimination"
        verbose_name_plural = "bordereaux d'élimination"

    def __str__(self) -> str:
        return f"bordereau d'élimination {self.numero}"


class StatutTransfert(models.TextChoices):
    ENVOYE = "envoye", "Préparé"
    ACCEPTE = "accepte", "Accepté par le service d'archives"
    REJETE = "rejete", "Rejeté par le service d'archives"


class Transfert(models.Model):
    """A SEDA 2.2 ArchiveTransfer package and the reply it got."""

    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    identifiant = models.CharField("identifiant du message", max_length=100, unique=True)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cree_le = models.DateTimeField("préparé le", auto_now_add=True)
    paquet = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    statut = models.CharField(
        "statut", max_length=10, choices=StatutTransfert.choices, default=StatutTransfert.ENVOYE
    )
    reponse = models.JSONField("réponse (ArchiveTransferReply)", default=dict, blank=True)
    units = models.ManyToManyField(ArchiveUnit, related_name="transferts", blank=True)

    class Meta:
        verbose_name = "transfert SEDA"
        verbose_name_plural = "transferts SEDA"

    def __str__(self) -> str:
        return f"transfert {self.identifiant}"
