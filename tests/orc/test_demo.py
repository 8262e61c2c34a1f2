"""`manage.py demo` gives ORC an archive: the closed exercice sealed, Saint-Orens' adhesion
with its attestations and monthly recaps, daily seals that verify, a hold and a scan."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from pigp.core.journal import verify_chain
from pigp.helios.models import Exercice, Piece
from pigp.orc import seals
from pigp.orc.demo import SAINT_ORENS, SERVICE
from pigp.orc.models import (
    Adhesion,
    ArchiveUnit,
    Attestation,
    ExerciceArchive,
    KindAttestation,
    PendingIngest,
    Seal,
    ServiceArchives,
    StatutUnite,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_archives_seals_and_attests():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "ORC :" in out.getvalue()

    # Every paid mandat and titre taken in charge is archived; nothing is left waiting.
    assert ArchiveUnit.objects.count() > 50
    assert not PendingIngest.objects.exists()
    # The previous exercice, closed by the Hélios demo, is complete and sealed.
    closed = Exercice.objects.filter(closed_at__isnull=False)
    assert closed.exists()
    for exercice in closed:
        assert ExerciceArchive.objects.filter(exercice=exercice).exists()
        units = ArchiveUnit.objects.filter(exercice=exercice)
        # Completed: every pièce of the exercice, whatever its state.
        assert units.count() == Piece.objects.filter(exercice=exercice).count() > 0
        assert not units.exclude(statut=StatutUnite.CLOSE).exists()

    # Saint-Orens adhered at the start of the history: its covered pièces are attested.
    adhesion = Adhesion.objects.get(collectivite__siret=SAINT_ORENS)
    covered = ArchiveUnit.objects.filter(collectivite__siret=SAINT_ORENS, couverte=True)
    assert covered.exists() and adhesion.fin_le is None
    attested = Attestation.objects.filter(kind=KindAttestation.PIECE)
    assert attested.count() >= covered.count() > 0
    assert Attestation.objects.filter(kind=KindAttestation.MENSUELLE).count() >= 10
    assert not ArchiveUnit.objects.filter(couverte=True).exclude(collectivite__siret=SAINT_ORENS)

    # Sealed every day; chain and seals verify.
    assert Seal.objects.count() >= 300
    assert verify_chain().intact
    assert seals.verify().ok, seals.verify()

    # The archives service, the hold and the digitised copy.
    assert (
        ServiceArchives.objects.get(nom=SERVICE)
        .agents.filter(email="archives@demo.pigp.fr")
        .exists()
    )
    assert ArchiveUnit.objects.filter(gel=True).count() == 1
    assert ArchiveUnit.objects.filter(documents__role="numerise").count() == 1

    # A second run adds nothing.
    count = ArchiveUnit.objects.count(), Seal.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert (ArchiveUnit.objects.count(), Seal.objects.count()) == count
