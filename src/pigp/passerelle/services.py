"""Small services behind the passerelle's web pages: cancelling a flow, grouping its findings,
summing up what a supervisor needs to see. Access checks stay in `passerelle.access`."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pigp.passerelle.access import Principal, is_sender
from pigp.passerelle.history import set_status
from pigp.passerelle.models import Flux, FluxFinding, IntegrationFlux, KindFlux, StatutFlux
from pigp.passerelle.models.flux import FINAL

# Statuses in which the gateway itself still owes the sender an answer. `transmis` is left out:
# for SEPA files and PES_ACQUIT_RETOUR it is where their life on the gateway ends.
STUCK_STATUSES = (StatutFlux.POSTE, StatutFlux.EN_COURS, StatutFlux.ERREUR)
FINDINGS_SHOWN = 500


class CancelError(Exception):
    """The flow can no longer be cancelled (message in French)."""


class NotSenderError(CancelError):
    """Only the flow's sender may cancel it (message in French)."""


def is_settled(flux: Flux) -> bool:
    """No further change is expected without a new event (what the deposit page waits for)."""
    if flux.statut in FINAL:
        return True
    return flux.statut == StatutFlux.TRANSMIS and flux.kind != KindFlux.PES_ALLER


def sender_label(flux: Flux) -> str:
    if flux.sender_user is not None:
        return flux.sender_user.email
    if flux.sender_account is not None:
        return f"Compte de service « {flux.sender_account.name} »"
    return flux.get_canal_display()


def cancel_flux(flux: Flux, principal: Principal) -> Flux:
    """Cancel a flow that processing has not picked up yet, for its sender (a user or a service
    account); journaled through its history. `NotSenderError` for anyone else, `CancelError`
    once the flow has left « posté »."""
    if not is_sender(principal, flux):
        raise NotSenderError("Seul l'expéditeur du flux peut l'annuler.")
    with transaction.atomic():
        # The IMMEDIATE transaction (SQLite) or the row lock (PostgreSQL) orders this against
        # the pipeline's claim: the flow is either still "posté" here or already taken.
        current = Flux.objects.select_for_update().select_related("collectivite").get(pk=flux.pk)
        if current.statut != StatutFlux.POSTE:
            raise CancelError(
                f"Le flux est « {current.get_statut_display()} » : seul un flux encore "
                "« Posté » peut être annulé."
            )
        actor = principal.email
        set_status(current, StatutFlux.ANNULE, f"Flux annulé par {actor}.", actor=actor)
    return current


@dataclass
class FindingGroup:
    label: str
    findings: list[FluxFinding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def _group_label(f: FluxFinding) -> tuple[tuple[int, str, str, str], str]:
    if f.pj:
        return (2, f.pj, "", ""), f"Pièce justificative {f.pj}"
    if f.bordereau and f.piece:
        return (1, f.bordereau, f.piece, ""), f"Bordereau {f.bordereau} — pièce {f.piece}"
    if f.bordereau:
        return (1, f.bordereau, "", ""), f"Bordereau {f.bordereau}"
    return (0, "", "", ""), "Flux (en-tête, schéma, signature)"


def _natural(value: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", value))


def grouped_findings(flux: Flux, limit: int = FINDINGS_SHOWN) -> tuple[list[FindingGroup], int]:
    """Findings grouped by flux / bordereau / pièce / PJ, and how many were left out."""
    qs = FluxFinding.objects.filter(flux=flux).order_by("id")
    total = qs.count()
    groups: dict[tuple[int, str, str, str], FindingGroup] = {}
    for finding in qs[:limit]:
        key, label = _group_label(finding)
        groups.setdefault(key, FindingGroup(label)).findings.append(finding)
    ordered = sorted(
        groups.items(), key=lambda kv: (kv[0][0], *(_natural(part) for part in kv[0][1:]))
    )
    return [g for _, g in ordered], max(0, total - limit)


def counts_by_status(qs: QuerySet[Flux]) -> list[dict[str, object]]:
    counts = dict(qs.order_by().values_list("statut").annotate(n=Count("id")))
    return [
        {"statut": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in StatutFlux
    ]


def stuck_flux(qs: QuerySet[Flux], limit: int = 200) -> QuerySet[Flux]:
    threshold = timezone.now() - datetime.timedelta(minutes=settings.PIGP_PASSERELLE_STUCK_MINUTES)
    return (
        qs.filter(statut__in=STUCK_STATUSES, status_changed_at__lt=threshold)
        .select_related("collectivite")
        .order_by("status_changed_at", "id")[:limit]
    )


def integration_counts(qs: QuerySet[Flux]) -> list[dict[str, object]]:
    """Acknowledged flows not yet in the ledger: pending, and failed for good."""
    shown = (IntegrationFlux.EN_ATTENTE, IntegrationFlux.ECHEC)
    counts = dict(
        qs.filter(integration__in=shown)
        .order_by()
        .values_list("integration")
        .annotate(n=Count("id"))
    )
    return [
        {"integration": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in shown
    ]


def integration_problems(
    qs: QuerySet[Flux], limit: int = 200, related: tuple[str, ...] = ("collectivite",)
) -> QuerySet[Flux]:
    """Flows whose integration failed for good, or is pending with an error (retrying) or for
    longer than the stuck threshold: what an operator looks at."""
    threshold = timezone.now() - datetime.timedelta(minutes=settings.PIGP_PASSERELLE_STUCK_MINUTES)
    late = Q(integration=IntegrationFlux.EN_ATTENTE) & (
        ~Q(integration_error="") | Q(status_changed_at__lt=threshold)
    )
    return (
        qs.filter(Q(integration=IntegrationFlux.ECHEC) | late)
        .select_related(*related)
        .order_by("integration", "status_changed_at", "id")[:limit]  # « échec » first
    )


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\"<>:|?*;]+")


def download_name(name: str, default: str = "fichier") -> str:
    """A file name safe for Content-Disposition: no path, no control or quoting characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:150] or default
