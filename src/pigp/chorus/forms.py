"""The Chorus forms: the inbox's filters, the recipient's actions, the structure settings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from pigp.chorus.models import ServiceDestinataire, StatutFacture
from pigp.core.models import Collectivite
from pigp.ui.forms import PortalForm


class MontantField(forms.DecimalField):
    """An amount as typed in French: « 1 234,56 », « 1234.56 »."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f€]", "", value).replace(",", ".")
        return super().to_python(value)


class InboxFilterForm(PortalForm):
    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), *StatutFacture.choices]
    )
    fournisseur = forms.CharField(
        label="Fournisseur", required=False, max_length=200, help_text="Raison sociale ou SIRET"
    )
    numero = forms.CharField(label="N° de facture", required=False, max_length=100)
    recue_du = forms.DateField(
        label="Reçue du", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    recue_au = forms.DateField(
        label="Reçue au", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    montant_min = MontantField(label="Montant TTC minimum", required=False, decimal_places=2)
    montant_max = MontantField(label="Montant TTC maximum", required=False, decimal_places=2)
    service = forms.ModelChoiceField(
        label="Service", required=False, queryset=ServiceDestinataire.objects.none()
    )
    engagement = forms.CharField(label="N° d'engagement", required=False, max_length=100)
    en_retard = forms.BooleanField(label="En retard de paiement (plus de 30 jours)", required=False)
    tri = forms.CharField(required=False, widget=forms.HiddenInput, max_length=30)

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = ServiceDestinataire.objects.filter(collectivite=collectivite)
        self.fields["service"].queryset = services
        self.fields["service"].empty_label = "Tous"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        du, au = data.get("recue_du"), data.get("recue_au")
        if du and au and du > au:
            raise forms.ValidationError("La date de début est après la date de fin.")
        low, high = data.get("montant_min"), data.get("montant_max")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("Le montant minimum dépasse le montant maximum.")
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid form filters nothing, its errors are shown)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}


class MotifForm(PortalForm):
    motif = forms.CharField(
        label="Motif",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Le fournisseur le reçoit par courriel.",
    )


class MandatForm(PortalForm):
    numero_mandat = forms.CharField(
        label="Numéro du mandat",
        max_length=40,
        help_text="Le numéro du mandat émis dans votre logiciel financier, transmis à Hélios.",
    )


class StructureForm(PortalForm):
    service_code_requis = forms.BooleanField(
        label="Code service obligatoire",
        required=False,
        help_text="Une facture sans code service est mise « À recycler ».",
    )
    engagement_requis = forms.BooleanField(
        label="Numéro d'engagement obligatoire",
        required=False,
        help_text="Une facture sans numéro d'engagement est mise « À recycler ».",
    )


class ServiceForm(PortalForm):
    code = forms.CharField(label="Code service", max_length=100)
    libelle = forms.CharField(label="Libellé", max_length=200)
    engagement_requis = forms.BooleanField(
        label="Numéro d'engagement obligatoire pour ce service", required=False
    )
    actif = forms.BooleanField(
        label="Actif (les fournisseurs peuvent lui adresser des factures)",
        required=False,
        initial=True,
    )

    def __init__(
        self,
        *args: Any,
        collectivite: Collectivite,
        service: ServiceDestinataire | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.collectivite = collectivite
        self.service = service

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        taken = ServiceDestinataire.objects.filter(collectivite=self.collectivite, code=code)
        if self.service is not None:
            taken = taken.exclude(pk=self.service.pk)
        if taken.exists():
            raise forms.ValidationError("Ce code service existe déjà pour votre structure.")
        return code
