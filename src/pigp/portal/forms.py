"""Forms of the portal, rendered with the State design system."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils import timezone

from pigp.core.models import Application, Collectivite, Profil
from pigp.ui.forms import PortalForm


class LoginForm(PortalForm, AuthenticationForm):
    username = forms.EmailField(
        label="Adresse électronique",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": (
            "Adresse électronique ou mot de passe incorrect. Après plusieurs échecs, "
            "le compte est bloqué temporairement."
        ),
        "inactive": "Ce compte est désactivé.",
    }


class ResetRequestForm(PortalForm, PasswordResetForm):
    email = forms.EmailField(
        label="Adresse électronique", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class NewPasswordForm(PortalForm, SetPasswordForm):
    pass


class TokenForm(PortalForm):
    token = forms.CharField(
        label="Code à 6 chiffres",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
        help_text="Le code affiché par votre application d'authentification.",
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("Le code ne contient que des chiffres.")
        return token


class HabilitationRequestForm(PortalForm):
    siret = forms.CharField(
        label="SIRET de la collectivité",
        max_length=20,
        help_text="14 chiffres, par exemple 21310555400017.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    application = forms.ChoiceField(label="Application", choices=Application.choices)
    profil = forms.ChoiceField(label="Profil", choices=Profil.choices)
    beneficiaire = forms.EmailField(
        label="Pour un collègue (adresse électronique)",
        required=False,
        help_text="Réservé à l'administrateur local de la collectivité. "
        "Laissez vide pour une demande pour vous-même.",
    )
    date_fin = forms.DateField(
        label="Date de fin",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Laissez vide pour un accès sans date de fin.",
    )
    commentaire = forms.CharField(
        label="Commentaire pour le comptable",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_siret(self) -> Collectivite:
        # The collectivité is named by its SIRET rather than picked from a list, so the
        # form does not list every collectivité of the platform to any user.
        value = "".join(self.cleaned_data["siret"].split())
        collectivite = Collectivite.objects.select_related("poste").filter(siret=value).first()
        if collectivite is None:
            raise forms.ValidationError(
                "Aucune collectivité n'est inscrite sur le portail avec ce SIRET. Vérifiez-le "
                "auprès de votre service financier ou de votre comptable public."
            )
        return collectivite

    def clean_date_fin(self) -> Any:
        value = self.cleaned_data.get("date_fin")
        if value and value < timezone.localdate():
            raise forms.ValidationError("La date de fin ne peut pas être dans le passé.")
        return value


class DecisionForm(PortalForm):
    motif = forms.CharField(label="Motif", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    date_fin = forms.DateField(
        label="Date de fin (facultative)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CsvImportForm(PortalForm):
    fichier = forms.FileField(
        label="Fichier CSV",
        help_text="Séparateur point-virgule, encodage UTF-8. Colonnes : voir ci-dessous.",
    )
