"""The recipient's inbox: filters, sorting and the CSV export of the same rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from pigp.chorus.models import Facture, StatutFacture
from pigp.chorus.models.factures import DELAI_GLOBAL

S = StatutFacture

# Columns of the inbox: (sort key, header); the sort key's ordering.
COLUMNS = [
    ("numero", "N°"),
    ("fournisseur", "Fournisseur"),
    ("emission", "Émise le"),
    ("reception", "Reçue le"),
    ("montant", "Montant TTC"),
    ("service", "Service"),
    ("statut", "Statut"),
]
SORTS = {
    "numero": ("numero", "pk"),
    "fournisseur": ("fournisseur__raison_sociale", "pk"),
    "emission": ("date_emission", "pk"),
    "reception": ("date_reception", "pk"),
    "montant": ("montant_ttc", "pk"),
    "service": ("code_service", "pk"),
    "statut": ("statut", "pk"),
}
DEFAULT_SORT = "-reception"

# Statuses where the delay clock runs (the recipient holds the invoice).
RUNNING = [S.MISE_A_DISPOSITION, S.SERVICE_FAIT, S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE]
RUNNING += [S.COMPTABILISEE, S.COMPLETEE]


def overdue(now: datetime.datetime | None = None) -> Q:
    """Invoices past the 30 days: running clocks, and suspended ones whose clock stopped past
    them (the suspended time is not counted)."""
    limit = (now or timezone.now()) - DELAI_GLOBAL
    started = F("date_reception") + F("delai_suspendu")
    return Q(statut__in=RUNNING, date_reception__lt=limit - F("delai_suspendu")) | Q(
        statut=S.SUSPENDUE, statut_le__gt=started + DELAI_GLOBAL
    )


def apply_filters(qs: QuerySet[Facture], filters: dict[str, Any]) -> QuerySet[Facture]:
    if statut := filters.get("statut"):
        qs = qs.filter(statut=statut)
    if fournisseur := filters.get("fournisseur"):
        text = fournisseur.strip()
        compact = text.replace(" ", "")
        if compact.isdigit():
            qs = qs.filter(fournisseur__siret__startswith=compact)
        else:
            qs = qs.filter(fournisseur__raison_sociale__icontains=text)
    if numero := filters.get("numero"):
        qs = qs.filter(numero__icontains=numero.strip())
    tz = timezone.get_current_timezone()
    if du := filters.get("recue_du"):
        qs = qs.filter(date_reception__gte=datetime.datetime.combine(du, datetime.time(), tz))
    if au := filters.get("recue_au"):
        end = datetime.datetime.combine(au + datetime.timedelta(days=1), datetime.time(), tz)
        qs = qs.filter(date_reception__lt=end)
    if (low := filters.get("montant_min")) is not None:
        qs = qs.filter(montant_ttc__gte=low)
    if (high := filters.get("montant_max")) is not None:
        qs = qs.filter(montant_ttc__lte=high)
    if service := filters.get("service"):
        qs = qs.filter(service=service)
    if engagement := filters.get("engagement"):
        qs = qs.filter(numero_engagement__icontains=engagement.strip())
    if filters.get("en_retard"):
        qs = qs.filter(overdue())
    return qs


def sort(qs: QuerySet[Facture], tri: str) -> tuple[QuerySet[Facture], str]:
    key = tri.removeprefix("-")
    if key not in SORTS:
        tri, key = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-")
    order = [f"-{f}" if tri.startswith("-") else f for f in SORTS[key]]
    return qs.order_by(*order), tri


def for_list(qs: QuerySet[Facture]) -> QuerySet[Facture]:
    return qs.select_related("fournisseur", "service")


CSV_HEADERS = [
    "N° de facture",
    "Type",
    "Fournisseur",
    "SIRET du fournisseur",
    "Émise le",
    "Reçue le",
    "Échéance",
    "Montant HT",
    "Montant TVA",
    "Montant TTC",
    "Code service",
    "N° d'engagement",
    "Statut",
    "Jours écoulés",
    "En retard",
    "N° de mandat",
    "Payée le",
]


def csv_rows(qs: QuerySet[Facture]) -> Iterator[list[Any]]:
    now = timezone.now()
    for f in for_list(qs).iterator(chunk_size=2000):
        yield [
            f.numero,
            f.get_kind_display(),
            f.fournisseur.raison_sociale,
            f.fournisseur.siret,
            f.date_emission,
            timezone.localtime(f.date_reception).date(),
            f.date_echeance,
            f.montant_ht,
            f.montant_tva,
            f.montant_ttc,
            f.code_service,
            f.numero_engagement,
            f.get_statut_display(),
            f.jours_ecoules(now),
            "oui" if f.en_retard(now) else "non",
            f.numero_mandat,
            f.date_paiement,
        ]
