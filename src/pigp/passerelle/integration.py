"""The hand-off of acknowledged flows to the ledger: a durable mark the passerelle owns.

The passerelle does not know Hélios. When it acknowledges a PES_Aller with accepted bordereaux it
marks the flow « en attente d'intégration » in the same transaction (`mark_pending`) and sends
`flux_accepted` inside it. Hélios' task claims the flow (`claim`), writes the ledger and marks
it integrated in the transaction of its last write (`mark_integrated`), or reports a failure
(`record_failure`), which schedules the next try with a growing delay, and past the limit
leaves the flow « intégration en échec » for an operator (`relaunch`).

Nothing depends on a task row surviving: the worker's sweep (`resend_due`, at start-up and
periodically) sends `flux_integration_due` for every flow still pending past its due time,
whatever happened to its task. Every step is idempotent, so a duplicate hand-off is harmless.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from pigp.core import journal
from pigp.passerelle.models import Flux, IntegrationFlux
from pigp.passerelle.signals import flux_integration_due

log = logging.getLogger(__name__)
I = IntegrationFlux  # noqa: E741

FIELDS = (
    "integration",
    "integration_attempts",
    "integration_error",
    "integration_due_at",
    "integration_lease_until",
    "integrated_at",
)


def _grace() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PIGP_INTEGRATION_GRACE_SECONDS)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PIGP_PASSERELLE_LEASE_SECONDS)


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait before try `attempts + 1`: RETRY × 2^(attempts-1), capped."""
    base = settings.PIGP_INTEGRATION_RETRY_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.PIGP_INTEGRATION_RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


def mark_pending(flux: Flux) -> None:
    """Call inside the transaction that records the acknowledgement."""
    flux.integration = I.EN_ATTENTE
    flux.integration_attempts = 0
    flux.integration_error = ""
    flux.integration_due_at = timezone.now() + _grace()
    flux.integration_lease_until = None
    flux.integrated_at = None
    flux.save(update_fields=list(FIELDS))


def claim(flux_id: int) -> Flux | None:
    """Take a pending flow for one ingest run, or None if it is integrated, failed for good or
    held by a live run. The sweep leaves a claimed flow alone until the lease is past."""
    now = timezone.now()
    until = now + _lease()
    free = Q(integration_lease_until__isnull=True) | Q(integration_lease_until__lt=now)
    taken = Flux.objects.filter(free, pk=flux_id, integration=I.EN_ATTENTE).update(
        integration_lease_until=until,
        integration_due_at=until,
        integration_attempts=F("integration_attempts") + 1,
    )
    if not taken:
        return None
    flux = Flux.objects.select_related("budget", "fichier", "collectivite").get(pk=flux_id)
    if flux.integration_attempts > settings.PIGP_INTEGRATION_MAX_ATTEMPTS:
        # The earlier runs died without a word (a worker killed each time): stop here.
        record_failure(
            flux_id,
            InterruptedError(
                f"{flux.integration_attempts - 1} tentatives interrompues sans compte rendu "
                "(arrêt du worker pendant l'intégration)"
            ),
            final=True,
        )
        return None
    return flux


def keep_claim(flux: Flux) -> None:
    """Extend the lease of a long ingest (called once per bordereau written)."""
    until = timezone.now() + _lease()
    Flux.objects.filter(pk=flux.pk, integration=I.EN_ATTENTE).update(
        integration_lease_until=until, integration_due_at=until
    )


def mark_integrated(flux: Flux) -> None:
    """Call inside the transaction of the last ledger write of the flow."""
    now = timezone.now()
    Flux.objects.filter(pk=flux.pk).update(
        integration=I.INTEGREE,
        integration_error="",
        integration_due_at=None,
        integration_lease_until=None,
        integrated_at=now,
    )
    flux.integration, flux.integrated_at = I.INTEGREE, now
    flux.integration_error, flux.integration_due_at, flux.integration_lease_until = "", None, None


def is_integrated(flux: Flux) -> bool:
    return Flux.objects.filter(pk=flux.pk, integration=I.INTEGREE).exists()


def record_failure(
    flux_id: int, exc: BaseException, *, final: bool = False
) -> datetime.timedelta | None:
    """A run failed: the delay before the next try, or None when none is due (the limit is
    reached and the flow is now « intégration en échec », or it is no longer pending)."""
    error = f"{type(exc).__name__}: {exc}"[:1000]
    with transaction.atomic():
        flux = Flux.objects.select_for_update().filter(pk=flux_id).first()
        if flux is None or flux.integration != I.EN_ATTENTE:
            return None
        now = timezone.now()
        flux.integration_error = error
        flux.integration_lease_until = None
        if final or flux.integration_attempts >= settings.PIGP_INTEGRATION_MAX_ATTEMPTS:
            flux.integration = I.ECHEC
            flux.integration_due_at = None
            delay = None
            event = "flux_integration_echec"
        else:
            delay = retry_delay(flux.integration_attempts)
            flux.integration_due_at = now + delay
            event = "flux_integration_erreur"
        flux.save(update_fields=list(FIELDS))
        journal.record(
            event,
            actor_label="passerelle",
            obj=flux,
            collectivite=flux.collectivite_id,
            details={
                "tentatives": flux.integration_attempts,
                "exception": error,
                "prochaine_tentative": flux.integration_due_at.isoformat()
                if flux.integration_due_at
                else None,
            },
        )
    return delay


def due(now: datetime.datetime | None = None) -> QuerySet[Flux]:
    """Pending flows whose hand-off is due again: never taken, or last run dead or failed."""
    now = now or timezone.now()
    return Flux.objects.filter(integration=I.EN_ATTENTE, integration_due_at__lt=now).filter(
        Q(integration_lease_until__isnull=True) | Q(integration_lease_until__lt=now)
    )


def _hand_off(flux: Flux) -> None:
    """Send `flux_integration_due` in a transaction that also moves the due time on, so the
    receiver's task row and the new due time commit together."""
    with transaction.atomic():
        Flux.objects.filter(pk=flux.pk).update(integration_due_at=timezone.now() + _grace())
        flux_integration_due.send(sender=Flux, flux=flux)


def resend_due(limit: int = 500) -> list[int]:
    """The sweep: hand off again every pending flow past its due time."""
    sent = []
    for flux in due().select_related("collectivite").order_by("integration_due_at", "pk")[:limit]:
        try:
            _hand_off(flux)
        except Exception:
            log.exception("flux %s: hand-off to the ledger failed; next sweep retries", flux.pk)
            continue
        sent.append(flux.pk)
    return sent


class RelaunchError(Exception):
    """The flow cannot be relaunched (message in French)."""


def relaunch(flux: Flux, actor: str) -> None:
    """An operator relaunches a failed integration: a fresh series of tries, journaled."""
    with transaction.atomic():
        current = Flux.objects.select_for_update().get(pk=flux.pk)
        if current.integration != I.ECHEC:
            raise RelaunchError(
                f"Le flux n° {flux.pk} n'est pas « intégration en échec » "
                f"({current.get_integration_display() or 'sans intégration'})."
            )
        previous = current.integration_error
        mark_pending(current)
        journal.record(
            "flux_integration_relancee",
            actor_label=actor,
            obj=current,
            collectivite=current.collectivite_id,
            details={"erreur_precedente": previous[:500]},
        )
        flux_integration_due.send(sender=Flux, flux=current)
