"""The subscription form of « Mes alertes »."""

from __future__ import annotations

from typing import Any

from django import forms

from pigp.extranet.forms import AmountField
from pigp.extranet.models import DELAI_RETARD_DEFAUT, KindAlerte
from pigp.ui.forms import PortalForm


class AbonnementForm(PortalForm):
    kind = forms.ChoiceField(label="Alerte", choices=KindAlerte.choices)
    seuil = AmountField(
        label="Montant minimal (€)",
        help_text="Pour « mandat payé » : les mandats d'un montant TTC au moins égal.",
    )
    delai_jours = forms.IntegerField(
        label="Retard (jours)",
        required=False,
        min_value=0,
        max_value=3650,
        help_text=(
            "Pour « titre en retard » : titres restant dus ce nombre de jours après leur "
            f"échéance ({DELAI_RETARD_DEFAUT} par défaut)."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == KindAlerte.MANDAT_PAYE and data.get("seuil") is None:
            self.add_error("seuil", "Indiquez le montant à partir duquel être alerté.")
        if kind != KindAlerte.MANDAT_PAYE:
            data["seuil"] = None
        if kind != KindAlerte.TITRE_EN_RETARD:
            data["delai_jours"] = None
        elif data.get("delai_jours") is None:
            data["delai_jours"] = DELAI_RETARD_DEFAUT
        return data
