"""A bulk decision whose task was taken by a worker that died before claiming it is resumed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pigp.helios import workbench
from pigp.helios.models import ActionGroupee, StatutActionGroupee
from tests.helios.test_workbench_bulk import low_threshold, request_in_database_backend

pytestmark = pytest.mark.django_db
S = StatutActionGroupee


@low_threshold
def test_a_waiting_bulk_decision_left_by_a_dead_worker_is_resumed_at_start(agent, make_bordereau):
    b = make_bordereau(9, pj=False)
    _response, bulk, _seen = request_in_database_backend(agent, b)
    # Its task row was claimed by a worker that died before `claim_bulk`: still waiting.
    assert bulk.statut == S.EN_ATTENTE
    assert workbench.recover_stalled_bulk() == []  # recent: its task may just be queued
    ActionGroupee.objects.filter(pk=bulk.pk).update(
        cree_le=timezone.now() - workbench.BULK_LEASE - datetime.timedelta(seconds=1)
    )
    assert workbench.recover_stalled_bulk() == [bulk.pk]  # immediate backend: runs at once
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees) == (S.TERMINEE, 9)


@low_threshold
@pytest.mark.parametrize("startup", [True, False])
def test_the_workers_sweep_hook_resumes_bulk_decisions(agent, make_bordereau, startup):
    """pigp_worker does not import Hélios: Hélios answers its `worker_sweep` signal."""
    from pigp.passerelle.signals import worker_sweep

    b = make_bordereau(6, pj=False)
    _response, bulk, _seen = request_in_database_backend(agent, b)
    ActionGroupee.objects.filter(pk=bulk.pk).update(
        cree_le=timezone.now() - workbench.BULK_LEASE - datetime.timedelta(seconds=1)
    )
    answers = [answer for _r, answer in worker_sweep.send_robust(sender=None, startup=startup)]
    assert f"1 décision(s) groupée(s) reprise(s) : {bulk.pk}" in answers
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees) == (S.TERMINEE, 6)
    # Nothing left: the next sweep says nothing.
    assert not any(a for _r, a in worker_sweep.send_robust(sender=None, startup=startup))
