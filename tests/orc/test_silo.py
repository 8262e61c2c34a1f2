"""The silo writes every copy, reads it back and checks its SHA-512 before recording it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.storage import storages

from pigp.orc import silo
from pigp.orc.models import ActionStockage, ArchiveObject, EtatCopie, StorageLog

pytestmark = pytest.mark.django_db


def _path(name: str, sha512: str) -> Path:
    return Path(storages[name].path(silo.name_for(sha512)))


def test_archive_writes_every_copy_verified_and_logged():
    content = b"mandat 42, facture jointe"
    obj = silo.archive_bytes(content, media_type="text/plain")
    assert obj.sha512 == hashlib.sha512(content).hexdigest()
    assert obj.size == len(content)
    assert len(silo.copies()) == 2
    for name in silo.copies():
        assert _path(name, obj.sha512).read_bytes() == content
    assert {c.storage: c.etat for c in obj.copies.all()} == dict.fromkeys(
        silo.copies(), EtatCopie.SAINE
    )
    logged = StorageLog.objects.filter(obj=obj, action=ActionStockage.ECRITURE, ok=True)
    assert sorted(logged.values_list("storage", flat=True)) == sorted(silo.copies())
    assert silo.read_object(obj) == content


def test_same_content_is_kept_once():
    first = silo.archive_bytes(b"same")
    again = silo.archive_bytes(b"same")
    assert first.pk == again.pk
    assert ArchiveObject.objects.count() == 1


def test_a_copy_that_reads_back_wrong_fails_closed(monkeypatch):
    real = silo.digest_of

    def lying(name: str, sha512: str) -> str | None:
        return "0" * 128 if name == silo.copies()[1] else real(name, sha512)

    monkeypatch.setattr(silo, "digest_of", lying)
    with pytest.raises(silo.SiloError, match="relue"):
        silo.archive_bytes(b"fragile")
    assert not ArchiveObject.objects.exists()
    assert StorageLog.objects.filter(ok=False, storage=silo.copies()[1]).exists()


def test_repair_rewrites_a_corrupted_copy_from_a_sound_one():
    obj = silo.archive_bytes(b"original")
    damaged = silo.copies()[0]
    _path(damaged, obj.sha512).write_bytes(b"altered")
    assert silo.digest_of(damaged, obj.sha512) != obj.sha512
    assert silo.repair(obj, damaged)
    assert _path(damaged, obj.sha512).read_bytes() == b"original"
    assert StorageLog.objects.filter(obj=obj, action=ActionStockage.REPARATION, ok=True).exists()


def test_open_skips_a_missing_copy():
    obj = silo.archive_bytes(b"two copies")
    first = silo.copies()[0]
    _path(first, obj.sha512).unlink()
    obj.copies.filter(storage=first).update(etat=EtatCopie.ABSENTE)
    assert silo.read_object(obj) == b"two copies"


def test_destroy_removes_every_copy_and_keeps_the_row():
    obj = silo.archive_bytes(b"to eliminate")
    silo.destroy(obj)
    obj.refresh_from_db()
    assert obj.eliminated_at is not None
    for name in silo.copies():
        assert not _path(name, obj.sha512).exists()
    assert set(obj.copies.values_list("etat", flat=True)) == {EtatCopie.DETRUITE}
