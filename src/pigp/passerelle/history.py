"""Status changes of a flow: each one is stored in its history and journaled; a refusal
without an acknowledgement also leaves a refusal report in the mailbox (`refusals`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pigp.core import journal
from pigp.passerelle.models import Flux, FluxEvent, StatutFlux


def set_status(
    flux: Flux,
    statut: StatutFlux,
    message: str = "",
    *,
    actor: str = "passerelle",
    extra_fields: tuple[str, ...] = (),
    details: dict[str, object] | None = None,
) -> None:
    with transaction.atomic():
        if statut == StatutFlux.REFUSE and flux.acquit_id is None:
            # Every refused deposit answers its depositor in the mailbox (hence SFTP retour/),
            # whichever path refused it.
            from pigp.passerelle.refusals import deliver_refusal_report

            deliver_refusal_report(flux, message)
            if flux.acquit_id is not None and "acquit" not in extra_fields:
                extra_fields = (*extra_fields, "acquit")
        flux.statut = statut
        flux.message = message
        flux.status_changed_at = timezone.now()
        flux.save(update_fields=["statut", "message", "status_changed_at", *extra_fields])
        FluxEvent.objects.create(flux=flux, statut=statut, message=message, actor=actor)
        journal.record(
            f"flux_{statut}",
            actor_label=actor,
            obj=flux,
            collectivite=flux.collectivite_id,
            details={"message": message[:500], **(details or {})},
        )
