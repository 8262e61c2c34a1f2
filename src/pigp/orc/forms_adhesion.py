"""Forms of the early-destruction offer: the convention, the digitised paper PJ."""

from __future__ import annotations

from django import forms

from pigp.orc.numerisation import MAX_DPI, MIN_DPI
from pigp.ui.forms import PortalForm

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
FIDELITE = (
    "Je certifie que ce document est la copie fidèle et intégrale de l'original papier, "
    "numérisée selon un procédé garantissant sa reproduction à l'identique (NF Z42-026)."
)


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )


class AdhesionForm(PortalForm):
    signee_le = _date("Date de signature de la convention")
    signataire = forms.CharField(label="Nom du signataire", max_length=200)
    qualite = forms.CharField(
        label="Qualité du signataire", max_length=200, help_text="Par exemple : maire, président"
    )
    convention = forms.FileField(
        label="Convention signée (PDF)",
        required=False,
        help_text="Elle est archivée avec valeur probante sur chacune des copies.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )


class NumerisationForm(PortalForm):
    fichier = forms.FileField(
        label="Document numérisé",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.tif,.tiff,.png,.jpg,.jpeg,application/pdf,image/*"}
        ),
    )
    numerise_par = forms.CharField(label="Numérisé par", max_length=200)
    numerise_le = _date("Date de numérisation")
    dispositif = forms.CharField(
        label="Matériel de numérisation", max_length=200, help_text="Marque et modèle du scanner"
    )
    resolution_dpi = forms.IntegerField(
        label="Résolution (points par pouce)",
        min_value=MIN_DPI,
        max_value=MAX_DPI,
        initial=300,
        error_messages={
            "min_value": f"La résolution doit être d'au moins {MIN_DPI} points par pouce.",
            "max_value": f"La résolution ne peut dépasser {MAX_DPI} points par pouce.",
            "invalid": "Saisissez un nombre entier.",
        },
    )
    declaration_fidelite = forms.BooleanField(
        label="Je certifie que ce document est une copie fidèle de l'original papier",
        error_messages={"required": "La déclaration de copie fidèle est obligatoire."},
    )
    declaration_texte = forms.CharField(
        label="Texte de la déclaration de fidélité",
        initial=FIDELITE,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
