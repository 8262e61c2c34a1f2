"""Filters of the Extranet's lists (GET forms: a filtered list is a link one can share)."""

from __future__ import annotations

from typing import Any

from django import forms

from pigp.core.models import Collectivite
from pigp.extranet.queries.mandats import ETATS_MANDAT
from pigp.extranet.queries.recouvrement import TRANCHES
from pigp.extranet.queries.tresorerie import MAX_DAYS
from pigp.helios.models import EtatPiece, Exercice, StadeRecouvrement
from pigp.ui.forms import AmountField, PortalForm, date_field


class _CollectiviteFilters(PortalForm):
    """Exercice and budget choices of the collectivité, and the valid filters of the request."""

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = (
            Exercice.objects.filter(budget__collectivite=collectivite)
            .order_by("-annee")
            .values_list("annee", flat=True)
            .distinct()
        )
        self.fields["exercice"].choices = [("", "Tous"), *((y, str(y)) for y in years)]
        budgets = collectivite.budgets.order_by("cod_bud", "libelle")
        self.fields["budget"].choices = [("", "Tous"), *((b.pk, b.libelle) for b in budgets)]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid field is ignored, and said so by the form)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return dict(self.cleaned_data)


class TitreFilterForm(_CollectiviteFilters):
    q = forms.CharField(
        label="Rechercher", required=False, max_length=100, help_text="Numéro de titre ou nom."
    )
    exercice = forms.TypedChoiceField(label="Exercice", coerce=int, required=False)
    budget = forms.TypedChoiceField(label="Budget", coerce=int, required=False)
    stade = forms.ChoiceField(
        label="Stade",
        required=False,
        choices=[("", "Tous"), ("aucun", "Aucun"), *StadeRecouvrement.choices],
    )
    anciennete = forms.ChoiceField(
        label="Ancienneté",
        required=False,
        choices=[("", "Toutes"), *((k, label) for k, label, *_ in TRANCHES)],
    )
    tri = forms.CharField(required=False, widget=forms.HiddenInput)


class MandatFilterForm(_CollectiviteFilters):
    q = forms.CharField(
        label="Rechercher",
        required=False,
        max_length=100,
        help_text="Un numéro de mandat, un SIRET, un IBAN, un montant (« 150,00 » ou « 150 € »), "
        "un numéro de facture (« FA000123 ») ou un nom de tiers.",
    )
    exercice = forms.TypedChoiceField(label="Exercice", coerce=int, required=False)
    budget = forms.TypedChoiceField(label="Budget", coerce=int, required=False)
    etat = forms.ChoiceField(label="État", required=False)
    bordereau = forms.CharField(label="N° de bordereau", required=False, max_length=20)
    numero = forms.CharField(label="N° de mandat", required=False, max_length=20)
    facture = forms.CharField(
        label="N° de facture",
        required=False,
        max_length=20,
        help_text="Le numéro exact donné par l'ordonnateur.",
    )
    tiers = forms.CharField(
        label="Tiers", required=False, max_length=200, help_text="Nom, SIRET ou IBAN."
    )
    nature = forms.CharField(
        label="Nature (compte)", required=False, max_length=20, help_text="Par exemple 6064 ou 60."
    )
    fonction = forms.CharField(label="Fonction", required=False, max_length=20)
    montant_min = AmountField(label="Montant TTC minimum")
    montant_max = AmountField(label="Montant TTC maximum")
    emis_min = date_field("Émis à partir du")
    emis_max = date_field("Émis jusqu'au")
    pris_en_charge_min = date_field("Pris en charge à partir du")
    pris_en_charge_max = date_field("Pris en charge jusqu'au")
    paye_min = date_field("Payé à partir du")
    paye_max = date_field("Payé jusqu'au")
    tri = forms.CharField(required=False, widget=forms.HiddenInput)

    # Shown at once; the others are in « Plus de filtres ».
    MAIN = ("q", "exercice", "budget", "etat")

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any) -> None:
        super().__init__(*args, collectivite=collectivite, **kwargs)
        self.fields["etat"].choices = [
            ("", "Tous"),
            *((e.value, EtatPiece(e).label) for e in ETATS_MANDAT),
        ]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n not in self.MAIN and n != "tri"]

    def has_more(self) -> bool:
        """Whether a filter of « Plus de filtres » is set (the section then opens)."""
        return any(self.data.get(f.name) for f in self.more_fields())


class TresorerieFilterForm(PortalForm):
    """Budget and period of the Trésorerie page, and the day whose movements are listed."""

    budget = forms.TypedChoiceField(label="Budget", coerce=int, required=False)
    du = date_field("Du")
    au = date_field("Au")
    jour = date_field("Mouvements du jour")

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        budgets = collectivite.budgets.order_by("cod_bud", "libelle")
        self.fields["budget"].choices = [(b.pk, b.libelle) for b in budgets]
        self.fields["jour"].help_text = "Laissez vide pour tous les mouvements de la période."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        du, au = data.get("du"), data.get("au")
        if du and au:
            if du > au:
                raise forms.ValidationError("La date de début est après la date de fin.")
            if (au - du).days > MAX_DAYS:
                raise forms.ValidationError("La période est limitée à trois ans.")
        jour = data.get("jour")
        if jour and du and au and not du <= jour <= au:
            self.add_error("jour", "Ce jour n'est pas dans la période.")
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters (the period and day are ignored when the period is not valid)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if self.non_field_errors():
            data = {k: v for k, v in data.items() if k == "budget"}
        return data


class RestesFilterForm(_CollectiviteFilters):
    exercice = forms.TypedChoiceField(label="Exercice d'origine", coerce=int, required=False)
    budget = forms.TypedChoiceField(label="Budget", coerce=int, required=False)
    tri = forms.CharField(required=False, widget=forms.HiddenInput)
