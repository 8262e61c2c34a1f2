"""Find what a crash may have left behind and reclaim it: nothing received is ever lost.

The intake writes a manifest before moving a file into the object store and removes it after
the flow row commits. A manifest still present after a while means the commit was lost: the
flow is created from it. An object with neither a row nor a manifest is an orphan.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage

from pigp.core import files
from pigp.core.models import Collectivite, StoredFile, User
from pigp.passerelle import integration, mailbox
from pigp.passerelle.intake import Deposit, _create_flux, manifest_digest, manifest_dir
from pigp.passerelle.models import Flux, ServiceAccount
from pigp.passerelle.pipeline import recover_stale


@dataclass
class SweepReport:
    reclaimed: list[str] = field(default_factory=list)  # manifests turned into flows
    finished: list[str] = field(default_factory=list)  # manifests whose flow existed
    orphans: list[str] = field(default_factory=list)  # objects without row nor manifest
    stale_spool: list[str] = field(default_factory=list)
    recovered_flux: list[int] = field(default_factory=list)


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False


def _reclaim(data: dict[str, Any], apply: bool) -> bool:
    # ``data`` is a manifest as json.load gives it back.
    """Create the flow a manifest describes; True if one was (or would be) created."""
    sha = data["sha256"]
    coll = Collectivite.objects.filter(pk=data["collectivite"]).first()
    if coll is None:
        return False
    stored = StoredFile.objects.filter(sha256=sha).first()
    if stored is not None and Flux.objects.filter(collectivite=coll, fichier=stored).exists():
        return False
    if not apply:
        return True
    if stored is None:
        name = files.storage_name_for(sha)
        storage = files.object_storage()
        if not storage.exists(name):
            spool_path = Path(data.get("spool_path") or "")
            if not spool_path.is_file():
                return False
            files.keep(files.SpooledFile(spool_path, sha, data["size"]))
        stored = StoredFile.objects.filter(sha256=sha).first() or StoredFile.objects.create(
            sha256=sha, size=data["size"], storage_name=name, media_type="application/xml"
        )
    user_pk, account_pk = data.get("sender_user"), data.get("sender_account")
    deposit = Deposit(
        collectivite=coll,
        canal=data["canal"],
        sender_user=User.objects.filter(pk=user_pk).first() if user_pk is not None else None,
        sender_account=ServiceAccount.objects.filter(pk=account_pk).first()
        if account_pk is not None
        else None,
        actor="passerelle_sweep",
    )
    _create_flux(stored, data["filename"], deposit, refused_reason=data.get("refused_reason", ""))
    return True


def _objects_on_disk() -> list[str]:
    storage = files.object_storage()
    if not isinstance(storage, FileSystemStorage):
        return []
    root = Path(storage.location) / "sha256"
    if not root.exists():
        return []
    return [p.name for p in root.glob("*/*/*") if p.is_file() and not p.name.startswith(".")]


def sweep(
    *, apply: bool = False, min_age: datetime.timedelta = datetime.timedelta(minutes=10)
) -> SweepReport:
    report = SweepReport()
    age = min_age.total_seconds()
    pending_manifests = set()
    for manifest in sorted(manifest_dir().glob("*.json")):
        if not _older_than(manifest, age):
            pending_manifests.add(manifest_digest(manifest))
            continue
        data = json.loads(manifest.read_text())
        if _reclaim(data, apply):
            report.reclaimed.append(data["sha256"])
        else:
            report.finished.append(data["sha256"])
        if apply:
            manifest.unlink(missing_ok=True)
        pending_manifests.add(manifest_digest(manifest))
    known = set(StoredFile.objects.values_list("sha256", flat=True))
    storage = files.object_storage()
    for sha in _objects_on_disk():
        if sha in known or sha in pending_manifests:
            continue
        path = Path(storage.path(files.storage_name_for(sha)))
        if _older_than(path, age):
            report.orphans.append(sha)
            if apply:
                path.unlink(missing_ok=True)
    for tmp in files.spool_dir().glob("recu-*"):
        if _older_than(tmp, max(age, 24 * 3600)):
            report.stale_spool.append(tmp.name)
            if apply:
                tmp.unlink(missing_ok=True)
    if apply:
        report.recovered_flux = recover_stale()
    return report


def periodic() -> dict[str, list[int]]:
    """What the worker runs at start-up and every PIGP_WORKER_SWEEP_SECONDS: the hand-offs
    whose task row was lost or taken by a worker that died — acknowledged flows not in the
    ledger past their due time, mailbox items whose digest never went."""
    return {"integration": integration.resend_due(), "digests": mailbox.sweep_unnotified()}
