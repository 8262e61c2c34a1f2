"""The life cycle, transition by transition: every allowed move works (with its motif where one
is required), every other is refused in French, and each move leaves its history and journal."""

from __future__ import annotations

import datetime
import itertools

import pytest

from pigp.chorus import statuts
from pigp.chorus.models import FactureEvent, StatutFacture
from pigp.chorus.statuts import TRANSITIONS, TransitionError
from pigp.core.models import JournalEntry
from tests.chorus.factories import make_facture

S = StatutFacture
ALL = [s.value for s in S]
ALLOWED = sorted((frm, to) for frm, tos in TRANSITIONS.items() for to in tos)
REFUSED = sorted(set(itertools.product(ALL, ALL)) - set(ALLOWED))


def test_the_statuses_are_those_of_cpp_statut_pivot():
    assert [(s.value, s.label) for s in S] == [
        ("01", "Déposée"),
        ("02", "En cours d'acheminement"),
        ("03", "Mise à disposition"),
        ("04", "À recycler"),
        ("05", "Rejetée"),
        ("06", "Suspendue"),
        ("07", "Service fait"),
        ("08", "Mandatée"),
        ("09", "Mise à disposition comptable"),
        ("10", "Comptabilisée"),
        ("11", "Mise en paiement"),
        ("12", "Complétée"),
    ]
    assert set(TRANSITIONS) == set(ALL)


def test_the_life_cycle_as_decided():
    assert TRANSITIONS[S.DEPOSEE] == {S.EN_COURS_ACHEMINEMENT, S.A_RECYCLER}
    assert TRANSITIONS[S.A_RECYCLER] == {S.DEPOSEE}
    assert TRANSITIONS[S.MISE_A_DISPOSITION] == TRANSITIONS[S.COMPLETEE]
    assert TRANSITIONS[S.MISE_A_DISPOSITION] == {S.REJETEE, S.SUSPENDUE, S.SERVICE_FAIT, S.MANDATEE}
    assert TRANSITIONS[S.SUSPENDUE] == {S.COMPLETEE}
    assert TRANSITIONS[S.REJETEE] == TRANSITIONS[S.MISE_EN_PAIEMENT] == frozenset()
    for mandated in (S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE):
        assert {S.SERVICE_FAIT, S.MISE_A_DISPOSITION} <= TRANSITIONS[mandated]


@pytest.mark.parametrize(("frm", "to"), ALLOWED)
def test_an_allowed_transition(frm, to, collectivite, fournisseur, entitled):
    facture = make_facture(collectivite, fournisseur, statut=frm)
    motif = "Pièce manquante" if statuts.motif_required(frm, to) else ""
    statuts.transition(facture, to, actor=entitled, motif=motif)
    facture.refresh_from_db()
    assert facture.statut == to and facture.motif == motif
    last = facture.events.order_by("-pk").first()
    assert (last.statut, last.actor, last.actor_label, last.motif) == (
        to,
        entitled,
        entitled.email,
        motif,
    )
    entry = JournalEntry.objects.filter(action="chorus_facture_statut").latest("id")
    assert entry.object_id == str(facture.pk) and entry.details["vers"] == to
    assert entry.details["de"] == frm and entry.collectivite_id == collectivite.pk


@pytest.mark.parametrize(("frm", "to"), REFUSED)
def test_a_refused_transition(frm, to, collectivite, fournisseur, entitled):
    facture = make_facture(collectivite, fournisseur, statut=frm, numero="R-1")
    with pytest.raises(TransitionError) as refused:
        statuts.transition(facture, to, actor=entitled, motif="un motif")
    assert "La facture n° R-1 est « " in str(refused.value)
    assert f"elle ne peut pas passer à « {S(to).label} »" in str(refused.value)
    facture.refresh_from_db()
    assert facture.statut == frm and facture.events.count() == 1


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (S.DEPOSEE, S.A_RECYCLER),
        (S.MISE_A_DISPOSITION, S.REJETEE),
        (S.MISE_A_DISPOSITION, S.SUSPENDUE),
        (S.SERVICE_FAIT, S.REJETEE),
        (S.MANDATEE, S.SERVICE_FAIT),
        (S.COMPTABILISEE, S.MISE_A_DISPOSITION),
    ],
)
def test_a_motif_is_required_where_chorus_pro_asks_one(frm, to, collectivite, fournisseur):
    facture = make_facture(collectivite, fournisseur, statut=frm)
    with pytest.raises(TransitionError, match="Un motif est obligatoire"):
        statuts.transition(facture, to, motif="   ")
    facture.refresh_from_db()
    assert facture.statut == frm


def test_no_motif_needed_for_service_fait(collectivite, fournisseur):
    assert not statuts.motif_required(S.MISE_A_DISPOSITION, S.SERVICE_FAIT)
    assert not statuts.motif_required(S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE)


def test_an_unknown_status_is_refused(collectivite, fournisseur):
    facture = make_facture(collectivite, fournisseur)
    with pytest.raises(ValueError):
        statuts.transition(facture, "99")


def test_mandatee_keeps_its_mandat_number_and_the_history_is_in_order(
    collectivite, fournisseur, entitled
):
    facture = make_facture(collectivite, fournisseur, statut=S.MISE_A_DISPOSITION)
    statuts.transition(facture, S.SERVICE_FAIT, actor=entitled)
    statuts.transition(facture, S.MANDATEE, actor=entitled, numero_mandat="M-2026-17")
    statuts.transition(facture, S.MISE_A_DISPOSITION_COMPTABLE, actor_label="Hélios")
    facture.refresh_from_db()
    assert facture.numero_mandat == "M-2026-17"
    history = list(
        FactureEvent.objects.filter(facture=facture).values_list("statut", "actor_label")
    )
    assert history == [
        ("03", "test"),
        ("07", entitled.email),
        ("08", entitled.email),
        ("09", "Hélios"),
    ]


def test_the_clock_pauses_while_suspended(collectivite, fournisseur, entitled):
    facture = make_facture(collectivite, fournisseur, received_days_ago=25)
    now = facture.date_reception + datetime.timedelta(days=25)
    statuts.transition(facture, S.SUSPENDUE, actor=entitled, motif="RIB manquant", at=now)
    later = now + datetime.timedelta(days=10)
    assert facture.jours_ecoules(later) == 25 and not facture.clock_running
    statuts.transition(facture, S.COMPLETEE, actor_label="fournisseur", at=later)
    facture.refresh_from_db()
    assert facture.delai_suspendu == datetime.timedelta(days=10)
    assert facture.jours_ecoules(later + datetime.timedelta(days=3)) == 28
    assert facture.jours_restants(later + datetime.timedelta(days=3)) == 2
    assert facture.en_retard(later + datetime.timedelta(days=6))


def test_the_clock_stops_at_mise_en_paiement(collectivite, fournisseur):
    facture = make_facture(collectivite, fournisseur, statut=S.COMPTABILISEE, received_days_ago=12)
    statuts.transition(facture, S.MISE_EN_PAIEMENT, actor_label="Hélios")
    far = facture.date_reception + datetime.timedelta(days=90)
    assert facture.jours_ecoules(far) == 12 and not facture.en_retard(far)
