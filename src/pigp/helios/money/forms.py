"""Forms of the payment, recovery and treasury pages."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from pigp.formats.sepa.identifiers import bic_problem, creditor_id_problem, iban_problem
from pigp.helios.models import StadeRecouvrement
from pigp.ui.forms import PortalForm

MAX_CAMT_SIZE = 50 * 1024 * 1024
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _CollectiviteForm(PortalForm):
    collectivite = forms.TypedChoiceField(label="Collectivité", coerce=int)

    def __init__(self, *args: Any, collectivites: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].choices = collectivites


def _sepa_date(value: datetime.date, what: str) -> datetime.date:
    """The bank refuses a date more than 15 days ago or more than a year ahead."""
    today = timezone.localdate()
    if value < today - datetime.timedelta(days=15):
        raise forms.ValidationError(
            f"La date {what} ne peut pas être antérieure de plus de 15 jours à aujourd'hui."
        )
    if value > today + datetime.timedelta(days=365):
        raise forms.ValidationError(f"La date {what} ne peut pas dépasser un an.")
    return value


def _run_date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE_WIDGET,
        help_text="Au plus tôt 15 jours avant aujourd'hui, au plus tard dans un an.",
    )


def _sepa_version(choices: list[tuple[str, str]]) -> forms.ChoiceField:
    """The SEPA version of a run's file; the first choice is the recommended one."""
    return forms.ChoiceField(
        label="Version du fichier SEPA", choices=choices, initial=choices[0][0]
    )


class PaymentRunForm(_CollectiviteForm):
    date_execution = _run_date("Date d'exécution des virements")
    version = _sepa_version(
        [("001.09", "pain.001.001.09 (recommandée)"), ("001.03", "pain.001.001.03 (ancienne)")]
    )

    def clean_date_execution(self) -> datetime.date:
        return _sepa_date(self.cleaned_data["date_execution"], "d'exécution")


class DirectDebitRunForm(_CollectiviteForm):
    date_echeance = _run_date("Date d'échéance des prélèvements")
    version = _sepa_version(
        [("001.08", "pain.008.001.08 (recommandée)"), ("001.02", "pain.008.001.02 (ancienne)")]
    )

    def clean_date_echeance(self) -> datetime.date:
        return _sepa_date(self.cleaned_data["date_echeance"], "d'échéance")


class CamtImportForm(_CollectiviteForm):
    fichier = forms.FileField(
        label="Relevé bancaire (camt.053 ou camt.054)",
        help_text="Fichier XML ISO 20022, 50 Mo au plus.",
    )

    def clean_fichier(self) -> Any:
        upload = self.cleaned_data["fichier"]
        if upload.size > MAX_CAMT_SIZE:
            raise forms.ValidationError("Le fichier dépasse 50 Mo.")
        if upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        return upload


class EncaissementForm(PortalForm):
    date = forms.DateField(label="Date de l'encaissement", widget=DATE_WIDGET)
    montant = forms.DecimalField(
        label="Montant (€)",
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Un paiement partiel est possible ; jamais plus que le reste à recouvrer.",
    )
    reference = forms.CharField(
        label="Référence", required=False, max_length=140, help_text="Chèque, virement, quittance…"
    )

    def clean_date(self) -> datetime.date:
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError("Un encaissement ne peut pas être daté dans le futur.")
        return value


class StadeForm(PortalForm):
    stade = forms.ChoiceField(label="Stade de recouvrement", choices=StadeRecouvrement.choices)
    commentaire = forms.CharField(
        label="Commentaire", required=False, max_length=300, help_text="Par exemple : courrier du…"
    )


class MatchForm(PortalForm):
    titre = forms.TypedChoiceField(label="Titre à rapprocher", coerce=int)

    def __init__(self, *args: Any, titres: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["titre"].choices = titres


class DebitMatchForm(PortalForm):
    choix = forms.ChoiceField(
        label="Campagne ou paiement débité",
        help_text="Une campagne rapproche tous ses paiements qui attendent encore leur débit.",
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choix"].choices = choices


class SoldeOuvertureForm(PortalForm):
    montant = forms.DecimalField(
        label="Solde d'ouverture (€)",
        max_digits=16,
        decimal_places=2,
        help_text="Négatif pour un solde débiteur.",
    )
    date = forms.DateField(label="Date du solde", widget=DATE_WIDGET)


class TreasuryFilterForm(PortalForm):
    budget = forms.TypedChoiceField(label="Budget", coerce=int)
    annee = forms.TypedChoiceField(label="Exercice", coerce=int)

    def __init__(
        self, *args: Any, budgets: list[tuple[int, str]], annees: list[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget"].choices = budgets
        self.fields["annee"].choices = [(a, str(a)) for a in annees]


class CollectiviteFilterForm(PortalForm):
    collectivite = forms.TypedChoiceField(label="Collectivité", coerce=int, required=False)

    def __init__(self, *args: Any, collectivites: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].choices = [("", "Toutes les collectivités"), *collectivites]


class CompteTresorForm(PortalForm):
    titulaire = forms.CharField(label="Titulaire du compte", max_length=70)
    iban = forms.CharField(label="IBAN", max_length=42, help_text="Par exemple FR76 3000 1007 …")
    bic = forms.CharField(label="BIC", max_length=11, required=False)
    ics = forms.CharField(
        label="Identifiant créancier SEPA (ICS)",
        max_length=35,
        required=False,
        help_text="Nécessaire pour émettre des prélèvements, par exemple FR72ZZZ123456.",
    )

    @staticmethod
    def _compact(value: str) -> str:
        return "".join(value.split()).upper()

    def clean_iban(self) -> str:
        value = self._compact(self.cleaned_data["iban"])
        problem = iban_problem(value)
        if problem:
            raise forms.ValidationError(f"IBAN invalide : {problem}.")
        return value

    def clean_bic(self) -> str:
        value = self._compact(self.cleaned_data["bic"])
        if value and bic_problem(value):
            raise forms.ValidationError(f"BIC invalide : {bic_problem(value)}.")
        return value

    def clean_ics(self) -> str:
        value = self._compact(self.cleaned_data["ics"])
        if value and creditor_id_problem(value):
            raise forms.ValidationError(f"ICS invalide : {creditor_id_problem(value)}.")
        return value
