"""Decisions on a whole large bordereau run as a task: request, progress, outcome, failure, resume."""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from html import unescape

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks.signals import task_enqueued

from pigp.core import journal
from pigp.core.models import JournalEntry
from pigp.helios import workbench
from pigp.helios.models import ActionGroupee, EtatPiece, Piece, PieceEvent, StatutActionGroupee
from pigp.helios.tasks import run_bulk_action
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

S = StatutActionGroupee
REJECT = {"action": "rejeter", "portee": "tout", "motifs": ["04"], "commentaire": "Liquidation"}
TAKE = {"action": "prendre-en-charge", "portee": "tout"}
# Tasks are stored and left for a worker: what production does, frozen before the worker runs.
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
low_threshold = override_settings(PIGP_HELIOS_BULK_INLINE_MAX=5)


@contextmanager
def enqueued_tasks():
    seen = []

    def on_enqueued(sender, task_result, **kwargs):
        seen.append(task_result)

    task_enqueued.connect(on_enqueued)
    try:
        yield seen
    finally:
        task_enqueued.disconnect(on_enqueued)


def text(response):
    return unescape(response.content.decode())


def action_url(b):
    return reverse("helios:bordereau_action", args=[b.pk])


def resume_url(bulk):
    return reverse("helios:bordereau_action_reprendre", args=[bulk.bordereau_id, bulk.pk])


def decisions(etat):
    """pièce id → (history rows, journal entries) for decisions to `etat`."""
    events = dict.fromkeys(Piece.objects.values_list("pk", flat=True), 0)
    entries = dict(events)
    for pk in PieceEvent.objects.filter(etat=etat).values_list("piece_id", flat=True):
        events[pk] += 1
    for oid in JournalEntry.objects.filter(action=f"piece_{etat}").values_list(
        "object_id", flat=True
    ):
        entries[int(oid)] += 1
    return events, entries


def request_in_database_backend(agent, b, data=TAKE):
    """Post a bulk request with the database backend: the task is stored, not run."""
    with override_settings(TASKS=DB_TASKS), enqueued_tasks() as seen:
        response = agent.post(action_url(b), data, follow=True)
    bulk = ActionGroupee.objects.get(bordereau=b)
    return response, bulk, seen


# -- above the threshold: a task ----------------------------------------------------------


@low_threshold
def test_large_bordereau_decision_runs_as_a_task_with_every_transition_journaled(
    agent, comptable, make_bordereau
):
    # 60 pièces: two batches of the task (50 + 10); the 4th is already taken in charge.
    b = make_bordereau(60, etats={3: EtatPiece.PRISE_EN_CHARGE}, pj=False)
    with enqueued_tasks() as seen:
        response = agent.post(action_url(b), REJECT, follow=True)
    html = text(response)

    [result] = seen
    bulk = ActionGroupee.objects.get()
    assert result.task.name == "run_bulk_action" and result.kwargs == {"action_id": bulk.pk}
    assert "Traitement de 60 pièces en cours…" in html
    assert (bulk.statut, bulk.n_pieces, bulk.n_traitees, bulk.n_changees) == (
        S.TERMINEE,
        60,
        60,
        59,
    )
    assert bulk.demandee_par == comptable.email and bulk.motif_code == "04"
    assert bulk.fin_le is not None and bulk.jeton == "" and bulk.bail_jusqua is None
    # The mandat already taken in charge is left as it is: not a refusal.
    assert bulk.refus == [] and bulk.n_refusees == 0
    assert (bulk.n_deja_decidees, bulk.deja_decidees) == (1, ["mandat n° 4 (prise en charge)"])

    fourth = b.pieces.get(id_pce="4")
    assert set(b.pieces.exclude(pk=fourth.pk).values_list("etat", flat=True)) == {"rejetee"}
    events, entries = decisions(EtatPiece.REJETEE)
    assert events == entries == {p: int(p != fourth.pk) for p in events}
    assert set(PieceEvent.objects.values_list("actor", "message")) == {
        (comptable.email, "Rejetée — motif 04 : Liquidation")
    }
    assert JournalEntry.objects.filter(action="helios_action_groupee_demandee").count() == 1
    assert journal.verify_chain().intact

    # The bordereau page, where the redirect lands, gives the outcome and the pièce set aside.
    assert response.redirect_chain == [(reverse("helios:bordereau", args=[b.pk]), 302)]
    assert "Décision groupée terminée : rejet de toutes les pièces" in html
    assert "59 pièces rejetées." in html and "écartée" not in html
    assert "1 pièce déjà décidée, laissée telle quelle : mandat n° 4 (prise en charge)." in html
    assert "Prendre en charge" in html  # decisions are open again
    assert "elle est traitée en arrière-plan" in html

    # The task run again for the same request (a retry) changes nothing.
    before = JournalEntry.objects.count()
    run_bulk_action.call(action_id=bulk.pk)
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees, bulk.n_changees) == (S.TERMINEE, 60, 59)
    assert JournalEntry.objects.count() == before
    assert decisions(EtatPiece.REJETEE) == (events, entries)


@low_threshold
def test_at_or_below_the_threshold_the_decision_is_taken_at_once(agent, make_bordereau):
    small = make_bordereau(5)
    large = make_bordereau(8)
    with enqueued_tasks() as seen:
        response = agent.post(action_url(small), TAKE, follow=True)
        # Checked pièces of a large bordereau are few: decided at once too.
        first, second = large.pieces.order_by("id")[:2]
        agent.post(
            action_url(large),
            {"action": "prendre-en-charge", "portee": "selection", "pieces": [first.pk, second.pk]},
        )
    assert seen == [] and not ActionGroupee.objects.exists()
    assert "5 pièces prises en charge." in text(response)
    assert "arrière-plan" not in text(response)
    assert set(small.pieces.values_list("etat", flat=True)) == {"prise_en_charge"}
    assert large.pieces.filter(etat="prise_en_charge").count() == 2
    events, entries = decisions(EtatPiece.PRISE_EN_CHARGE)
    assert sum(events.values()) == sum(entries.values()) == 7


def test_the_default_threshold_is_200_pieces(settings):
    assert settings.PIGP_HELIOS_BULK_INLINE_MAX == 200
    assert not workbench.runs_in_background(200) and workbench.runs_in_background(201)


# -- while it runs ------------------------------------------------------------------------


@low_threshold
def test_request_is_stored_with_its_task_and_a_second_one_is_refused(agent, make_bordereau):
    from django_tasks_db.models import DBTaskResult

    b = make_bordereau(8)
    response, bulk, seen = request_in_database_backend(agent, b, REJECT)
    html = text(response)
    # The task row was written with the request (same transaction): nothing decided yet.
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "pigp.helios.tasks.run_bulk_action"
    assert row.args_kwargs["kwargs"] == {"action_id": bulk.pk} and len(seen) == 1
    assert bulk.statut == S.EN_ATTENTE and not PieceEvent.objects.exists()
    assert "Traitement de 8 pièces en cours…" in html
    assert "Décision groupée en cours : rejet de toutes les pièces" in html
    assert "En attente de traitement (8 pièces)" in html
    assert 'name="action"' not in html and 'name="pieces"' not in html

    for data in (TAKE, {**TAKE, "portee": "selection", "pieces": [b.pieces.first().pk]}):
        with override_settings(TASKS=DB_TASKS):
            response = agent.post(action_url(b), data, follow=True)
        assert "déjà en cours : attendez qu'elle soit terminée" in text(response)
    assert ActionGroupee.objects.count() == 1 and DBTaskResult.objects.count() == 1
    assert set(b.pieces.values_list("etat", flat=True)) == {"recue"}

    # A bulk request elsewhere is not held up.
    other = make_bordereau(6)
    with override_settings(TASKS=DB_TASKS):
        agent.post(action_url(other), TAKE)
    assert ActionGroupee.objects.filter(bordereau=other, statut=S.EN_ATTENTE).exists()

    # The worker runs the stored task: it decides every pièce, and the page says so.
    row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_changees) == (S.TERMINEE, 8)
    html = text(agent.get(reverse("helios:bordereau", args=[b.pk])))
    assert "8 pièces rejetées." in html and 'name="action"' in html


def test_two_open_bulk_actions_on_one_bordereau_are_refused_by_the_database(
    comptable, make_bordereau
):
    from django.db import IntegrityError, transaction

    b = make_bordereau(1)
    ActionGroupee.objects.create(bordereau=b, action="rejeter", demandee_par="x", n_pieces=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionGroupee.objects.create(
            bordereau=b, action="rejeter", demandee_par="x", n_pieces=1, statut=S.EN_COURS
        )
    # Finished ones do not count.
    ActionGroupee.objects.create(
        bordereau=b, action="rejeter", demandee_par="x", n_pieces=1, statut=S.TERMINEE
    )
    assert ActionGroupee.objects.count() == 2


@low_threshold
def test_a_run_retried_after_a_worker_crash_resumes_without_deciding_twice(
    agent, comptable, make_bordereau
):
    b = make_bordereau(12, pj=False)
    _response, bulk, _seen = request_in_database_backend(agent, b)
    # A first run commits one batch of 5, then its worker dies.
    token = workbench.claim_bulk(bulk.pk)
    assert workbench.run_bulk_batch(bulk.pk, token, batch=5)
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees, bulk.n_changees) == (S.EN_COURS, 5, 5)

    # While its lease runs, a second run of the task does nothing, and resuming is refused.
    run_bulk_action.call(action_id=bulk.pk)
    response = agent.post(resume_url(bulk), follow=True)
    assert "n'est pas interrompu" in text(response)
    bulk.refresh_from_db()
    assert bulk.n_traitees == 5 and PieceEvent.objects.count() == 5

    ActionGroupee.objects.filter(pk=bulk.pk).update(
        bail_jusqua=timezone.now() - datetime.timedelta(seconds=1)
    )
    html = text(agent.get(reverse("helios:bordereau", args=[b.pk])))
    assert "5 pièces traitées sur 12" in html and "ne progresse plus" in html
    assert "Reprendre le traitement" in html

    response = agent.post(resume_url(bulk), follow=True)  # immediate backend: runs now
    assert "Traitement repris : 7 pièces restant à traiter" in text(response)
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees, bulk.n_changees, bulk.refus) == (S.TERMINEE, 12, 12, [])
    events, entries = decisions(EtatPiece.PRISE_EN_CHARGE)
    assert set(events.values()) == set(entries.values()) == {1}
    assert JournalEntry.objects.filter(action="helios_action_groupee_reprise").count() == 1

    # The dead run's claim is gone: were it to wake up, it would stop at once.
    assert not workbench.run_bulk_batch(bulk.pk, token, batch=5)
    run_bulk_action.call(action_id=bulk.pk)
    assert decisions(EtatPiece.PRISE_EN_CHARGE) == (events, entries)


@low_threshold
def test_the_worker_resumes_at_start_what_a_dead_worker_left_running(agent, make_bordereau):
    b = make_bordereau(12, pj=False)
    _response, bulk, _seen = request_in_database_backend(agent, b)
    token = workbench.claim_bulk(bulk.pk)
    assert workbench.run_bulk_batch(bulk.pk, token, batch=5)  # then the worker dies
    # Still within its lease: the next worker leaves it alone.
    assert workbench.recover_stalled_bulk() == []
    ActionGroupee.objects.filter(pk=bulk.pk).update(
        bail_jusqua=timezone.now() - datetime.timedelta(seconds=1)
    )
    failed = make_bordereau(8, pj=False)
    _r, errored, _s = request_in_database_backend(agent, failed)
    ActionGroupee.objects.filter(pk=errored.pk).update(statut=S.ECHEC, erreur="panne")

    with enqueued_tasks() as seen:  # immediate backend: the resumed task runs at once
        assert workbench.recover_stalled_bulk() == [bulk.pk]
    assert [t.args or t.kwargs for t in seen] == [{"action_id": bulk.pk}]
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees, bulk.n_changees) == (S.TERMINEE, 12, 12)
    events, entries = decisions(EtatPiece.PRISE_EN_CHARGE)
    assert sum(events.values()) == sum(entries.values()) == 12
    assert set(events.values()) <= {0, 1}
    reprise = JournalEntry.objects.get(action="helios_action_groupee_reprise")
    assert reprise.actor_label == "pigp_worker"
    errored.refresh_from_db()
    assert errored.statut == S.ECHEC  # an error waits for the comptable


# -- failure ------------------------------------------------------------------------------


@contextmanager
def failing_history(piece):
    """The database refuses the history row of `piece`: a real error in the middle of a run."""
    table = PieceEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_panne() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'panne simulée'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER test_panne BEFORE INSERT ON {table} FOR EACH ROW "
                f"WHEN (NEW.piece_id = {int(piece.pk)}) EXECUTE FUNCTION test_panne()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_panne BEFORE INSERT ON {table} "
                f"WHEN NEW.piece_id = {int(piece.pk)} BEGIN SELECT RAISE(ABORT, 'panne simulée'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TRIGGER test_panne{' ON ' + table if connection.vendor == 'postgresql' else ''}"
            )
            if connection.vendor == "postgresql":
                cursor.execute("DROP FUNCTION test_panne()")


@low_threshold
def test_a_failed_run_shows_a_french_error_and_leaves_no_half_decided_piece(
    agent, comptable, make_bordereau
):
    b = make_bordereau(12, pj=False)
    _response, bulk, _seen = request_in_database_backend(agent, b, REJECT)
    pieces = list(b.pieces.order_by("pk"))
    with failing_history(pieces[7]), pytest.raises(DatabaseError):
        workbench.run_bulk(bulk.pk, batch=5)
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees, bulk.n_changees) == (S.ECHEC, 5, 5)
    assert "erreur technique" in bulk.erreur and bulk.jeton == ""

    # The first batch is decided and journaled; the failed batch left nothing behind.
    done = {p.pk for p in pieces[:5]}
    assert set(b.pieces.filter(etat="rejetee").values_list("pk", flat=True)) == done
    events, entries = decisions(EtatPiece.REJETEE)
    assert events == entries == {p: int(p in done) for p in events}
    assert journal.verify_chain().intact

    html = text(agent.get(reverse("helios:bordereau", args=[b.pk])))
    assert "Décision groupée interrompue : rejet de toutes les pièces" in html
    assert "Le traitement s'est arrêté sur une erreur technique" in html
    assert "5 pièces sur 12 traitées avant l'erreur : 5 pièces rejetées." in html
    assert "les 7 autres pièces n'ont pas changé d'état" in html
    assert "Reprendre le traitement" in html and 'name="action"' in html

    # Resumed once the fault is gone: the rest is decided, nothing twice.
    agent.post(resume_url(bulk))
    bulk.refresh_from_db()
    assert (bulk.statut, bulk.n_traitees, bulk.n_changees, bulk.erreur) == (S.TERMINEE, 12, 12, "")
    events, entries = decisions(EtatPiece.REJETEE)
    assert set(events.values()) == set(entries.values()) == {1}


@low_threshold
def test_only_the_latest_stalled_action_may_be_resumed(agent, make_bordereau):
    b = make_bordereau(6)
    old = ActionGroupee.objects.create(
        bordereau=b, action="rejeter", demandee_par="x", n_pieces=6, statut=S.ECHEC
    )
    ActionGroupee.objects.create(
        bordereau=b, action="prendre-en-charge", demandee_par="x", n_pieces=6, statut=S.TERMINEE
    )
    response = agent.post(resume_url(old), follow=True)
    assert "Seule la dernière décision groupée" in text(response)
    old.refresh_from_db()
    assert old.statut == S.ECHEC and not PieceEvent.objects.exists()
    assert agent.get(resume_url(old)).status_code == 405
    # An action of another bordereau is not found through this one.
    other = make_bordereau(6)
    url = reverse("helios:bordereau_action_reprendre", args=[other.pk, old.pk])
    assert agent.post(url).status_code == 404


# -- who may do it ------------------------------------------------------------------------


@low_threshold
@pytest.mark.parametrize(
    "who", ["other_comptable", "entitled", "reader", "outsider", "national_admin"]
)
def test_only_the_postes_agents_request_view_or_resume_bulk_actions(
    client, make_bordereau, request, who
):
    b = make_bordereau(8)
    stalled = ActionGroupee.objects.create(
        bordereau=b, action="rejeter", demandee_par="x", n_pieces=8, statut=S.ECHEC
    )
    c = verified_client(client, request.getfixturevalue(who))
    for response in (
        c.post(action_url(b), TAKE),
        c.post(resume_url(stalled)),
        c.get(reverse("helios:bordereau", args=[b.pk])),
    ):
        assert response.status_code == 404
        assert b"Entreprise Dupont" not in response.content
        assert b"interrompue" not in response.content
    stalled.refresh_from_db()
    assert stalled.statut == S.ECHEC and ActionGroupee.objects.count() == 1
    assert not PieceEvent.objects.exists()


@low_threshold
def test_anonymous_is_sent_to_login_from_the_resume_action(client, make_bordereau):
    b = make_bordereau(1)
    bulk = ActionGroupee.objects.create(
        bordereau=b, action="rejeter", demandee_par="x", n_pieces=1, statut=S.ECHEC
    )
    response = client.post(resume_url(bulk))
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    bulk.refresh_from_db()
    assert bulk.statut == S.ECHEC


def test_bordereau_page_with_a_bulk_outcome_keeps_its_query_count(
    agent, make_bordereau, django_assert_max_num_queries
):
    counts = []
    for n in (5, 60):
        b = make_bordereau(n, pj=False)
        ActionGroupee.objects.create(
            bordereau=b,
            action="rejeter",
            demandee_par="x",
            n_pieces=n,
            n_traitees=n,
            n_changees=n - 1,
            statut=S.TERMINEE,
            refus=[f"Refus n° {i}" for i in range(n)],
        )
        with django_assert_max_num_queries(19) as ctx:
            html = text(agent.get(reverse("helios:bordereau", args=[b.pk])))
        counts.append(len(ctx.captured_queries))
        assert "Décision groupée terminée" in html and f"Refus n° {n - 1}" in html
    assert counts[0] == counts[1], counts


# -- pièces already decided ---------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 8], ids=["inline", "task"])
@low_threshold
def test_taking_in_charge_a_bordereau_with_a_rejected_piece_skips_it_and_says_so(
    agent, make_bordereau, n
):
    """Issue 9: « 1 pièce refusée : Impossible de passer le mandat n° 3 de « rejetée » à
    « prise en charge » » — the rejected pièce is already decided, not refused."""
    b = make_bordereau(n, etats={2: EtatPiece.REJETEE}, pj=False)
    with enqueued_tasks() as seen:
        response = agent.post(action_url(b), TAKE, follow=True)
    assert len(seen) == (1 if workbench.runs_in_background(n) else 0)
    html = text(response)
    assert f"{n - 1} pièces prises en charge." in html
    assert "1 pièce déjà décidée, laissée telle quelle : mandat n° 3 (rejetée)." in html
    assert "refusée" not in html and "Impossible de passer" not in html
    assert "écartée" not in html
    etats = dict(b.pieces.values_list("id_pce", "etat"))
    assert etats.pop("3") == EtatPiece.REJETEE
    assert set(etats.values()) == {EtatPiece.PRISE_EN_CHARGE}
    assert not PieceEvent.objects.filter(piece__id_pce="3", piece__bordereau=b).exists()
    if seen:
        bulk = ActionGroupee.objects.get(bordereau=b)
        assert (bulk.n_changees, bulk.n_deja_decidees, bulk.n_refusees, bulk.refus) == (
            n - 1,
            1,
            0,
            [],
        )


def test_a_piece_decided_meanwhile_is_skipped_not_refused(comptable, make_bordereau):
    """The check is made on the locked row: a stale pièce decided by someone else is skipped."""
    b = make_bordereau(2)
    stale = list(b.pieces.order_by("pk"))
    Piece.objects.filter(pk=stale[1].pk).update(etat=EtatPiece.PRISE_EN_CHARGE)
    outcome = workbench.apply(
        comptable.email, stale, workbench.ACTIONS["rejeter"], motifs=["04"], commentaire="x"
    )
    assert [p.pk for p in outcome.moved] == [stale[0].pk] and outcome.refused == []
    assert outcome.skips() == (
        "1 pièce déjà décidée, laissée telle quelle : mandat n° 2 (prise en charge)."
    )


@low_threshold
def test_only_the_first_skipped_pieces_are_named_but_all_are_counted(
    agent, make_bordereau, monkeypatch
):
    monkeypatch.setattr(workbench, "SKIPPED_KEPT", 3)
    b = make_bordereau(8, etats=dict.fromkeys(range(6), EtatPiece.REJETEE), pj=False)
    html = text(agent.post(action_url(b), TAKE, follow=True))
    bulk = ActionGroupee.objects.get(bordereau=b)
    assert (bulk.n_changees, bulk.n_deja_decidees, len(bulk.deja_decidees)) == (2, 6, 3)
    assert (
        "6 pièces déjà décidées, laissées telles quelles : mandat n° 1 (rejetée), "
        "mandat n° 2 (rejetée), mandat n° 3 (rejetée) … et 3 autres." in html
    )
