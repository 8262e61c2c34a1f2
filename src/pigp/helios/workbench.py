"""The comptable's workbench: the queue of bordereaux and the actions on pièces.

Views call these; they take querysets already limited to the agent's poste (`access.py`).
A decision on a whole bordereau of many pièces runs in the background (`request_bulk`,
`run_bulk`), batch by batch, through the same `apply` as a decision taken at once.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pigp.core import journal
from pigp.core.models import User
from pigp.helios import states
from pigp.helios.access import bordereaux_for_agent, collectivites_for_agent
from pigp.helios.models import (
    OPEN_STATUTS,
    ActionGroupee,
    Bordereau,
    Domaine,
    EtatPiece,
    Piece,
    StatutActionGroupee,
)
from pigp.helios.tasks import run_bulk_action
from pigp.ui.text import pluriel

log = logging.getLogger(__name__)

AWAITING = (EtatPiece.RECUE, EtatPiece.EN_INSTANCE)


@dataclass(frozen=True)
class Action:
    slug: str
    target: str
    label: str  # button
    done: str  # past participle agreeing with "pièce"
    done_plural: str
    needs_motif: bool


ACTIONS: dict[str, Action] = {
    a.slug: a
    for a in (
        Action(
            "prendre-en-charge",
            EtatPiece.PRISE_EN_CHARGE,
            "Prendre en charge",
            "prise en charge",
            "prises en charge",
            False,
        ),
        Action("rejeter", EtatPiece.REJETEE, "Rejeter", "rejetée", "rejetées", True),
        Action(
            "mettre-en-instance",
            EtatPiece.EN_INSTANCE,
            "Mettre en instance",
            "mise en instance",
            "mises en instance",
            True,
        ),
    )
}


# -- queue --------------------------------------------------------------------------------


def queue(
    user: User, *, collectivite_id: int | None = None, domaine: str = "", tri: str = ""
) -> QuerySet[Bordereau]:
    """Bordereaux having pièces awaiting prise en charge, oldest first, with their counts."""
    awaiting = Piece.objects.filter(bordereau_id=OuterRef("pk"), etat__in=AWAITING)
    qs = (
        bordereaux_for_agent(user)
        .filter(Exists(awaiting))
        .select_related("exercice__budget__collectivite")
        .annotate(
            n_pieces=Count("pieces"),
            n_recues=Count("pieces", filter=Q(pieces__etat=EtatPiece.RECUE)),
            n_instance=Count("pieces", filter=Q(pieces__etat=EtatPiece.EN_INSTANCE)),
            montant_attente=Sum("pieces__mt_ttc", filter=Q(pieces__etat__in=AWAITING)),
        )
        .order_by("recu_le", "id")
    )
    if collectivite_id:
        qs = qs.filter(exercice__budget__collectivite_id=collectivite_id)
    if domaine in Domaine.values:
        qs = qs.filter(domaine=domaine)
    if tri == "collectivite":
        qs = qs.order_by("exercice__budget__collectivite__nom", "recu_le", "id")
    return qs


@dataclass
class CollectiviteCount:
    pk: int
    nom: str
    bordereaux: int
    pieces: int
    oldest: datetime.datetime | None

    @property
    def age(self) -> int:
        return age_days(self.oldest)


def counts_by_collectivite(user: User, *, domaine: str = "") -> list[CollectiviteCount]:
    """Pièces and bordereaux awaiting, per collectivité of the poste (one query)."""
    pieces = Piece.objects.filter(collectivite__poste_id=user.poste_id, etat__in=AWAITING)
    if domaine in Domaine.values:
        pieces = pieces.filter(domaine=domaine)
    rows = (
        pieces.values("collectivite_id", "collectivite__nom")
        .annotate(
            n=Count("id"),
            b=Count("bordereau_id", distinct=True),
            oldest=Min("bordereau__recu_le"),
        )
        .order_by("collectivite__nom")
    )
    return [
        CollectiviteCount(r["collectivite_id"], r["collectivite__nom"], r["b"], r["n"], r["oldest"])
        for r in rows
    ]


def collectivite_choices(user: User) -> list[tuple[int, str]]:
    return list(collectivites_for_agent(user).order_by("nom").values_list("pk", "nom"))


def age_days(moment: datetime.datetime | None) -> int:
    if moment is None:
        return 0
    return max((timezone.localdate() - timezone.localdate(moment)).days, 0)


# -- pièces of a bordereau ----------------------------------------------------------------


def pieces_of(bordereau: Bordereau) -> QuerySet[Piece]:
    return bordereau.pieces.select_related("tiers", "bordereau").order_by("id")


def etat_counts(bordereau: Bordereau) -> list[tuple[str, int]]:
    rows = dict(bordereau.pieces.values_list("etat").annotate(n=Count("id")).order_by())
    return [(label, rows[value]) for value, label in EtatPiece.choices if rows.get(value)]


# -- actions ------------------------------------------------------------------------------


@dataclass
class Outcome:
    action: Action
    moved: list[Piece] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # Pièces already decided, left as they are: « mandat n° 3 (rejetée) ».
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return moved_summary(self.action, len(self.moved))

    def skips(self, limit: int = 10) -> str:
        return skipped_summary(len(self.skipped), self.skipped[:limit])

    def refusals(self, limit: int = 10) -> str:
        if not self.refused:
            return ""
        n = len(self.refused)
        shown = " ".join(self.refused[:limit])
        more = f" … et {n - limit} autre(s) refus." if n > limit else ""
        return f"{pluriel(n, 'pièce refusée,pièces refusées')} : {shown}{more}"


def skipped_summary(n: int, labels: list[str]) -> str:
    """« 1 pièce déjà décidée, laissée telle quelle : mandat n° 3 (rejetée). » (or "")."""
    if not n:
        return ""
    more = f" … et {pluriel(n - len(labels), 'autre')}" if n > len(labels) else ""
    if n == 1:
        head = "1 pièce déjà décidée, laissée telle quelle"
    else:
        head = f"{n} pièces déjà décidées, laissées telles quelles"
    return f"{head} : {', '.join(labels)}{more}."


def moved_summary(action: Action, n: int) -> str:
    if not n:
        return "Aucune pièce n'a changé d'état."
    done = action.done_plural if n > 1 else action.done
    return f"{pluriel(n, 'pièce')} {done}."


def apply(
    actor: str,
    pieces: Iterable[Piece],
    action: Action,
    *,
    motifs: Iterable[str] = (),
    commentaire: str = "",
    skip_decided: bool = True,
) -> Outcome:
    """Apply `action` to each pièce that allows it; the others are reported, never raised:
    already decided ones are skipped (`Outcome.skipped`), the rest refused with the reason.
    The pièce page, where the comptable acts on one pièce, refuses instead (`skip_decided`).

    One outer transaction: each pièce's transition becomes a savepoint instead of a commit
    (a refused pièce rolls back alone), which makes a bordereau of hundreds of pièces several
    times faster.
    """
    with transaction.atomic():
        moved, refused, skipped = states.transition_many(
            pieces,
            action.target,
            actor=actor,
            motif_code=" ".join(motifs) if action.needs_motif else "",
            commentaire=commentaire if action.needs_motif else "",
            skip_decided=skip_decided,
        )
    return Outcome(action, moved, refused, skipped)


def available_actions(piece: Piece) -> list[Action]:
    if piece.verrouillee:
        return []
    return [a for a in ACTIONS.values() if states.allowed(piece, a.target)]


# -- bordereau-wide actions in the background ----------------------------------------------

# Pièces decided per committed batch: the write lock is held about a second, and a run
# taken over after a crash resumes after the last committed batch.
BULK_BATCH = 50
# Already decided pièces named on the outcome (all are counted): a second decision on a large
# bordereau skips most of it, and the list is rewritten with every batch.
SKIPPED_KEPT = 50
# A run that has committed nothing for that long is presumed dead and may be taken over.
BULK_LEASE = datetime.timedelta(minutes=5)
BUSY = (
    "Une décision sur l'ensemble de ce bordereau est déjà en cours : attendez qu'elle soit "
    "terminée avant d'en demander une autre."
)
S = StatutActionGroupee


class BulkRefused(Exception):
    """A bulk action that cannot be requested or resumed now; the message is French."""


def runs_in_background(n_pieces: int) -> bool:
    return n_pieces > settings.PIGP_HELIOS_BULK_INLINE_MAX


def latest_bulk(bordereau: Bordereau) -> ActionGroupee | None:
    return bordereau.actions_groupees.order_by("-cree_le", "-id").first()


def ensure_no_bulk_running(bordereau: Bordereau) -> None:
    if bordereau.actions_groupees.filter(statut__in=OPEN_STATUTS).exists():
        raise BulkRefused(BUSY)


def is_stalled(bulk: ActionGroupee) -> bool:
    """Stopped by an error, or claimed by a run that has shown no progress for a lease."""
    if bulk.statut == S.ECHEC:
        return True
    return (
        bulk.statut == S.EN_COURS
        and bulk.bail_jusqua is not None
        and bulk.bail_jusqua < timezone.now()
    )


def bulk_summary(bulk: ActionGroupee) -> str:
    return moved_summary(ACTIONS[bulk.action], bulk.n_changees)


def bulk_skips(bulk: ActionGroupee) -> str:
    return skipped_summary(bulk.n_deja_decidees, bulk.deja_decidees)


def request_bulk(
    user: User,
    bordereau: Bordereau,
    action: Action,
    *,
    motifs: Iterable[str] = (),
    commentaire: str = "",
) -> ActionGroupee:
    """Record the decision on every pièce of `bordereau` and enqueue the task that applies it.

    The task is enqueued inside the transaction that records the request: with the database
    backend its row commits (or rolls back) with it. A second request while one is waiting or
    running is refused (a partial unique constraint, so two concurrent requests cannot both pass).
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                bulk = ActionGroupee.objects.create(
                    bordereau=bordereau,
                    action=action.slug,
                    motif_code=" ".join(motifs) if action.needs_motif else "",
                    commentaire=commentaire if action.needs_motif else "",
                    demandee_par=user.email,
                    n_pieces=bordereau.pieces.count(),
                )
        except IntegrityError:
            raise BulkRefused(BUSY) from None
        _journal(user, bulk, "helios_action_groupee_demandee")
        run_bulk_action.enqueue(action_id=bulk.pk)
    return bulk


def resume_bulk(user: User, bulk: ActionGroupee) -> None:
    """Enqueue again a stalled bulk action: it goes on after its last committed batch."""
    latest = latest_bulk(bulk.bordereau)
    if latest is None or latest.pk != bulk.pk:
        raise BulkRefused("Seule la dernière décision groupée du bordereau peut être reprise.")
    if not is_stalled(bulk):
        raise BulkRefused("Ce traitement n'est pas interrompu : il n'y a rien à reprendre.")
    with transaction.atomic():
        if bulk.statut == S.ECHEC:
            try:
                with transaction.atomic():
                    reopened = ActionGroupee.objects.filter(pk=bulk.pk, statut=S.ECHEC).update(
                        statut=S.EN_ATTENTE, erreur="", fin_le=None
                    )
            except IntegrityError:
                raise BulkRefused(BUSY) from None
            if not reopened:
                raise BulkRefused("Ce traitement a déjà été repris.")
        _journal(user, bulk, "helios_action_groupee_reprise")
        run_bulk_action.enqueue(action_id=bulk.pk)


def recover_stalled_bulk() -> list[int]:
    """Enqueue again the bulk actions a dead worker left running (lease past), and those still
    waiting a lease after their request (their task was taken by a worker that died before
    claiming the action), at worker start. A duplicate run is harmless (`claim_bulk`).

    An action stopped by an error is left for the comptable to resume after reading it.
    """
    now = timezone.now()
    stalled = list(
        ActionGroupee.objects.filter(
            Q(statut=S.EN_COURS, bail_jusqua__lt=now)
            | Q(statut=S.EN_ATTENTE, cree_le__lt=now - BULK_LEASE)
        ).select_related("bordereau__exercice__budget")
    )
    for bulk in stalled:
        with transaction.atomic():
            _journal(None, bulk, "helios_action_groupee_reprise", actor_label="pigp_worker")
            run_bulk_action.enqueue(action_id=bulk.pk)
    return [bulk.pk for bulk in stalled]


def run_bulk(action_id: int, *, batch: int = BULK_BATCH) -> ActionGroupee:
    """The task's work: claim the action, then decide its pièces batch by batch.

    Idempotent: a finished action, or one another live run holds, is left alone; a run taken
    over resumes after the last committed batch, so no pièce is decided twice.
    """
    token = claim_bulk(action_id)
    if token is not None:
        try:
            while run_bulk_batch(action_id, token, batch=batch):
                pass
        except Exception as exc:
            log.exception("action groupée %s: technical error", action_id)
            ActionGroupee.objects.filter(pk=action_id, jeton=token).update(
                statut=S.ECHEC,
                fin_le=timezone.now(),
                bail_jusqua=None,
                jeton="",
                erreur=f"Le traitement s'est arrêté sur une erreur technique ({type(exc).__name__}).",
            )
            raise
    return ActionGroupee.objects.get(pk=action_id)


def claim_bulk(action_id: int) -> str | None:
    """Take the action for this run (waiting, or left by a run whose lease is past): a token."""
    now = timezone.now()
    token = uuid.uuid4().hex
    free = Q(statut=S.EN_ATTENTE) | Q(statut=S.EN_COURS, bail_jusqua__lt=now)
    taken = ActionGroupee.objects.filter(free, pk=action_id).update(
        statut=S.EN_COURS,
        jeton=token,
        bail_jusqua=now + BULK_LEASE,
        debut_le=Coalesce(F("debut_le"), Value(now), output_field=DateTimeField()),
    )
    return token if taken else None


def run_bulk_batch(action_id: int, token: str, *, batch: int = BULK_BATCH) -> bool:
    """Decide the next `batch` pièces and move the cursor, in one transaction.

    Returns False once the action is finished, or when this run lost its claim.
    """
    with transaction.atomic():
        bulk = (
            ActionGroupee.objects.select_for_update()
            .filter(pk=action_id, jeton=token, statut=S.EN_COURS)
            .first()
        )
        if bulk is None:
            return False
        pieces = list(
            Piece.objects.filter(bordereau_id=bulk.bordereau_id, pk__gt=bulk.curseur).order_by(
                "pk"
            )[:batch]
        )
        now = timezone.now()
        fields = [
            "n_traitees",
            "n_changees",
            "refus",
            "n_deja_decidees",
            "deja_decidees",
            "curseur",
            "bail_jusqua",
        ]
        if pieces:
            outcome = apply(
                bulk.demandee_par,
                pieces,
                ACTIONS[bulk.action],
                motifs=bulk.motif_code.split(),
                commentaire=bulk.commentaire,
            )
            bulk.curseur = pieces[-1].pk
            bulk.n_traitees += len(pieces)
            bulk.n_changees += len(outcome.moved)
            bulk.refus = [*bulk.refus, *outcome.refused]
            bulk.n_deja_decidees += len(outcome.skipped)
            room = SKIPPED_KEPT - len(bulk.deja_decidees)
            bulk.deja_decidees = [*bulk.deja_decidees, *outcome.skipped[: max(room, 0)]]
        bulk.bail_jusqua = now + BULK_LEASE
        finished = len(pieces) < batch
        if finished:
            bulk.statut, bulk.fin_le, bulk.bail_jusqua, bulk.jeton = S.TERMINEE, now, None, ""
            fields += ["statut", "fin_le", "jeton"]
        bulk.save(update_fields=fields)
    return not finished


def _journal(user: User | None, bulk: ActionGroupee, event: str, *, actor_label: str = "") -> None:
    bordereau = bulk.bordereau
    journal.record(
        event,
        actor=user,
        actor_label=actor_label,
        obj=bordereau,
        collectivite=bordereau.exercice.budget.collectivite_id,
        details={
            "action_groupee": bulk.pk,
            "action": bulk.action,
            "pieces": bulk.n_pieces,
            "motif": bulk.motif_code,
            "commentaire": bulk.commentaire[:300],
        },
    )
