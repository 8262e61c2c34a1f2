"""The volume generator: deterministic, bulk, and searchable as any archive."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from pigp.orc import search, volume
from pigp.orc.models import ArchiveUnit
from pigp.orc.search import Criteria
from tests.conftest import make_user


@pytest.mark.django_db
def test_volume_is_searchable(juridiction):
    written = volume.generate(500, collectivites=4, batch=150)
    assert written == 500
    assert ArchiveUnit.objects.count() == 500
    assert ArchiveUnit.objects.values("collectivite").distinct().count() == 4
    juge = make_user("juge@example.fr", juridiction=juridiction)
    sample = ArchiveUnit.objects.exclude(tiers_siret="").order_by("pk").first()
    results = search.search(juge, Criteria(siret=sample.tiers_siret, numero=sample.numero))
    assert sample.pk in {u.pk for u in results.rows}
    word = sample.texte.split()[-1]
    assert search.search(juge, Criteria(texte=word)).count > 0


@pytest.mark.django_db
def test_volume_is_deterministic_and_the_command_runs(capsys):
    places = volume.homes(2)
    first = [r["texte"] for r in volume.rows(20, places, seed=7)]
    again = [r["texte"] for r in volume.rows(20, places, seed=7)]
    assert first == again
    call_command("orc_volume", "--pieces", "30", "--collectivites", "2")
    assert ArchiveUnit.objects.count() == 30
    assert "30 pièces archivées" in capsys.readouterr().out
