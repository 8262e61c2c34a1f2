"""The two ends of an invoice: the supplier (fournisseur, with its accounts) and the recipient
structure (a collectivité's settings and the services it declares)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pigp.core.validators import validate_siret


class Fournisseur(models.Model):
    """A supplier known by its SIRET. Its accounts (`CompteFournisseur`) deposit invoices."""

    siret = models.CharField("SIRET", max_length=14, unique=True, validators=[validate_siret])
    raison_sociale = models.CharField("raison sociale", max_length=200)
    email = models.EmailField("adresse électronique", blank=True)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    # The supplier's API tokens hang on a service account with no collectivité and no
    # application (so it sees nothing on the recipient API), made at its first token.
    compte_service = models.OneToOneField(
        "passerelle.ServiceAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fournisseur_chorus",
        verbose_name="compte de service (jetons d'API)",
    )

    class Meta:
        verbose_name = "fournisseur"
        verbose_name_plural = "fournisseurs"
        ordering = ["raison_sociale"]

    def __str__(self) -> str:
        return f"{self.raison_sociale} ({self.siret})"


class CompteFournisseur(models.Model):
    """A portal user who acts for a supplier. Such a user holds no habilitation: it sees only
    its supplier's invoices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="compte_fournisseur"
    )
    fournisseur = models.ForeignKey(Fournisseur, on_delete=models.PROTECT, related_name="comptes")
    confirme = models.BooleanField("confirmé", default=False)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "compte fournisseur"
        verbose_name_plural = "comptes fournisseurs"

    def __str__(self) -> str:
        return f"{self.user} pour {self.fournisseur.raison_sociale}"


class StructureDestinataire(models.Model):
    """What a collectivité requires of the invoices addressed to it."""

    collectivite = models.OneToOneField(
        "core.Collectivite", on_delete=models.CASCADE, related_name="structure_chorus"
    )
    service_code_requis = models.BooleanField("code service obligatoire", default=False)
    engagement_requis = models.BooleanField("numéro d'engagement obligatoire", default=False)

    class Meta:
        verbose_name = "structure destinataire"
        verbose_name_plural = "structures destinataires"

    def __str__(self) -> str:
        return f"Structure Chorus de {self.collectivite}"


class ServiceDestinataire(models.Model):
    """A service of the collectivité that invoices may be addressed to (code service, BT-10)."""

    collectivite = models.ForeignKey(
        "core.Collectivite", on_delete=models.PROTECT, related_name="services_chorus"
    )
    code = models.CharField("code service", max_length=100)
    libelle = models.CharField("libellé", max_length=200)
    actif = models.BooleanField("actif", default=True)
    engagement_requis = models.BooleanField("numéro d'engagement obligatoire", default=False)

    class Meta:
        verbose_name = "service destinataire"
        verbose_name_plural = "services destinataires"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "code"], name="chorus_service_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.libelle}"
