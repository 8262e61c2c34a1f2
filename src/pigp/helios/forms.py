"""Forms of the comptable's workbench."""

from __future__ import annotations

from typing import Any

from django import forms

from pigp.helios.motifs import motifs_for
from pigp.helios.workbench import ACTIONS, Action
from pigp.ui.forms import PortalForm

PORTEE_TOUT = "tout"
PORTEE_SELECTION = "selection"


class QueueFilterForm(PortalForm):
    collectivite = forms.TypedChoiceField(label="Collectivité", coerce=int, required=False)
    domaine = forms.ChoiceField(
        label="Domaine",
        required=False,
        choices=[
            ("", "Dépenses et recettes"),
            ("depense", "Dépenses (mandats)"),
            ("recette", "Recettes (titres)"),
        ],
    )

    tri = forms.ChoiceField(
        label="Ordre",
        required=False,
        choices=[
            ("", "Les plus anciens d'abord"),
            ("collectivite", "Par collectivité, puis ancienneté"),
        ],
    )

    def __init__(self, *args: Any, collectivites: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].choices = [("", "Toutes les collectivités"), *collectivites]


class ActionForm(PortalForm):
    """Motifs and comment of a rejet or a mise en instance; the action is the button pressed."""

    motifs = forms.MultipleChoiceField(
        label="Motifs (rejet ou mise en instance)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Un ou plusieurs motifs de la nomenclature Hélios (ObsEtat).",
    )
    commentaire = forms.CharField(
        label="Commentaire pour la collectivité",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour un rejet ou une mise en instance : ce qu'il faut corriger.",
    )

    def __init__(
        self, *args: Any, domaine: str, action: Action | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["motifs"].choices = [
            (code, f"{code} — {label}") for code, label in motifs_for(domaine).items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.action is not None and self.action.needs_motif:
            if not data.get("motifs"):
                self.add_error("motifs", "Choisissez au moins un motif.")
            if not (data.get("commentaire") or "").strip():
                self.add_error("commentaire", "Précisez ce que la collectivité doit corriger.")
        return data


class BordereauActionForm(ActionForm):
    portee = forms.ChoiceField(
        label="Pièces concernées",
        choices=[
            (PORTEE_TOUT, "Toutes les pièces du bordereau"),
            (PORTEE_SELECTION, "Seulement les pièces cochées dans la liste"),
        ],
        initial=PORTEE_TOUT,
        widget=forms.RadioSelect,
    )

    field_order = ["portee", "motifs", "commentaire"]


def action_from(slug: str | None) -> Action | None:
    return ACTIONS.get(slug or "")
