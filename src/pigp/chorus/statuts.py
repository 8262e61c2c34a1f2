"""The invoice life cycle (Chorus Pro's statuses) as data, and the one function that moves an
invoice along it: checked, journaled, with its history, in one transaction.

Who moves what:
- the deposit (`depot`): 01 Déposée → 02 En cours d'acheminement → 03 Mise à disposition, or
  01/02 → 04 À recycler when the addressing is wrong; 04 → 01 when the supplier resubmits;
- the recipient (the collectivité): from 03 or 12, 05 Rejetée, 06 Suspendue, 07 Service fait or
  08 Mandatée; from 07, 08, 05 or 06;
- the supplier: 06 → 12 Complétée;
- Hélios (later, through its signals): 08 → 09 → 10 → 11; a rejected mandat puts 08, 09 or
  10 back to 07 (service fait already stated) or 03, with the motif.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from pigp.chorus.models import Facture, FactureEvent, StatutFacture
from pigp.core import journal

S = StatutFacture

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DEPOSEE: frozenset({S.EN_COURS_ACHEMINEMENT, S.A_RECYCLER}),
    S.EN_COURS_ACHEMINEMENT: frozenset({S.MISE_A_DISPOSITION, S.A_RECYCLER}),
    S.MISE_A_DISPOSITION: frozenset({S.REJETEE, S.SUSPENDUE, S.SERVICE_FAIT, S.MANDATEE}),
    S.A_RECYCLER: frozenset({S.DEPOSEE}),
    S.REJETEE: frozenset(),
    S.SUSPENDUE: frozenset({S.COMPLETEE}),
    S.SERVICE_FAIT: frozenset({S.MANDATEE, S.REJETEE, S.SUSPENDUE}),
    S.MANDATEE: frozenset({S.MISE_A_DISPOSITION_COMPTABLE, S.SERVICE_FAIT, S.MISE_A_DISPOSITION}),
    S.MISE_A_DISPOSITION_COMPTABLE: frozenset(
        {S.COMPTABILISEE, S.SERVICE_FAIT, S.MISE_A_DISPOSITION}
    ),
    S.COMPTABILISEE: frozenset({S.MISE_EN_PAIEMENT, S.SERVICE_FAIT, S.MISE_A_DISPOSITION}),
    S.MISE_EN_PAIEMENT: frozenset(),
    S.COMPLETEE: frozenset({S.REJETEE, S.SUSPENDUE, S.SERVICE_FAIT, S.MANDATEE}),
}

# Chorus Pro asks for a motif on these; going back from a mandat (rejected) needs one too.
MOTIF_REQUIRED = frozenset({S.A_RECYCLER, S.REJETEE, S.SUSPENDUE})
BACKWARD = frozenset(
    {
        (S.MANDATEE, S.SERVICE_FAIT),
        (S.MANDATEE, S.MISE_A_DISPOSITION),
        (S.MISE_A_DISPOSITION_COMPTABLE, S.SERVICE_FAIT),
        (S.MISE_A_DISPOSITION_COMPTABLE, S.MISE_A_DISPOSITION),
        (S.COMPTABILISEE, S.SERVICE_FAIT),
        (S.COMPTABILISEE, S.MISE_A_DISPOSITION),
    }
)

# What the recipient may do from the inbox and the invoice's page.
RECIPIENT_ACTIONS = frozenset({S.REJETEE, S.SUSPENDUE, S.SERVICE_FAIT, S.MANDATEE})


class TransitionError(Exception):
    """A move the life cycle refuses; the message is for the user, in French."""


def allowed(statut: str) -> frozenset[str]:
    return TRANSITIONS.get(statut, frozenset())


def can(facture: Facture, to: str) -> bool:
    return to in allowed(facture.statut)


def motif_required(frm: str, to: str) -> bool:
    return to in MOTIF_REQUIRED or (frm, to) in BACKWARD


def _label(code: str) -> str:
    return S(code).label


def transition(
    facture: Facture,
    to: str,
    *,
    actor: Any = None,
    motif: str = "",
    actor_label: str = "",
    at: datetime.datetime | None = None,
    **fields: Any,
) -> Facture:
    """Move `facture` to `to`, with `motif`; `fields` (numero_mandat, date_paiement…) are set
    with it. Refuses a move the life cycle does not allow, or a missing motif. `actor` is a
    user or None (then `actor_label` says who: « Hélios », « Dépôt »)."""
    S(to)
    motif = (motif or "").strip()
    with transaction.atomic():
        locked = Facture.objects.select_for_update().get(pk=facture.pk)
        frm = locked.statut
        if to not in allowed(frm):
            raise TransitionError(
                f"La facture n° {locked.numero} est « {_label(frm)} » : elle ne peut pas passer "
                f"à « {_label(to)} »."
            )
        if motif_required(frm, to) and not motif:
            raise TransitionError(f"Un motif est obligatoire pour passer à « {_label(to)} ».")
        now = at or timezone.now()
        if frm == S.SUSPENDUE:
            locked.delai_suspendu += max(now - locked.statut_le, datetime.timedelta())
        locked.statut = to
        locked.statut_le = now
        locked.motif = motif
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        label = actor_label or (user.email if user is not None else "")
        FactureEvent.objects.create(
            facture=locked, statut=to, at=now, actor=user, actor_label=label, motif=motif
        )
        journal.record(
            "chorus_facture_statut",
            actor=user,
            actor_label=label,
            obj=locked,
            collectivite=locked.collectivite_id,
            details={
                "de": frm,
                "vers": to,
                "motif": motif,
                **{k: str(v) for k, v in fields.items()},
            },
        )
    # The caller's object follows (views and services keep using it).
    for name in ("statut", "statut_le", "motif", "delai_suspendu", *fields):
        setattr(facture, name, getattr(locked, name))
    return facture


def record_initial(facture: Facture, *, actor: Any = None, actor_label: str = "") -> None:
    """The first step of the history, 01 Déposée, written when the deposit creates the invoice."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.email if user is not None else "")
    FactureEvent.objects.create(
        facture=facture, statut=facture.statut, at=facture.statut_le, actor=user, actor_label=label
    )
    journal.record(
        "chorus_facture_deposee",
        actor=user,
        actor_label=label,
        obj=facture,
        collectivite=facture.collectivite_id,
        details={"vers": facture.statut, "fournisseur": facture.fournisseur_id},
    )
