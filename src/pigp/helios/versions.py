"""The ledger's version per exercice (`VersionExercice`), for the pages that compute from it.

Every write to an exercice's pièces calls `touch` in its own transaction: the reception of a
bordereau, a state change (`states.transition`, `money.bulk.bulk_transition`, so payments and
encaissements), a reste à recouvrer or a stage that changes, the clôture, the volume seed.
A reader takes the versions first, then computes: what it computed is current for those
versions, and any later write shows as a higher counter. Nothing depends on clocks.

`touch` takes a row lock on each counter until the transaction ends: writers of one exercice
queue there for the length of their commit, in the order of the exercice ids (no deadlock
between two writers of several exercices). Callers touch before they lock pièces.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F

from pigp.helios.models import Piece, VersionExercice


def touch(exercice_ids: Iterable[int]) -> None:
    """Move the version of each exercice, in the caller's transaction."""
    ids = sorted(set(exercice_ids))
    if not ids:
        return
    counters = VersionExercice.objects.filter(exercice_id__in=ids)
    if counters.update(numero=F("numero") + 1) == len(ids):
        return
    # An exercice's first write creates its counter; another writer may be creating it at the
    # same time (either wins, the other waits for its commit): then it is moved, so that this
    # write is counted in any case.
    missing = set(ids) - set(counters.values_list("exercice_id", flat=True))
    VersionExercice.objects.bulk_create(
        [VersionExercice(exercice_id=pk) for pk in sorted(missing)], ignore_conflicts=True
    )
    VersionExercice.objects.filter(exercice_id__in=missing).update(numero=F("numero") + 1)


CHUNK = 2000


def touch_pieces(piece_ids: Iterable[int]) -> None:
    """`touch` the exercices of these pièces (one query per 2 000 pièces to find them)."""
    ids = list(piece_ids)
    exercices: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        found = Piece.objects.filter(pk__in=ids[start : start + CHUNK]).order_by()
        exercices.update(found.values_list("exercice_id", flat=True).distinct())
    touch(exercices)


def of(exercice_ids: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """The versions of these exercices, as a key: ((exercice id, version), …) in id order
    (0 for an exercice never written)."""
    ids = sorted(set(exercice_ids))
    found = dict(
        VersionExercice.objects.filter(exercice_id__in=ids).values_list("exercice_id", "numero")
    )
    return tuple((pk, found.get(pk, 0)) for pk in ids)


def where(**lookups: object) -> tuple[tuple[int, int], ...]:
    """The versions of the exercices that `lookups` select (e.g. `exercice__budget_id=3`), in one
    query: an exercice never written has no counter yet and is left out, its first write adds
    it (so the key changes all the same)."""
    return tuple(
        VersionExercice.objects.filter(**lookups)
        .order_by("exercice_id")
        .values_list("exercice_id", "numero")
    )
