"""The audit: a missing or corrupted copy is found, marked, repaired from a sound one, and
everything is logged and journaled."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError

from pigp.core.models.journal import JournalEntry
from pigp.orc import audit, silo
from pigp.orc.models import ActionStockage, EtatCopie, ObjectCopy, StorageLog
from tests.orc.factories import add_document, make_unit


def _path(name: str, sha512: str) -> Path:
    return Path(storages[name].path(silo.name_for(sha512)))


@pytest.fixture
def objects(collectivite):
    unit = make_unit(collectivite)
    return [
        add_document(unit, f"contenu {i}".encode() * 100, nom=f"pj{i}.pdf").obj for i in range(4)
    ]


@pytest.mark.django_db
def test_sound_silo(objects):
    result = audit.audit()
    assert (result.objects, result.copies, result.missing, result.corrupted) == (4, 8, 0, 0)
    assert result.bytes == 2 * sum(obj.size for obj in objects)
    assert result.seconds > 0 and result.mb_per_second > 0
    assert StorageLog.objects.filter(action=ActionStockage.AUDIT, ok=True).count() == 8
    assert not ObjectCopy.objects.filter(verified_at__isnull=True).exists()
    entry = JournalEntry.objects.get(action="orc_audit")
    assert entry.details["objets"] == 4 and entry.details["alterees"] == 0


@pytest.mark.django_db
def test_corrupted_and_missing_copies_are_repaired(objects):
    first, second = silo.copies()
    corrupted, missing = objects[0], objects[1]
    _path(second, corrupted.sha512).write_bytes(b"octets alteres")
    _path(first, missing.sha512).unlink()
    result = audit.audit()
    assert (result.missing, result.corrupted, result.repaired, result.unrepaired) == (1, 1, 2, 0)
    assert silo.digest_of(second, corrupted.sha512) == corrupted.sha512
    assert silo.digest_of(first, missing.sha512) == missing.sha512
    assert StorageLog.objects.get(
        action=ActionStockage.AUDIT, ok=False, storage=second, obj=corrupted
    ).detail.startswith(corrupted.sha512)
    assert StorageLog.objects.filter(action=ActionStockage.REPARATION, ok=True).count() == 2
    assert set(ObjectCopy.objects.values_list("etat", flat=True)) == {EtatCopie.SAINE}
    entry = JournalEntry.objects.get(action="orc_audit")
    assert (entry.details["absentes"], entry.details["alterees"], entry.details["reparees"]) == (
        1,
        1,
        2,
    )
    assert audit.audit().corrupted == 0


@pytest.mark.django_db
def test_no_sound_copy_left_is_said(objects):
    for name in silo.copies():
        _path(name, objects[0].sha512).write_bytes(b"perdu")
    result = audit.audit()
    assert result.unrepaired == 2 and result.repaired == 0
    assert set(ObjectCopy.objects.filter(obj=objects[0]).values_list("etat", flat=True)) == {
        EtatCopie.ALTEREE
    }
    with pytest.raises(CommandError, match="n'ont pas pu être réparées"):
        call_command("orc_audit")


@pytest.mark.django_db
def test_sample_and_eliminated_objects(objects):
    silo.destroy(objects[3])
    assert audit.audit(50).objects == 2  # half of the 3 live objects, rounded up
    assert audit.audit(100).objects == 3
    assert audit.audit().missing == 0  # destroyed copies are not audited


@pytest.mark.django_db
def test_command_prints_speed(objects, capsys):
    call_command("orc_audit", "--sample", "100")
    out = capsys.readouterr().out
    assert "4 objets, 8 copies" in out and "Mo/s" in out
    with pytest.raises(CommandError, match="Pourcentage invalide"):
        call_command("orc_audit", "--sample", "beaucoup")
    with pytest.raises(CommandError, match="compris entre"):
        call_command("orc_audit", "--sample", "0")
