"""Retention rules as data, the DUA end of a unit, and the legal hold."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pigp.core.models import JournalEntry
from pigp.orc import retention
from pigp.orc.models import ActionFinale, ArchiveUnit, RegleConservation
from tests.orc.elimination_helpers import make_archivist
from tests.orc.factories import add_document, make_unit

pytestmark = pytest.mark.django_db


def test_default_rules_are_seeded():
    codes = set(RegleConservation.objects.values_list("code", flat=True))
    assert {"mandat", "titre", "bordereau", "pj", "facture", "flux"} <= codes
    assert set(
        RegleConservation.objects.filter(code__in=codes).values_list("annees", flat=True)
    ) == {10}


def test_dua_fin_is_31_december_of_the_exercice_plus_the_longest_rule(collectivite):
    unit = make_unit(collectivite, annee=2014)
    add_document(unit, b"%PDF facture 2014", role="facture")
    assert retention.dua_fin(unit) == datetime.date(2024, 12, 31)
    RegleConservation.objects.filter(code="facture").update(annees=12)
    found = retention.retention(unit)
    assert found is not None
    assert (found.code, found.fin, found.debut) == (
        "facture",
        datetime.date(2026, 12, 31),
        datetime.date(2015, 1, 1),
    )
    assert found.action_finale == ActionFinale.DETRUIRE


def test_keep_wins_and_unknown_rule_fails_closed(collectivite):
    unit = make_unit(collectivite, annee=2014, domaine="recette")
    RegleConservation.objects.filter(code="titre").update(action_finale=ActionFinale.CONSERVER)
    found = retention.retention(unit)
    assert found is not None and found.action_finale == ActionFinale.CONSERVER
    RegleConservation.objects.filter(code="titre").delete()
    assert retention.dua_fin(unit) is None


def test_refresh_dua_stores_the_end(collectivite):
    unit = make_unit(collectivite, annee=2015)
    assert retention.refresh_dua([unit]) == 1
    unit.refresh_from_db()
    assert unit.dua_fin == datetime.date(2025, 12, 31)


def test_gel_set_and_lifted_by_the_archivist_and_journaled(collectivite):
    archivist = make_archivist(collectivite)
    unit = make_unit(collectivite, annee=2014)
    retention.set_gel(unit, archivist, "Contentieux en cours (TA de Toulouse)")
    unit.refresh_from_db()
    assert unit.gel and unit.gel_motif.startswith("Contentieux")
    with pytest.raises(retention.RetentionError):
        retention.set_gel(unit, archivist, "encore")
    retention.lift_gel(unit, archivist, "Jugement définitif")
    unit.refresh_from_db()
    assert not unit.gel and unit.gel_motif == ""
    entries = JournalEntry.objects.filter(action__in=["orc_gel", "orc_gel_leve"]).order_by("pk")
    assert [(e.action, e.details["motif"]) for e in entries] == [
        ("orc_gel", "Contentieux en cours (TA de Toulouse)"),
        ("orc_gel_leve", "Jugement définitif"),
    ]
    assert entries[1].details["motif_du_gel"].startswith("Contentieux")


def test_gel_needs_a_reason_and_the_archivist(collectivite, reader, comptable):
    archivist = make_archivist(collectivite)
    unit = make_unit(collectivite, annee=2014)
    with pytest.raises(retention.RetentionError):
        retention.set_gel(unit, archivist, "   ")
    for user in (reader, comptable):
        with pytest.raises(PermissionDenied):
            retention.set_gel(unit, user, "motif")
    assert not ArchiveUnit.objects.get(pk=unit.pk).gel


@given(
    annee=st.integers(min_value=2000, max_value=2030),
    annees=st.integers(min_value=1, max_value=30),
    today=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2070, 12, 31)),
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_eligible_exactly_after_31_december_of_the_dua(collectivite, annee, annees, today):
    from pigp.orc import elimination

    RegleConservation.objects.update(annees=annees)
    ArchiveUnit.objects.all().delete()
    unit = make_unit(collectivite, annee=annee)
    found = elimination.eligible(collectivite, today)
    expected = today > datetime.date(annee + annees, 12, 31)
    assert [u.pk for u in found.eligibles] == ([unit.pk] if expected else [])
