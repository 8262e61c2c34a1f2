"""The supplier's forms: registration, the fields typed with a plain PDF, the corrections of an
invoice, the filters of « Mes factures », a token's label."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from stdnum.fr import siret as stdnum_siret

from pigp.chorus.forms import MontantField
from pigp.chorus.models import StatutFacture
from pigp.core.models import User
from pigp.ui.forms import PortalForm


def clean_siret(value: str, *, label: str = "Le SIRET") -> str:
    """14 digits whose Luhn key is right; spaces allowed when typed (French errors)."""
    siret = re.sub(r"[\s\u00a0\u202f.]", "", value or "")
    if not siret.isdigit() or len(siret) != 14:
        raise forms.ValidationError(f"{label} doit compter exactement 14 chiffres.")
    if not stdnum_siret.is_valid(siret):
        raise forms.ValidationError(
            f"{label} {siret} n'existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres."
        )
    return siret


class InscriptionForm(PortalForm):
    siret = forms.CharField(
        label="SIRET de votre entreprise",
        max_length=20,
        help_text="14 chiffres, tel qu'il figure sur vos factures.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    raison_sociale = forms.CharField(label="Raison sociale", max_length=200)
    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        help_text="Le lien de confirmation y est envoyé ; elle sert d'identifiant.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        help_text="12 caractères au moins ; une phrase de passe est idéale.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_siret(self) -> str:
        return clean_siret(self.cleaned_data["siret"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=data.get("email", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ChampsPdfForm(PortalForm):
    """The key fields of a plain PDF (ignored for a structured invoice, which carries them)."""

    numero = forms.CharField(label="Numéro de facture", max_length=100, required=False)
    date_emission = forms.DateField(
        label="Date d'émission",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    siret_acheteur = forms.CharField(
        label="SIRET de l'acheteur (destinataire)", max_length=20, required=False
    )
    montant_ht = MontantField(label="Montant HT", required=False, decimal_places=2)
    montant_tva = MontantField(label="Montant TVA", required=False, decimal_places=2)
    montant_ttc = MontantField(label="Montant TTC", required=False, decimal_places=2)
    code_service = forms.CharField(label="Code service", max_length=100, required=False)
    numero_engagement = forms.CharField(
        label="Numéro d'engagement (bon de commande)", max_length=100, required=False
    )

    def clean_siret_acheteur(self) -> str:
        value = self.cleaned_data.get("siret_acheteur") or ""
        return clean_siret(value, label="Le SIRET de l'acheteur") if value.strip() else ""

    def champs(self) -> dict[str, Any]:
        """The typed fields as `deposer(champs_saisis=…)` takes them (only the non-empty)."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class AdressageForm(PortalForm):
    """Correcting the addressing of an invoice À recycler (04)."""

    siret_acheteur = forms.CharField(label="SIRET de l'acheteur (destinataire)", max_length=20)
    code_service = forms.CharField(label="Code service", max_length=100, required=False)
    numero_engagement = forms.CharField(
        label="Numéro d'engagement (bon de commande)", max_length=100, required=False
    )

    def clean_siret_acheteur(self) -> str:
        return clean_siret(self.cleaned_data["siret_acheteur"], label="Le SIRET de l'acheteur")


class ComplementForm(PortalForm):
    commentaire = forms.CharField(
        label="Ce que vous apportez",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Le destinataire le lit avec la facture, qui reprend son traitement.",
    )


class MesFacturesFilterForm(PortalForm):
    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), *StatutFacture.choices]
    )
    numero = forms.CharField(label="N° de facture", required=False, max_length=100)

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class JetonForm(PortalForm):
    label = forms.CharField(
        label="Libellé du jeton",
        max_length=120,
        required=False,
        help_text="Pour le reconnaître : le logiciel qui l'utilise, par exemple.",
    )
