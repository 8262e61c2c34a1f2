"""Forms of the passerelle's pages (filters, notification preferences)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from pigp.core.models import Budget, Collectivite
from pigp.passerelle.models import Flux, KindFlux, StatutFlux


class BudgetChoiceField(forms.ModelChoiceField[Budget]):
    """A budget shown by its codes, with its collectivité's name when several are listed."""

    with_collectivite = False

    def label_from_instance(self, obj: Budget) -> str:
        label = f"{obj.cod_col}/{obj.cod_bud} {obj.libelle}"
        return f"{obj.collectivite.nom} — {label}" if self.with_collectivite else label


class FluxFilterForm(forms.Form):
    """Filters of the flow lists; an invalid value is ignored rather than refused."""

    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), *StatutFlux.choices]
    )
    kind = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Tous"), *KindFlux.choices]
    )
    du = forms.DateField(label="Déposé depuis le", required=False)
    au = forms.DateField(label="Déposé jusqu'au", required=False)
    collectivite = forms.ModelChoiceField(
        label="Collectivité",
        required=False,
        queryset=Collectivite.objects.none(),
        empty_label="Toutes",
    )
    budget = BudgetChoiceField(
        label="Budget", required=False, queryset=Budget.objects.none(), empty_label="Tous"
    )

    def __init__(
        self,
        data: Any,
        *,
        collectivites: QuerySet[Collectivite] | None,
        fixed: Collectivite | None = None,
    ) -> None:
        super().__init__(data)
        self.fixed = fixed
        if fixed is not None:
            del self.fields["collectivite"]
            budgets = Budget.objects.filter(collectivite=fixed)
        else:
            assert collectivites is not None
            self._choice_field("collectivite").queryset = collectivites
            budgets = Budget.objects.filter(collectivite__in=collectivites).select_related(
                "collectivite"
            )
        budget = self._choice_field("budget")
        assert isinstance(budget, BudgetChoiceField)
        budget.with_collectivite = fixed is None
        budget.queryset = budgets.order_by("cod_col", "cod_bud")

    def _choice_field(self, name: str) -> forms.ModelChoiceField[Any]:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    def apply(self, qs: QuerySet[Flux]) -> QuerySet[Flux]:
        # Invalid fields are left out of cleaned_data: one wrong date does not hide the list.
        self.is_valid()
        data = self.cleaned_data
        if data.get("statut"):
            qs = qs.filter(statut=data["statut"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        tz = timezone.get_current_timezone()
        if data.get("du"):
            start = datetime.datetime.combine(data["du"], datetime.time.min, tzinfo=tz)
            qs = qs.filter(created_at__gte=start)
        if data.get("au"):
            end = datetime.datetime.combine(
                data["au"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
            qs = qs.filter(created_at__lt=end)
        if data.get("collectivite"):
            qs = qs.filter(collectivite=data["collectivite"])
        if data.get("budget"):
            qs = qs.filter(budget=data["budget"])
        return qs


class PreferencesForm(DsfrBaseForm):
    def get_context(self) -> dict[str, Any]:
        # As the portal's forms: mark optional fields (DSFR's advice) without the warning.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    acquittements = forms.BooleanField(
        label="M'écrire quand un acquittement (PES_ACQUIT) arrive",
        required=False,
        help_text="Un seul courriel regroupe les fichiers arrivés ensemble.",
    )
    retours = forms.BooleanField(
        label="M'écrire quand un retour (PES_Retour) arrive",
        required=False,
    )
