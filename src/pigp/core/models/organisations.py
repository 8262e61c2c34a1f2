"""Postes comptables, collectivités, budgets and juridictions."""

from __future__ import annotations

from django.db import models

from pigp.core.validators import (
    validate_cod_bud,
    validate_cod_col,
    validate_codique,
    validate_departement,
    validate_siret,
)


class PosteComptable(models.Model):
    codique = models.CharField("codique", max_length=7, unique=True, validators=[validate_codique])
    nom = models.CharField("nom", max_length=200)
    adresse = models.TextField("adresse", blank=True)

    class Meta:
        verbose_name = "poste comptable"
        verbose_name_plural = "postes comptables"
        ordering = ["nom"]

    def __str__(self) -> str:
        return f"{self.nom} ({self.codique})"


class NatureCollectivite(models.TextChoices):
    COMMUNE = "commune", "Commune"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    EPCI = "epci", "EPCI"
    EPS = "eps", "Établissement public de santé"
    AUTRE_EPL = "autre_epl", "Autre établissement public local"


class Collectivite(models.Model):
    siret = models.CharField("SIRET", max_length=14, unique=True, validators=[validate_siret])
    nom = models.CharField("nom", max_length=200)
    nature = models.CharField("nature", max_length=20, choices=NatureCollectivite.choices)
    poste = models.ForeignKey(
        PosteComptable,
        verbose_name="poste comptable",
        on_delete=models.PROTECT,
        related_name="collectivites",
    )
    departement = models.CharField(
        "département", max_length=3, validators=[validate_departement], db_index=True
    )

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom


class Nomenclature(models.TextChoices):
    M57 = "M57", "M57"
    M14 = "M14", "M14"
    M4 = "M4", "M4 (services publics industriels et commerciaux)"
    M22 = "M22", "M22 (établissements sociaux et médico-sociaux)"
    M21 = "M21", "M21 (établissements publics de santé)"
    M52 = "M52", "M52"
    M71 = "M71", "M71"
    M31 = "M31", "M31 (offices publics de l'habitat)"


class Budget(models.Model):
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="budgets", verbose_name="collectivité"
    )
    cod_col = models.CharField(
        "code collectivité (CodCol)", max_length=3, validators=[validate_cod_col]
    )
    cod_bud = models.CharField("code budget (CodBud)", max_length=2, validators=[validate_cod_bud])
    libelle = models.CharField("libellé", max_length=200)
    nomenclature = models.CharField(
        "nomenclature", max_length=4, choices=Nomenclature.choices, default=Nomenclature.M57
    )
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "budget"
        verbose_name_plural = "budgets"
        ordering = ["collectivite__nom", "cod_col", "cod_bud"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "cod_col", "cod_bud"], name="budget_unique_par_collectivite"
            )
        ]

    def __str__(self) -> str:
        return f"{self.libelle} ({self.cod_col}/{self.cod_bud})"


class Juridiction(models.Model):
    """A chambre régionale des comptes and the départements it covers."""

    nom = models.CharField("nom", max_length=200, unique=True)
    departements = models.CharField(
        "départements couverts",
        max_length=400,
        help_text="Codes séparés par des virgules, ex. « 31, 32, 81, 82 ».",
    )

    class Meta:
        verbose_name = "juridiction"
        verbose_name_plural = "juridictions"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom

    def departement_codes(self) -> list[str]:
        return [code.strip() for code in self.departements.split(",") if code.strip()]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = []
        for code in self.departement_codes():
            try:
                validate_departement(code)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if not self.departement_codes():
            errors.append("Indiquez au moins un département.")
        if errors:
            raise ValidationError({"departements": errors})
