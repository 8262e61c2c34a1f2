"""Debit lines of bank statements that wait for the comptable, reconciled by hand.

`statement_debits.reconcile` leaves a debit line waiting (with why, in French) when no run or
payment explains it; the comptable then chooses, among `debit_choices`, the run (its payments
not yet debited) or the payment, with `match_debit`. Same records as the automatic path: the
payments note the line and its day, the run counts them, the journal says who did it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum

from pigp.core import journal
from pigp.core.models import Collectivite
from pigp.helios.models import CamtDebit, CamtImport, Paiement, PaymentRun
from pigp.helios.money.recovery import RecoveryError, euros
from pigp.helios.money.statement_debits import (
    CHANGED,
    count_run,
    debit_payments,
    locked,
    update_runs,
)
from pigp.ui.text import pluriel

ZERO = Decimal("0.00")


def waiting_lines(collectivites: Iterable[Collectivite] | QuerySet) -> QuerySet[CamtDebit]:
    """Debit lines that wait for the comptable."""
    return CamtDebit.objects.filter(camt__collectivite__in=collectivites, rapprochee=False)


def match_debit(
    line: CamtDebit,
    *,
    actor: str,
    run: PaymentRun | None = None,
    paiement: Paiement | None = None,
) -> int:
    """Reconcile a waiting debit line by hand with a run (its payments not yet debited) or one
    payment; return the number of payments marked debited."""
    if (run is None) == (paiement is None):
        raise RecoveryError("Choisissez une campagne de paiement ou un paiement.")
    with transaction.atomic():
        line = CamtDebit.objects.select_for_update().select_related("camt").get(pk=line.pk)
        if line.rapprochee:
            raise RecoveryError("Cette ligne au débit est déjà rapprochée.")
        coll_id = line.camt.collectivite_id
        if run is not None:
            if run.collectivite_id != coll_id:
                raise RecoveryError("Cette campagne n'appartient pas à la collectivité du relevé.")
            qs, what = Paiement.objects.filter(run=run), f"la campagne n° {run.pk}"
        else:
            assert paiement is not None  # one of the two, checked above
            if paiement.piece.collectivite_id != coll_id:
                raise RecoveryError("Ce paiement n'appartient pas à la collectivité du relevé.")
            qs, what = Paiement.objects.filter(pk=paiement.pk), f"le paiement {paiement.reference}"
        rows = list(locked(qs.filter(debit__isnull=True)).values("pk", "montant", "run_id"))
        if not rows:
            raise RecoveryError(f"Les paiements de {what} sont déjà constatés débités.")
        total = sum((r["montant"] for r in rows), ZERO)
        if total > line.reste:
            raise RecoveryError(
                f"Le montant de {what} ({euros(total)}) dépasse le reste à rapprocher de la "
                f"ligne ({euros(line.reste)})."
            )
        debited = debit_payments(Paiement.objects.filter(pk__in=[r["pk"] for r in rows]), line)
        if debited != len(rows):  # pragma: no cover - the rows are locked
            raise RecoveryError(CHANGED)
        per_run: dict[int, tuple[int, datetime.date]] = {}
        for r in rows:
            if r["run_id"]:
                count_run(per_run, r["run_id"], 1, line.date)
        update_runs(per_run)
        line.montant_rapproche += total
        line.rapprochee = line.montant_rapproche == line.montant
        line.methode = CamtDebit.Methode.MANUEL
        if line.run_id is None and len(per_run) == 1:
            line.run_id = next(iter(per_run))
        line.explication = "" if line.rapprochee else f"Reste {euros(line.reste)} à rapprocher."
        line.save(
            update_fields=["montant_rapproche", "rapprochee", "methode", "run", "explication"]
        )
        if line.rapprochee:
            CamtImport.objects.filter(pk=line.camt_id).update(
                debits_rapproches=F("debits_rapproches") + 1
            )
        journal.record(
            "helios_debit_rapproche",
            actor_label=actor,
            obj=line,
            collectivite=coll_id,
            details={
                "campagne": run.pk if run is not None else None,
                "paiement": paiement.reference if paiement is not None else None,
                "paiements": len(rows),
                "montant": str(total),
                "rapprochee": line.rapprochee,
            },
        )
    return len(rows)


@dataclass(frozen=True)
class Choice:
    value: str  # "run-<pk>" or "paiement-<pk>"
    label: str


def debit_choices(line: CamtDebit, *, days: int = 60, limit: int = 100) -> list[Choice]:
    """Runs and payments that could explain a waiting line: of its collectivité, executed in
    the `days` before it, not yet debited, within what remains to reconcile."""
    coll_id, reste = line.camt.collectivite_id, line.reste
    since = line.date - datetime.timedelta(days=days)
    runs = (
        Paiement.objects.filter(
            run__collectivite_id=coll_id,
            debit__isnull=True,
            run__date_execution__gte=since,
            run__date_execution__lte=line.date,
        )
        .values("run_id", "run__date_execution")
        .annotate(n=Count("pk"), s=Sum("montant"))
        .filter(s__lte=reste)
        .order_by("-run__date_execution", "-run_id")[:limit]
    )
    choices = [
        Choice(
            f"run-{r['run_id']}",
            f"Campagne n° {r['run_id']} du {r['run__date_execution']:%d/%m/%Y} — "
            f"{pluriel(r['n'], 'paiement')} à débiter, {euros(r['s'])}",
        )
        for r in runs
    ]
    payments = (
        Paiement.objects.filter(
            piece__collectivite_id=coll_id,
            debit__isnull=True,
            montant__lte=reste,
            date__gte=since,
            date__lte=line.date,
        )
        .select_related("piece__tiers")
        .order_by("-date", "-pk")[:limit]
    )
    choices += [
        Choice(
            f"paiement-{p.pk}",
            f"Mandat n° {p.piece.id_pce} — {p.piece.tiers or 'sans tiers'} — {euros(p.montant)} "
            f"le {p.date:%d/%m/%Y} ({p.reference})",
        )
        for p in payments
    ]
    return choices


__all__ = ["Choice", "debit_choices", "match_debit", "waiting_lines"]
