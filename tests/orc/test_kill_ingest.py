"""kill -9 during an ingest: a real `orc_ingest` process, killed with SIGKILL mid-run; the next
run finishes with no duplicate unit or document and no orphan object."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

from pigp.core import files
from pigp.helios.models import PieceJustificative, PjRef
from pigp.orc import ingest, silo
from pigp.orc.models import ArchiveDocument, ArchiveObject, ArchiveUnit, PendingIngest
from tests.helios.test_payments_support import Ledger
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
PIECES = 120


def _db_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    return f"postgres://{user}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _run(env, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "orc_ingest"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.django_db(transaction=True)
def test_ingest_killed_mid_run_is_finished_without_duplicate_or_orphan(
    collectivite, settings, tmp_path
):
    orc_dir = tmp_path / "orc"
    new = dict(settings.STORAGES)
    for n, name in enumerate(settings.PIGP_ORC_COPIES, start=1):
        new[name] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(orc_dir / f"copie-{n}")},
        }
    settings.STORAGES = new
    storages._storages = {}
    storages._backends = None

    ledger = Ledger(collectivite, annee=2025)
    ids = []
    for n in range(PIECES):
        titre = ledger.titre(nom=f"Redevable {n}")
        uid = f"PJ-KILL-{n}"
        PjRef.objects.create(piece=titre, id_unique=uid, nom=f"{uid}.jpg")
        PieceJustificative.objects.create(
            collectivite=collectivite,
            flux=ledger.flux,
            id_unique=uid,
            nom=f"{uid}.jpg",
            mime_type="image/jpeg",
            fichier=files.store_bytes(os.urandom(200_000), media_type="image/jpeg"),
        )
        ids.append(titre.pk)
    ingest.request(ids)  # as the receivers do on prise en charge

    env = {
        **os.environ,
        "DATABASE_URL": _db_url(),
        "DJANGO_SETTINGS_MODULE": "pigp.settings",
        "PIGP_ORC_DIR": str(orc_dir),
        "PIGP_ORC_LEASE_SECONDS": "2",
    }
    env.pop("PIGP_TESTING", None)
    log = tmp_path / "orc_ingest.log"

    first = _run(env, log)
    try:
        wait_for(lambda: ArchiveUnit.objects.count() >= 5, 120, "the first units", log=log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    left = PendingIngest.objects.count()
    assert 0 < left < PIECES, "the kill came too late (or too early) to test anything"
    wait_for(
        lambda: not PendingIngest.objects.filter(lease_until__gt=timezone.now()).exists(),
        10,
        "the dead run's lease to expire",
    )

    second = _run(env, log)
    try:
        assert second.wait(300) == 0, log.read_text()[-3000:]
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait()

    assert not PendingIngest.objects.exists()
    # One unit per pièce, each with its PJ and its flow once.
    assert ArchiveUnit.objects.count() == PIECES
    assert sorted(ArchiveUnit.objects.values_list("piece_id", flat=True)) == sorted(ids)
    assert ArchiveDocument.objects.filter(role="pj").count() == PIECES
    assert ArchiveDocument.objects.filter(role="flux").count() == PIECES
    assert ArchiveDocument.objects.count() == 2 * PIECES
    # No orphan object: every object is a document's, on both copies, and every file on the
    # copies (a temporary one left by the kill included) is an archived object's.
    objects = set(ArchiveObject.objects.values_list("sha512", flat=True))
    used = set(ArchiveDocument.objects.values_list("obj__sha512", flat=True))
    assert objects == used and len(objects) == PIECES + 1
    for name in settings.PIGP_ORC_COPIES:
        root = orc_dir / f"copie-{settings.PIGP_ORC_COPIES.index(name) + 1}"
        on_disk = [p for p in root.rglob("*") if p.is_file()]
        shas = {p.name.lstrip(".").split(".")[0] for p in on_disk}
        assert shas <= objects
        assert {p.name for p in on_disk if not p.name.startswith(".")} == objects
    for obj in ArchiveObject.objects.all()[:20]:
        assert obj.copies.filter(etat="saine").count() == 2
        assert len(silo.read_object(obj)) == obj.size


@pytest.mark.django_db
def test_a_crash_between_the_copies_and_the_unit_leaves_objects_the_rerun_adopts(
    collectivite, monkeypatch
):
    """Deterministic half of the kill test: the copies are written and verified, then the run
    dies before the unit's transaction commits (SystemExit, as a kill would leave it)."""
    from pigp.core import journal

    ledger = Ledger(collectivite, annee=2025)
    titre = ledger.titre()
    PjRef.objects.create(piece=titre, id_unique="PJ-CRASH", nom="avis.jpg")
    PieceJustificative.objects.create(
        collectivite=collectivite,
        flux=ledger.flux,
        id_unique="PJ-CRASH",
        nom="avis.jpg",
        mime_type="image/jpeg",
        fichier=files.store_bytes(b"\xff\xd8 avis de sommes a payer", media_type="image/jpeg"),
    )
    ingest.request([titre.pk])

    def die(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(journal, "record", die)
    with pytest.raises(SystemExit):
        ingest.work_pending()
    monkeypatch.undo()
    # The objects are on both copies, but no unit nor document was written.
    assert ArchiveObject.objects.count() == 2 and not ArchiveUnit.objects.exists()
    assert not ArchiveDocument.objects.exists()
    row = PendingIngest.objects.get(piece=titre)
    assert row.lease_until is not None  # still held by the dead run
    PendingIngest.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert ingest.work_pending().archived == [titre.pk]
    assert ArchiveObject.objects.count() == 2  # adopted, not written twice
    assert set(ArchiveObject.objects.values_list("pk", flat=True)) == set(
        ArchiveDocument.objects.values_list("obj_id", flat=True)
    )
    assert not PendingIngest.objects.exists()
