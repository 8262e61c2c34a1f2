"""Migration 0011 gives the pièces already paid their payment delay."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import make_flux

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("helios", "0010_piece_emission_desc_index")]
AFTER = [("helios", "0011_piece_delai_paiement")]


def test_the_migration_backfills_the_delay_of_paid_pieces(collectivite):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Exercice, Bordereau, Piece = (
            old.get_model("helios", name) for name in ("Exercice", "Bordereau", "Piece")
        )
        exercice = Exercice.objects.create(budget_id=collectivite.budgets.first().pk, annee=2026)
        flux = make_flux(collectivite)
        bordereau = Bordereau.objects.create(
            exercice=exercice, flux_id=flux.pk, domaine="depense", id_bord="1", typ_bord="01"
        )
        received = datetime.datetime(2026, 5, 4, 8, tzinfo=datetime.UTC)
        paid = {"1": datetime.date(2026, 6, 15), "2": datetime.date(2026, 5, 4), "3": None}
        for numero, day in paid.items():
            Piece.objects.create(
                bordereau=bordereau,
                exercice=exercice,
                collectivite_id=collectivite.pk,
                domaine="depense",
                id_pce=numero,
                etat="payee" if day else "prise_en_charge",
                date_paiement=day,
            )
        Piece.objects.update(date_reception=received)
    finally:
        # Back to the latest state of every app, whatever depends on helios 0011 by then.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(AFTER).apps.get_model("helios", "Piece")
    delays = dict(new.objects.values_list("id_pce", "delai_paiement"))
    assert delays == {"1": 42, "2": 0, "3": None}
