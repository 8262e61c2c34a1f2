"""Nothing accepted is lost on the way to Hélios — with real worker processes on a file
database: one killed between the acknowledgement and the ingest, an ingest that fails once,
one that always fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from pigp.core.models import JournalEntry
from pigp.formats.pes.generator import generate_pes_aller
from pigp.helios.models import Bordereau, Ligne, Piece
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, IntegrationFlux, StatutFlux
from tests.conftest import grant, make_user, verified_client
from tests.passerelle.test_reliability import _db_url
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _deposit(coll, tmp_path, **kw):
    """A generated PES_Aller deposited with the database task backend: nothing runs here,
    its processing waits for a worker."""
    budget = coll.budgets.get()
    path = tmp_path / "flux.xml"
    info = generate_pes_aller(
        path,
        id_post=coll.poste.codique,
        id_coll=coll.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
        **kw,
    )
    with override_settings(TASKS=DB_TASKS), path.open("rb") as fh:
        [received] = intake.receive(fh, filename="flux.xml", collectivite=coll, canal="web")
    return received.flux.pk, info


def _env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _db_url(),
        "DJANGO_SETTINGS_MODULE": "pigp.settings",
        "PIGP_PASSERELLE_LEASE_SECONDS": "2",
        "PIGP_INTEGRATION_RETRY_SECONDS": "1",
        "PIGP_INTEGRATION_MAX_ATTEMPTS": "3",
        "PIGP_INTEGRATION_GRACE_SECONDS": "1",
        **extra,
    }
    env.pop("PIGP_TESTING", None)
    return env


def _start(cmd: list[str], env, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _faulty(fault: str, log: Path) -> subprocess.Popen:
    script = str(REPO / "tests" / "helios" / "faulty_worker.py")
    return _start([sys.executable, script], _env(PIGP_TEST_FAULT=fault), log)


def _plain(log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "manage.py", "pigp_worker", "--interval", "0.1", "--sweep-every", "0.5"]
    return _start(cmd, _env(), log)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _integration(flux_id: int) -> str:
    return Flux.objects.get(pk=flux_id).integration


def test_worker_killed_between_acknowledgement_and_ingest(sicoval, tmp_path):
    flux_id, info = _deposit(sicoval, tmp_path, seed=21, bordereaux=2, pieces=30, lignes=2)
    marker = tmp_path / "ingest-started"
    log = tmp_path / "workers.log"
    first = _faulty(f"block:{marker}", log)
    try:
        wait_for(marker.exists, 90, "the first worker to acknowledge and start the ingest", log=log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    flux = Flux.objects.get(pk=flux_id)
    assert flux.statut == StatutFlux.ACQUITTE
    assert flux.integration == IntegrationFlux.EN_ATTENTE
    assert not Bordereau.objects.filter(flux=flux).exists()  # killed before any ledger write

    second = _plain(log)
    try:
        wait_for(
            lambda: _integration(flux_id) == IntegrationFlux.INTEGREE,
            120,
            "the second worker to take the flow into the ledger",
            log=log,
        )
    finally:
        _stop(second)
    flux = Flux.objects.get(pk=flux_id)
    assert flux.integration_attempts == 2 and flux.integrated_at is not None
    # Exactly once: every pièce and line of the flow, none twice.
    assert Bordereau.objects.filter(flux=flux).count() == 2
    assert Piece.objects.filter(bordereau__flux=flux).count() == info.pieces
    assert Ligne.objects.filter(piece__bordereau__flux=flux).count() == info.lignes
    receptions = JournalEntry.objects.filter(action="helios_reception", object_id=str(flux_id))
    assert receptions.count() == 1


def test_ingest_that_fails_once_is_retried_and_done(sicoval, tmp_path):
    flux_id, info = _deposit(sicoval, tmp_path, seed=22, bordereaux=1, pieces=25)
    log = tmp_path / "worker.log"
    worker = _faulty("fail-once", log)
    try:
        wait_for(
            lambda: _integration(flux_id) == IntegrationFlux.INTEGREE,
            120,
            "the retried ingest to finish",
            log=log,
        )
    finally:
        _stop(worker)
    flux = Flux.objects.get(pk=flux_id)
    assert flux.integration_attempts == 2 and flux.integration_error == ""
    assert Bordereau.objects.filter(flux=flux).count() == 1
    assert Piece.objects.filter(bordereau__flux=flux).count() == info.pieces
    errors = JournalEntry.objects.filter(action="flux_integration_erreur", object_id=str(flux_id))
    assert [e.details["tentatives"] for e in errors] == [1]
    assert "panne injectée" in errors.get().details["exception"]


def test_ingest_that_always_fails_is_visible_and_writes_nothing(sicoval, tmp_path, client):
    flux_id, _info = _deposit(sicoval, tmp_path, seed=23, bordereaux=2, pieces=20)
    log = tmp_path / "worker.log"
    worker = _faulty("fail-always", log)
    try:
        wait_for(
            lambda: _integration(flux_id) == IntegrationFlux.ECHEC,
            120,
            "the ingest to give up",
            log=log,
        )
    finally:
        _stop(worker)
    flux = Flux.objects.get(pk=flux_id)
    assert flux.integration_attempts == 3 and "panne injectée" in flux.integration_error
    assert flux.statut == StatutFlux.ACQUITTE  # the depositor's acknowledgement stands
    # Nothing half-written: each try's bordereau was rolled back whole.
    assert not Bordereau.objects.filter(flux=flux).exists()
    assert not Piece.objects.filter(collectivite=sicoval).exists()
    tries = JournalEntry.objects.filter(object_id=str(flux_id), action__startswith="flux_integ")
    assert list(tries.order_by("id").values_list("action", flat=True)) == [
        "flux_integration_erreur",
        "flux_integration_erreur",
        "flux_integration_echec",
    ]

    comptable = make_user("comptable.labege@example.fr", poste=sicoval.poste)
    verified_client(client, comptable)
    page = client.get("/passerelle/supervision/").content.decode()
    assert "Intégration en échec" in page and "panne injectée" in page and "flux.xml" in page
    api = client.get("/api/v1/supervision/").json()
    counts = {c["integration"]: c["nombre"] for c in api["par_integration"]}
    assert counts == {"en_attente": 0, "echec": 1}
    [problem] = api["integrations_a_traiter"]
    assert problem["id"] == flux_id and problem["integration"] == "echec"
    assert "panne injectée" in problem["integration_erreur"]
    # The collectivité sees it too, on the flow's page and in the API.
    reader = make_user("lecteur.sicoval@example.fr")
    grant(reader, sicoval, "passerelle", "consultation")
    client.force_login(reader)
    page = client.get(f"/passerelle/flux/{flux_id}/").content.decode()
    assert "Intégration en échec" in page and "panne injectée" not in page
    listing = client.get(f"/passerelle/{sicoval.pk}/flux/").content.decode()
    assert "Intégration en échec" in listing
    detail = client.get(f"/api/v1/flux/{flux_id}/").json()
    assert detail["integration"] == "echec" and detail["integration_tentatives"] == 3
