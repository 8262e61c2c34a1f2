"""Forms of retention, elimination and SEDA transfers."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from pigp.ui.forms import PortalForm

MAX_REPLY = 5 * 1024 * 1024


class MotifForm(PortalForm):
    motif = forms.CharField(label="Motif", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class RefusForm(PortalForm):
    motif = forms.CharField(
        label="Motif du refus", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class TransfertForm(PortalForm):
    KINDS = [
        ("bordereau", "Un bordereau"),
        ("exercice", "Un exercice entier"),
        ("pieces", "Des pièces choisies"),
    ]
    kind = forms.ChoiceField(label="Transférer", choices=KINDS)
    annee = forms.IntegerField(label="Exercice", min_value=1990, max_value=2100)
    domaine = forms.ChoiceField(
        label="Nature",
        choices=[("depense", "Mandats (dépense)"), ("recette", "Titres (recette)")],
        required=False,
    )
    bordereau = forms.CharField(label="N° de bordereau", max_length=20, required=False)
    pieces = forms.CharField(
        label="N° des pièces",
        required=False,
        max_length=2000,
        help_text="Numéros de mandats ou de titres de l'exercice, séparés par des espaces ou des virgules.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "bordereau" and not data.get("bordereau"):
            self.add_error("bordereau", "Indiquez le numéro du bordereau.")
        if kind == "pieces":
            numeros = [n for n in re.split(r"[\s,;]+", data.get("pieces") or "") if n]
            if not numeros:
                self.add_error("pieces", "Indiquez au moins un numéro de pièce.")
            data["numeros"] = numeros
        return data


class ReponseForm(PortalForm):
    fichier = forms.FileField(
        label="Réponse du service d'archives (ArchiveTransferReply, XML)",
        help_text="Fichier XML SEDA 2.2 de 5 Mio au plus.",
    )

    def clean_fichier(self) -> bytes:
        upload = self.cleaned_data["fichier"]
        if upload.size > MAX_REPLY:
            raise forms.ValidationError("Le fichier dépasse 5 Mio.")
        return bytes(upload.read())
