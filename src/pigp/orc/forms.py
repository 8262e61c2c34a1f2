"""The search form of ORC (a GET form: a search is a link one can share)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from dsfr.utils import dsfr_input_class_attr

from pigp.core.models import Budget, User
from pigp.orc import access
from pigp.ui.forms import AmountField, PortalForm, date_field

# Above this many collectivités (a juge's juridiction covers thousands), the collectivité is
# given by its SIRET instead of chosen in a list, and the budget list is not offered.
MAX_CHOICES = 200


class RechercheForm(PortalForm):
    texte = forms.CharField(
        label="Recherche en texte intégral",
        required=False,
        max_length=200,
        help_text="Des mots de l'objet, du tiers ou du contenu des pièces justificatives ; "
        "les variantes sont trouvées (« factures » trouve « facture »).",
    )
    collectivite = forms.TypedChoiceField(label="Collectivité", coerce=int, required=False)
    exercice = forms.IntegerField(label="Exercice", required=False, min_value=1990, max_value=2100)
    domaine = forms.ChoiceField(
        label="Mandats ou titres",
        required=False,
        choices=[("", "Tous"), ("depense", "Mandats"), ("recette", "Titres")],
    )
    budget = forms.TypedChoiceField(label="Budget", coerce=int, required=False)
    bordereau = forms.CharField(label="N° de bordereau", required=False, max_length=20)
    numero = forms.CharField(label="N° de mandat ou de titre", required=False, max_length=20)
    tiers = forms.CharField(
        label="Tiers", required=False, max_length=200, help_text="Le nom, ou une partie du nom."
    )
    siret = forms.CharField(
        label="SIRET du tiers", required=False, max_length=17, help_text="14 chiffres."
    )
    objet = forms.CharField(
        label="Objet", required=False, max_length=200, help_text="Une partie de l'objet."
    )
    nature = forms.CharField(
        label="Nature (compte)", required=False, max_length=20, help_text="Par exemple 6064 ou 60."
    )
    fonction = forms.CharField(label="Fonction", required=False, max_length=20)
    facture = forms.CharField(label="N° de facture", required=False, max_length=50)
    montant_min = AmountField(label="Montant TTC minimum")
    montant_max = AmountField(label="Montant TTC maximum")
    emis_min = date_field("Émis à partir du")
    emis_max = date_field("Émis jusqu'au")
    pris_en_charge_min = date_field("Pris en charge à partir du")
    pris_en_charge_max = date_field("Pris en charge jusqu'au")
    paye_min = date_field("Payé à partir du")
    paye_max = date_field("Payé jusqu'au")
    tri = forms.CharField(required=False, widget=forms.HiddenInput)

    # Shown at once; the others are in « Plus de critères ».
    MAIN = ("texte", "collectivite", "exercice", "domaine")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        collectivites = list(access.collectivites_for(user).only("pk", "nom")[: MAX_CHOICES + 1])
        if len(collectivites) > MAX_CHOICES:
            self.fields["collectivite"] = forms.CharField(
                label="Collectivité (SIRET)",
                required=False,
                max_length=17,
                help_text="Le SIRET de la collectivité, 14 chiffres.",
            )
            # The DSFR form bound and styled its fields already: bind and style this one.
            self._bound_fields_cache.pop("collectivite", None)
            dsfr_input_class_attr(self["collectivite"])
        else:
            self.fields["collectivite"].choices = [
                ("", "Toutes"),
                *((c.pk, c.nom) for c in collectivites),
            ]
        budgets: list[tuple[Any, str]] = [("", "Tous")]
        if len(collectivites) <= MAX_CHOICES:
            budgets += [
                (
                    b.pk,
                    f"{b.collectivite.nom} — {b.libelle}" if len(collectivites) > 1 else b.libelle,
                )
                for b in Budget.objects.filter(collectivite__in=[c.pk for c in collectivites])
                .select_related("collectivite")
                .order_by("collectivite__nom", "cod_bud", "libelle")
            ]
        self.fields["budget"].choices = budgets

    def clean_collectivite(self) -> int | None:
        value = self.cleaned_data.get("collectivite")
        if not isinstance(value, str):  # chosen in the list
            return value
        siret = re.sub(r"\s", "", value)
        if not siret:
            return None
        found = access.collectivites_for(self.user).filter(siret=siret).first()
        if found is None:
            raise forms.ValidationError("Aucune collectivité de votre périmètre n'a ce SIRET.")
        return found.pk

    def clean_siret(self) -> str:
        siret = re.sub(r"\s", "", self.cleaned_data.get("siret", ""))
        if siret and not re.fullmatch(r"\d{14}", siret):
            raise forms.ValidationError("Un SIRET compte 14 chiffres.")
        return siret

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for low, high, what in (
            ("montant_min", "montant_max", "Le montant minimum est supérieur au maximum."),
            ("emis_min", "emis_max", "La date d'émission de début est après celle de fin."),
            (
                "pris_en_charge_min",
                "pris_en_charge_max",
                "La date de prise en charge de début est après celle de fin.",
            ),
            ("paye_min", "paye_max", "La date de paiement de début est après celle de fin."),
        ):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, what)
        return data

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n not in self.MAIN and n != "tri"]

    def has_more(self) -> bool:
        """Whether a criterion of « Plus de critères » is set (the section then opens)."""
        return any(self.data.get(f.name) for f in self.more_fields())
