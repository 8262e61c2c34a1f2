"""Nothing lost: crash between storage and commit, and a worker killed mid-flow."""

import datetime
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from pigp.core import files
from pigp.core.models import StoredFile
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, MailboxItem, StatutFlux
from pigp.passerelle.sweep import sweep
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


def _old(path: Path) -> None:
    past = time.time() - 3600
    os.utime(path, (past, past))


@pytest.mark.django_db(transaction=True)
def test_sweep_reclaims_a_file_whose_commit_was_lost(sicoval, monkeypatch, capsys):
    content = b"<?xml version='1.0'?><inconnu/>"

    def crash(*args, **kwargs):
        raise SystemExit("crash between storage and commit")

    monkeypatch.setattr(intake, "_create_flux", crash)
    with pytest.raises(SystemExit):
        intake.receive(io.BytesIO(content), filename="perdu.xml", collectivite=sicoval, canal="api")
    monkeypatch.undo()
    assert Flux.objects.count() == 0
    [manifest] = intake.manifest_dir().glob("*.json")
    assert json.loads(manifest.read_text())["filename"] == "perdu.xml"
    _old(manifest)

    call_command("passerelle_sweep")  # dry run: changes nothing
    assert "(simulation) Fichiers reçus récupérés en flux : 1" in capsys.readouterr().out
    assert Flux.objects.count() == 0 and manifest.exists()

    call_command("passerelle_sweep", "--apply")
    flux = Flux.objects.get()
    assert flux.original_name == "perdu.xml" and flux.canal == "api"
    assert flux.statut == StatutFlux.REFUSE  # processed like any deposit
    with files.open_stored(flux.fichier) as fh:
        assert fh.read() == content
    assert not manifest.exists()


@pytest.mark.django_db
def test_sweep_removes_orphans_only_with_apply(sicoval):
    spooled_path = files.spool_dir() / "recu-test"
    spooled_path.write_bytes(b"orphelin")
    import hashlib

    sha = hashlib.sha256(b"orphelin").hexdigest()
    files._put_object(files.SpooledFile(spooled_path, sha, 8), files.storage_name_for(sha))
    target = Path(files.object_storage().path(files.storage_name_for(sha)))
    _old(target)
    report = sweep(apply=False, min_age=datetime.timedelta(minutes=1))
    assert sha in report.orphans and target.exists()
    report = sweep(apply=True, min_age=datetime.timedelta(minutes=1))
    assert sha in report.orphans and not target.exists()
    assert not StoredFile.objects.filter(sha256=sha).exists()


def _db_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    return f"postgres://{user}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _worker(env, log: Path):
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "pigp_worker", "--interval", "0.1"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_flow_is_finished_exactly_once(sicoval, tmp_path):
    from pigp.formats.pes.generator import generate_pes_aller

    budget = sicoval.budgets.get()
    path = tmp_path / "gros.xml"
    generate_pes_aller(
        path,
        seed=7,
        bordereaux=2,
        pieces=2500,
        id_post=sicoval.poste.codique,
        id_coll=sicoval.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
    )
    db_tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=db_tasks), path.open("rb") as fh:
        [received] = intake.receive(fh, filename="gros.xml", collectivite=sicoval, canal="web")
    flux_id = received.flux.pk
    env = {
        **os.environ,
        "DATABASE_URL": _db_url(),
        "PIGP_PASSERELLE_LEASE_SECONDS": "2",
        "DJANGO_SETTINGS_MODULE": "pigp.settings",
    }
    env.pop("PIGP_TESTING", None)

    log = tmp_path / "workers.log"
    first = _worker(env, log)
    try:
        wait_for(
            lambda: Flux.objects.get(pk=flux_id).statut == StatutFlux.EN_COURS,
            60,
            "the first worker to start the flow",
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    flux = Flux.objects.get(pk=flux_id)
    assert flux.statut == StatutFlux.EN_COURS, "the kill came too late to test anything"
    wait_for(
        lambda: Flux.objects.filter(pk=flux_id, lease_until__lt=timezone.now()).exists(),
        10,
        "the dead worker's lease to expire",
    )

    second = _worker(env, log)
    try:
        wait_for(
            lambda: Flux.objects.get(pk=flux_id).statut in (StatutFlux.ACQUITTE, StatutFlux.REFUSE),
            300,
            "the second worker to finish the flow",
            log=log,
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        try:
            second.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait()  # reaped: a Popen still running at teardown is a ResourceWarning
    flux = Flux.objects.get(pk=flux_id)
    assert flux.statut == StatutFlux.ACQUITTE, (flux.message, log.read_text()[-3000:])
    assert flux.attempts == 2
    statuts = list(flux.events.values_list("statut", flat=True))
    assert statuts.count("acquitte") == 1 and statuts.count("transmis") == 1
    assert MailboxItem.objects.filter(related_flux=flux).count() == 1
    assert flux.accepted_bordereaux.count() == 2
