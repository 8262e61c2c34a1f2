"""Elimination: the dry run of what may be destroyed, the bordereau d'élimination and its
workflow (drawn up and approved by the archivist, visé or refused by the public archives
service), then its execution: content destroyed on every copy, metadata kept.

Execution is two steps that cannot lose anything between them:
1. in one transaction, the units still eligible are marked `eliminee` (those put under hold
   or whose DUA is no longer over are set aside in `ecartees`) and the bordereau `execute`;
2. after the commit, `achever` destroys every object no longer used by a unit that lives on,
   checks that no copy is left, then writes the proof (`orc_elimination`: units, digests).
If step 2 is interrupted, `achever_en_attente` (run by `manage.py orc_eliminations`) finds
the executed bordereaux without proof and finishes them; destroying is idempotent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import IntegerField, Prefetch, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone

from pigp.core import journal
from pigp.core.models import Collectivite, JournalEntry, User
from pigp.orc import access, retention, silo
from pigp.orc.models import (
    ArchiveDocument,
    ArchiveObject,
    ArchiveUnit,
    Elimination,
    StatutElimination,
    StatutUnite,
)

PROOF_ACTION = "orc_elimination"
PENDING = (StatutElimination.PROJET, StatutElimination.APPROUVE, StatutElimination.VISE)


class EliminationError(Exception):
    """A step of the workflow that cannot be done (message in French, shown to the user)."""


@dataclass(frozen=True)
class Eligibility:
    """The dry run: units whose DUA is over, and those held (skipped, with their reason)."""

    today: datetime.date
    eligibles: list[ArchiveUnit]
    ecartees: list[ArchiveUnit]


def _candidates(collectivite: Collectivite, today: datetime.date) -> QuerySet[ArchiveUnit]:
    known = retention.rules()
    shortest = min((rule.annees for rule in known.values()), default=None)
    if shortest is None:
        return ArchiveUnit.objects.none()
    return (
        ArchiveUnit.objects.filter(
            collectivite=collectivite,
            eliminee_le__isnull=True,
            annee__lt=today.year - shortest,
        )
        .exclude(statut=StatutUnite.ELIMINEE)
        .exclude(eliminations__statut__in=PENDING)
        .prefetch_related(
            Prefetch("documents", queryset=ArchiveDocument.objects.only("unit_id", "role"))
        )
        .order_by("annee", "domaine", "numero_bordereau", "numero", "pk")
    )


def eligible(collectivite: Collectivite, today: datetime.date) -> Eligibility:
    """Dry run: units of the collectivité whose DUA ended before `today`, not eliminated nor
    already on a bordereau in progress; held units are listed apart, as skipped."""
    known = retention.rules()
    eligibles: list[ArchiveUnit] = []
    ecartees: list[ArchiveUnit] = []
    for unit in _candidates(collectivite, today):
        fin = retention.dua_fin(unit, known)
        if fin is None or fin >= today:
            continue
        unit.dua_fin = fin
        (ecartees if unit.gel else eligibles).append(unit)
    return Eligibility(today, eligibles, ecartees)


def _ecartee(unit: ArchiveUnit, raison: str) -> dict[str, object]:
    return {
        "id": unit.pk,
        "numero": unit.numero,
        "bordereau": unit.numero_bordereau,
        "annee": unit.annee,
        "raison": raison,
    }


def _require(user: User, elimination: Elimination) -> None:
    if not access.may_act(user, elimination.collectivite, access.ARCHIVER):
        raise PermissionDenied("Seul l'archiviste de la collectivité peut faire cette action.")


def _next_numero(collectivite: Collectivite, year: int) -> str:
    prefix = f"ELIM-{collectivite.siret}-{year}-"
    taken = Elimination.objects.filter(numero__startswith=prefix).values_list("numero", flat=True)
    n = max((int(numero.rsplit("-", 1)[1]) for numero in taken), default=0) + 1
    return f"{prefix}{n}"


def etablir(
    collectivite: Collectivite,
    user: User,
    today: datetime.date,
    *,
    request: HttpRequest | None = None,
) -> Elimination:
    """Draw up a bordereau of every eligible unit (held ones recorded as set aside)."""
    if not access.may_act(user, collectivite, access.ARCHIVER):
        raise PermissionDenied("Seul l'archiviste de la collectivité peut établir un bordereau.")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                found = eligible(collectivite, today)
                if not found.eligibles:
                    raise EliminationError("Aucune pièce n'est éliminable à cette date.")
                elimination = Elimination.objects.create(
                    collectivite=collectivite,
                    numero=_next_numero(collectivite, today.year),
                    cree_par=user,
                    ecartees=[_ecartee(u, f"gel : {u.gel_motif}") for u in found.ecartees],
                )
                elimination.units.set(found.eligibles)
                ArchiveUnit.objects.bulk_update(found.eligibles, ["dua_fin"])
                journal.record(
                    "orc_elimination_etablie",
                    actor=user,
                    obj=elimination,
                    collectivite=collectivite,
                    request=request,
                    details={
                        "numero": elimination.numero,
                        "unites": [u.pk for u in found.eligibles],
                        "ecartees": [u.pk for u in found.ecartees],
                    },
                )
                return elimination
        except IntegrityError:  # the same numero drawn by a concurrent request: draw again
            continue
    raise EliminationError("Le bordereau n'a pas pu être numéroté : réessayez.")


def _transition(
    elimination: Elimination,
    user: User,
    *,
    expected: StatutElimination,
    action: str,
    request: HttpRequest | None,
    details: dict[str, object] | None = None,
    **changes: object,
) -> Elimination:
    with transaction.atomic():
        locked = Elimination.objects.select_for_update().get(pk=elimination.pk)
        if locked.statut != expected:
            raise EliminationError(
                f"Ce bordereau est « {locked.get_statut_display()} » : action impossible."
            )
        Elimination.objects.filter(pk=locked.pk).update(**changes)
        locked.refresh_from_db()
        journal.record(
            action,
            actor=user,
            obj=locked,
            collectivite=locked.collectivite_id,
            request=request,
            details={"numero": locked.numero, **(details or {})},
        )
    return locked


def approuver(
    elimination: Elimination, user: User, *, request: HttpRequest | None = None
) -> Elimination:
    _require(user, elimination)
    return _transition(
        elimination,
        user,
        expected=StatutElimination.PROJET,
        action="orc_elimination_approuvee",
        request=request,
        statut=StatutElimination.APPROUVE,
        approuve_par=user,
        approuve_le=timezone.now(),
    )


def _require_visa(user: User, elimination: Elimination) -> None:
    if not access.may_vise(user, elimination):
        raise PermissionDenied(
            "Seul un agent du service d'archives publiques compétent peut viser ce bordereau."
        )


def viser(
    elimination: Elimination, user: User, *, request: HttpRequest | None = None
) -> Elimination:
    _require_visa(user, elimination)
    return _transition(
        elimination,
        user,
        expected=StatutElimination.APPROUVE,
        action="orc_elimination_visee",
        request=request,
        statut=StatutElimination.VISE,
        vise_par=user,
        vise_le=timezone.now(),
    )


def refuser(
    elimination: Elimination, user: User, motif: str, *, request: HttpRequest | None = None
) -> Elimination:
    _require_visa(user, elimination)
    motif = motif.strip()
    if not motif:
        raise EliminationError("Indiquez le motif du refus.")
    return _transition(
        elimination,
        user,
        expected=StatutElimination.APPROUVE,
        action="orc_elimination_refusee",
        request=request,
        details={"motif": motif},
        statut=StatutElimination.REFUSE,
        vise_par=user,
        vise_le=timezone.now(),
        motif_refus=motif[:500],
    )


def executer(
    elimination: Elimination,
    user: User,
    today: datetime.date,
    *,
    request: HttpRequest | None = None,
) -> Elimination:
    """Eliminate the units of a visé bordereau, then destroy their content (see module doc)."""
    _require(user, elimination)
    with transaction.atomic():
        locked = Elimination.objects.select_for_update().get(pk=elimination.pk)
        if locked.statut != StatutElimination.VISE:
            raise EliminationError(
                "Seul un bordereau visé par le service d'archives peut être exécuté."
            )
        known = retention.rules()
        units = list(
            locked.units.select_for_update()
            .prefetch_related(
                Prefetch("documents", queryset=ArchiveDocument.objects.only("unit_id", "role"))
            )
            .order_by("pk")
        )
        ecartees = list(locked.ecartees)
        kept, gone = [], []
        for unit in units:
            fin = retention.dua_fin(unit, known)
            if unit.gel:
                ecartees.append(_ecartee(unit, f"gel : {unit.gel_motif}"))
                kept.append(unit)
            elif fin is None or fin >= today:
                ecartees.append(_ecartee(unit, "durée d'utilité administrative non échue"))
                kept.append(unit)
            elif unit.statut != StatutUnite.ELIMINEE:
                gone.append(unit)
        now = timezone.now()
        locked.units.remove(*kept)
        ArchiveUnit.objects.filter(pk__in=[u.pk for u in gone]).update(
            statut=StatutUnite.ELIMINEE, eliminee_le=now
        )
        Elimination.objects.filter(pk=locked.pk).update(
            statut=StatutElimination.EXECUTE, execute_le=now, ecartees=ecartees
        )
        locked.refresh_from_db()
        journal.record(
            "orc_elimination_executee",
            actor=user,
            obj=locked,
            collectivite=locked.collectivite_id,
            request=request,
            details={
                "numero": locked.numero,
                "unites": [u.pk for u in gone],
                "ecartees": [u.pk for u in kept],
            },
        )
    achever(locked)
    return locked


def has_proof(elimination: Elimination) -> bool:
    return JournalEntry.objects.filter(
        action=PROOF_ACTION, object_type="orc.elimination", object_id=str(elimination.pk)
    ).exists()


def achever(elimination: Elimination) -> JournalEntry | None:
    """Destroy what an executed bordereau eliminated and write its proof (idempotent).

    An object still used by a unit that is not eliminated is kept. The bordereau's row is
    locked meanwhile, so two sweeps never write two proofs. Raises `silo.SiloError` (no
    proof written) when a copy survives the destruction."""
    with transaction.atomic():
        locked = Elimination.objects.select_for_update().filter(pk=elimination.pk).first()
        if locked is None or locked.statut != StatutElimination.EXECUTE or has_proof(locked):
            return None
        units = list(locked.units.order_by("pk"))
        objects = ArchiveObject.objects.filter(documents__unit__in=units).distinct().order_by("pk")
        destroyed, kept = [], []
        for obj in objects:
            if ArchiveDocument.objects.filter(obj=obj, unit__eliminee_le__isnull=True).exists():
                kept.append(obj.sha512)
                continue
            silo.destroy(obj)
            left = [name for name in silo.copies() if silo.digest_of(name, obj.sha512) is not None]
            if left:
                raise silo.SiloError(
                    f"l'objet {obj.sha512[:16]}… est encore présent sur {', '.join(left)}"
                )
            destroyed.append(obj.sha512)
        return journal.record(
            PROOF_ACTION,
            obj=locked,
            collectivite=locked.collectivite_id,
            actor_label="ORC (exécution de l'élimination)",
            details={
                "numero": locked.numero,
                "unites": [
                    {
                        "id": u.pk,
                        "numero": u.numero,
                        "bordereau": u.numero_bordereau,
                        "annee": u.annee,
                        "domaine": u.domaine,
                    }
                    for u in units
                ],
                "empreintes_detruites": destroyed,
                "empreintes_conservees": kept,
                "copies": list(silo.copies()),
                "ecartees": locked.ecartees,
            },
        )


def en_attente() -> QuerySet[Elimination]:
    """Executed bordereaux whose proof of destruction is not in the journal yet."""
    proofs = (
        JournalEntry.objects.filter(action=PROOF_ACTION, object_type="orc.elimination")
        .annotate(elimination_id=Cast("object_id", IntegerField()))
        .values("elimination_id")
    )
    return Elimination.objects.filter(statut=StatutElimination.EXECUTE).exclude(pk__in=proofs)


def achever_en_attente() -> int:
    """Finish every executed bordereau whose proof is missing (an interrupted destruction)."""
    done = 0
    for elimination in en_attente().order_by("pk"):
        if achever(elimination) is not None:
            done += 1
    return done
