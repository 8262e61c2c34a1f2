"""The audit of the silo: every copy (or those of a random sample of objects) read again and
its SHA-512 recomputed; a missing or corrupted copy is marked so, then repaired from a sound
one (`silo.repair`). Each copy checked is written to the storage log (action « audit »), each
repair too (by the silo), and the run is one journal entry `orc_audit` with its counts.

`audit(sample=None)` returns an `AuditResult` (objects, bytes read, seconds, missing,
corrupted, repaired) that `manage.py orc_audit` prints and the benchmark uses for its MB/s.
The worker's sweep plans a sampled audit every week (`PERIODIC_SAMPLE` %, `AUDIT_PERIOD`),
once whatever the number of workers: the plan's journal entry and the task's row commit
together under the journal head's lock.
"""

from __future__ import annotations

import datetime
import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from pigp.core import journal
from pigp.core.models.journal import JournalEntry, JournalHead
from pigp.orc import silo
from pigp.orc.models import ActionStockage, ArchiveObject, EtatCopie, ObjectCopy, StorageLog

BATCH = 500
PERIODIC_SAMPLE = 5.0  # percent of the objects, every week: the whole silo in about 20 weeks
AUDIT_PERIOD = datetime.timedelta(days=7)


@dataclass(frozen=True)
class AuditResult:
    objects: int
    bytes: int
    seconds: float
    missing: int
    corrupted: int
    repaired: int
    copies: int = 0
    unrepaired: int = 0

    @property
    def mb_per_second(self) -> float:
        return self.bytes / 1_000_000 / self.seconds if self.seconds > 0 else 0.0

    def as_details(self) -> dict[str, Any]:
        return {
            "objets": self.objects,
            "copies": self.copies,
            "octets": self.bytes,
            "secondes": round(self.seconds, 3),
            "absentes": self.missing,
            "alterees": self.corrupted,
            "reparees": self.repaired,
            "non_reparees": self.unrepaired,
        }


def _object_ids(sample: float | None) -> list[int]:
    live = ArchiveObject.objects.filter(eliminated_at__isnull=True).order_by("pk")
    ids = list(live.values_list("pk", flat=True))
    if sample is None or sample >= 100:
        return ids
    if sample <= 0:
        return []
    k = min(len(ids), math.ceil(len(ids) * sample / 100))
    return sorted(random.sample(ids, k))


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def audit(
    sample: float | None = None, *, actor: Any = None, periodique: bool = False
) -> AuditResult:
    """Audit every live object's copies (or a `sample` percent of the objects)."""
    started = time.perf_counter()
    names = silo.copies()
    objects = copies_read = size_read = missing = corrupted = repaired = unrepaired = 0
    for batch in _batches(_object_ids(sample)):
        rows = {
            (copy.obj_id, copy.storage): copy
            for copy in ObjectCopy.objects.filter(obj_id__in=batch)
        }
        damaged: list[tuple[ArchiveObject, str]] = []
        logs: list[StorageLog] = []
        changed: list[ObjectCopy] = []
        now = timezone.now()
        for obj in ArchiveObject.objects.filter(pk__in=batch).order_by("pk"):
            objects += 1
            for name in names:
                seen = silo.digest_of(name, obj.sha512)
                copies_read += 1
                if seen is None:
                    etat, detail = EtatCopie.ABSENTE, f"{obj.sha512}: copie absente"
                    missing += 1
                elif seen != obj.sha512:
                    etat, detail = EtatCopie.ALTEREE, f"{obj.sha512}: empreinte différente ({seen})"
                    corrupted += 1
                    size_read += obj.size
                else:
                    etat, detail = EtatCopie.SAINE, ""
                    size_read += obj.size
                logs.append(
                    StorageLog(
                        storage=name,
                        obj=obj,
                        action=ActionStockage.AUDIT,
                        ok=etat == EtatCopie.SAINE,
                        detail=detail,
                    )
                )
                row = rows.get((obj.pk, name))
                if row is None:
                    row = ObjectCopy.objects.create(
                        obj=obj, storage=name, etat=etat, written_at=obj.created_at
                    )
                row.etat, row.verified_at = etat, now
                changed.append(row)
                if etat != EtatCopie.SAINE:
                    damaged.append((obj, name))
        with transaction.atomic():
            StorageLog.objects.bulk_create(logs)
            # One UPDATE for the sound copies (nearly all); the others one by one.
            sound = [row.pk for row in changed if row.etat == EtatCopie.SAINE]
            ObjectCopy.objects.filter(pk__in=sound).update(etat=EtatCopie.SAINE, verified_at=now)
            for row in changed:
                if row.etat != EtatCopie.SAINE:
                    ObjectCopy.objects.filter(pk=row.pk).update(etat=row.etat, verified_at=now)
        for obj, name in damaged:
            if silo.repair(obj, name):
                repaired += 1
            else:
                unrepaired += 1
    result = AuditResult(
        objects=objects,
        bytes=size_read,
        seconds=time.perf_counter() - started,
        missing=missing,
        corrupted=corrupted,
        repaired=repaired,
        copies=copies_read,
        unrepaired=unrepaired,
    )
    details = result.as_details() | {
        "echantillon_pourcent": sample,
        "periodique": periodique,
    }
    journal.record(
        "orc_audit",
        actor=actor,
        actor_label="" if actor is not None else "pigp (audit)",
        details=details,
    )
    return result


@task()
def audit_task(sample: float | None = PERIODIC_SAMPLE) -> dict[str, Any]:
    return audit(sample, periodique=True).as_details()


def plan_if_due(now: datetime.datetime | None = None) -> bool:
    """Enqueue the weekly sampled audit when the last plan is older than `AUDIT_PERIOD`."""
    now = now or timezone.now()
    with transaction.atomic():
        JournalHead.objects.get_or_create(pk=1)
        JournalHead.objects.select_for_update().filter(pk=1).first()
        last = (
            JournalEntry.objects.filter(action="orc_audit_planifie")
            .order_by("-id")
            .values_list("timestamp", flat=True)
            .first()
        )
        if last is not None and now - last < AUDIT_PERIOD:
            return False
        journal.record(
            "orc_audit_planifie",
            actor_label="pigp (audit)",
            details={"echantillon_pourcent": PERIODIC_SAMPLE},
        )
        audit_task.enqueue(PERIODIC_SAMPLE)
    return True
