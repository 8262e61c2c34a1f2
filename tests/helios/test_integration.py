"""The hand-off of acknowledged flows to the ledger, in one process: the task row commits with
the acknowledgement, the sweep hands off what was lost, retries grow, failures show and can be
relaunched, nothing is written twice."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pigp.helios import reception
from pigp.helios.models import Bordereau, Piece
from pigp.helios.receivers import _on_flux_accepted, ingest_flux
from pigp.passerelle import intake, integration
from pigp.passerelle.models import Flux, IntegrationFlux, StatutFlux
from pigp.passerelle.pipeline import process_flux, recover_stale
from pigp.passerelle.signals import flux_accepted, flux_integration_due
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
INGEST = "pigp.helios.receivers.ingest_flux"


class Rollback(Exception):
    pass


def _without_helios():
    """A context in which Hélios does not hear the passerelle: the hand-off's task is lost."""

    class _Ctx:
        def __enter__(self):
            flux_accepted.disconnect(_on_flux_accepted, dispatch_uid="helios_ingest")

        def __exit__(self, *exc):
            flux_accepted.connect(_on_flux_accepted, dispatch_uid="helios_ingest")

    return _Ctx()


def test_the_ingest_task_row_is_written_in_the_acknowledging_transaction(sicoval, tmp_path):
    from pigp.formats.pes.generator import generate_pes_aller

    budget = sicoval.budgets.get()
    path = tmp_path / "f.xml"
    generate_pes_aller(
        path,
        seed=31,
        pieces=5,
        id_post=sicoval.poste.codique,
        id_coll=sicoval.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
    )
    with override_settings(TASKS=DB_TASKS):
        with path.open("rb") as fh:
            [received] = intake.receive(fh, filename="f.xml", collectivite=sicoval, canal="web")
        flux_id = received.flux.pk
        with pytest.raises(Rollback), transaction.atomic():
            process_flux.call(flux_id=flux_id)
            flux = Flux.objects.get(pk=flux_id)
            assert flux.statut == StatutFlux.ACQUITTE
            assert flux.integration == IntegrationFlux.EN_ATTENTE
            # Inside the transaction, before any commit: the row is already there.
            assert DBTaskResult.objects.filter(task_path=INGEST).count() == 1
            raise Rollback
        # The acknowledgement rolled back: its task row with it.
        assert not DBTaskResult.objects.filter(task_path=INGEST).exists()
        flux = Flux.objects.get(pk=flux_id)
        assert flux.statut == StatutFlux.POSTE and flux.integration == ""

        process_flux.call(flux_id=flux_id)
        [row] = DBTaskResult.objects.filter(task_path=INGEST)
        assert row.args_kwargs["kwargs"] == {"flux_id": flux_id}


def test_the_sweep_hands_off_a_flow_whose_task_was_lost(sicoval, tmp_path):
    with _without_helios():
        flux = receive_generated(sicoval, tmp_path / "perdu.xml", seed=32, pieces=7)
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.EN_ATTENTE and flux.integration_due_at
    assert not Bordereau.objects.filter(flux=flux).exists()
    assert recover_stale() == []  # not due yet: its task may still be waiting in the queue

    Flux.objects.filter(pk=flux.pk).update(integration_due_at=timezone.now())
    assert recover_stale() == [flux.pk]
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.INTEGREE and flux.integration_attempts == 1
    assert Piece.objects.filter(bordereau__flux=flux).count() == 7
    assert recover_stale() == []


def test_a_duplicate_hand_off_writes_nothing_twice(sicoval, tmp_path):
    flux = receive_generated(sicoval, tmp_path / "f.xml", seed=33, bordereaux=2, pieces=4)
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.INTEGREE
    with transaction.atomic():
        flux_integration_due.send(sender=Flux, flux=flux)
    assert ingest_flux.call(flux_id=flux.pk) == {"etat": "déjà intégré, en échec ou en cours"}
    assert Bordereau.objects.filter(flux=flux).count() == 2
    assert Piece.objects.filter(bordereau__flux=flux).count() == 8


def test_a_flow_held_by_a_live_run_is_not_ingested_by_a_second_one(sicoval, tmp_path):
    with _without_helios():
        flux = receive_generated(sicoval, tmp_path / "f.xml", seed=34, pieces=3)
    assert integration.claim(flux.pk) is not None  # a first run holds it
    assert ingest_flux.call(flux_id=flux.pk) == {"etat": "déjà intégré, en échec ou en cours"}
    assert integration.due().filter(pk=flux.pk).count() == 0  # nor does the sweep send it
    assert not Bordereau.objects.filter(flux=flux).exists()


def test_retry_delay_grows_and_is_capped(settings):
    settings.PIGP_INTEGRATION_RETRY_SECONDS = 30
    settings.PIGP_INTEGRATION_RETRY_MAX_SECONDS = 3600
    delays = [integration.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_failing_ingest_ends_in_echec_and_an_operator_relaunches_it(
    sicoval, tmp_path, monkeypatch, settings, capsys
):
    settings.PIGP_INTEGRATION_MAX_ATTEMPTS = 3
    real = reception._create_bordereau

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(reception, "_create_bordereau", broken)
    # Immediate backend: each retry runs at once, until the limit.
    flux = receive_generated(sicoval, tmp_path / "f.xml", seed=35, pieces=6)
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.ECHEC and flux.integration_attempts == 3
    assert flux.integration_error == "OSError: disque plein"
    assert flux.integration_due_at is None
    assert recover_stale() == []  # the sweep leaves a failure to the operator
    assert not Bordereau.objects.filter(flux=flux).exists()

    monkeypatch.setattr(reception, "_create_bordereau", real)
    call_command("passerelle_integration", "--relancer", str(flux.pk))  # dry run
    assert "(simulation) Intégration relancée" in capsys.readouterr().out
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.ECHEC
    call_command("passerelle_integration", "--relancer", str(flux.pk), "--apply")
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.INTEGREE
    assert Piece.objects.filter(bordereau__flux=flux).count() == 6


def test_runs_that_die_each_time_end_in_echec(sicoval, tmp_path, settings):
    settings.PIGP_INTEGRATION_MAX_ATTEMPTS = 3
    with _without_helios():
        flux = receive_generated(sicoval, tmp_path / "f.xml", seed=36, pieces=2)
    past = timezone.now() - datetime.timedelta(seconds=1)
    # Three runs claimed it and died without a word (lease past each time).
    Flux.objects.filter(pk=flux.pk).update(integration_attempts=3, integration_lease_until=past)
    assert integration.claim(flux.pk) is None
    flux.refresh_from_db()
    assert flux.integration == IntegrationFlux.ECHEC
    assert "interrompues" in flux.integration_error
