"""The silo: objects addressed by SHA-512, written to every storage of `PIGP_ORC_COPIES`.

`archive(stream)` spools the content once (digesting it), writes it to each copy, reads each
copy back and checks its digest, and only then records the object and its copies: an object
row means every copy was verified. Every write, read-back, audit, repair and destruction is
recorded in the storage log (`StorageLog`). Writing the same content again is a no-op that
re-checks nothing (`archive` returns the existing object); `repair` rewrites a copy from a
sound one.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from pigp.core.files import Readable, spool_dir
from pigp.orc.models import ActionStockage, ArchiveObject, EtatCopie, ObjectCopy, StorageLog

CHUNK = 1024 * 1024


class SiloError(Exception):
    """A copy could not be written or verified: the object is not archived (fail closed)."""


def copies() -> tuple[str, ...]:
    return tuple(settings.PIGP_ORC_COPIES)


def storage(name: str) -> Storage:
    return storages[name]


def name_for(sha512: str) -> str:
    return f"sha512/{sha512[:2]}/{sha512[2:4]}/{sha512}"


@dataclass(frozen=True)
class Spooled:
    path: Path
    sha512: str
    size: int


@contextmanager
def spooled(stream: Readable) -> Iterator[Spooled]:
    """Copy `stream` to a local temporary file, digesting it with SHA-512; removed on exit."""
    fd, tmp = tempfile.mkstemp(prefix="orc-", dir=spool_dir())
    path = Path(tmp)
    digest = hashlib.sha512()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        yield Spooled(path, digest.hexdigest(), size)
    finally:
        path.unlink(missing_ok=True)


def digest_of(name: str, sha512: str) -> str | None:
    """The SHA-512 of the copy of `sha512` on storage `name`, None when it is missing."""
    store = storage(name)
    key = name_for(sha512)
    try:
        if isinstance(store, FileSystemStorage):
            fh: BinaryIO = Path(store.path(key)).open("rb")  # noqa: SIM115 - closed below
        else:
            if not store.exists(key):
                return None
            fh = cast(BinaryIO, store.open(key, "rb"))
    except FileNotFoundError:
        return None
    with fh:
        if hasattr(fh, "readinto"):  # local files: read into one reused buffer
            return hashlib.file_digest(fh, "sha512").hexdigest()
        digest = hashlib.sha512()
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
        return digest.hexdigest()


def _write(name: str, spool: Spooled) -> None:
    store = storage(name)
    key = name_for(spool.sha512)
    if isinstance(store, FileSystemStorage):
        target = Path(store.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with spool.path.open("rb") as src, tmp.open("wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        return
    with spool.path.open("rb") as fh:
        store.save(key, File(fh))


def _write_verified(name: str, spool: Spooled) -> None:
    """Write one copy and read it back; raise `SiloError` unless its digest matches."""
    try:
        _write(name, spool)
        seen = digest_of(name, spool.sha512)
    except Exception as exc:  # storage errors of every backend
        StorageLog.objects.create(
            storage=name, action=ActionStockage.ECRITURE, ok=False, detail=f"{spool.sha512}: {exc}"
        )
        raise SiloError(f"la copie « {name} » n'a pas pu être écrite : {exc}") from exc
    if seen != spool.sha512:
        StorageLog.objects.create(
            storage=name,
            action=ActionStockage.ECRITURE,
            ok=False,
            detail=f"{spool.sha512}: relue {'absente' if seen is None else 'différente'}",
        )
        raise SiloError(f"la copie « {name} » relue ne correspond pas à l'empreinte attendue")


def archive(stream: Readable, *, media_type: str = "") -> ArchiveObject:
    """Archive a content on every copy, each read back and verified, and return its object."""
    with spooled(stream) as spool:
        existing = ArchiveObject.objects.filter(sha512=spool.sha512).first()
        if existing is not None and existing.eliminated_at is None:
            return existing
        for name in copies():
            _write_verified(name, spool)
        now = timezone.now()
        try:
            with transaction.atomic():
                if existing is not None:  # archived again after an elimination
                    ArchiveObject.objects.filter(pk=existing.pk).update(eliminated_at=None)
                    obj = existing
                    obj.eliminated_at = None
                else:
                    obj = ArchiveObject.objects.create(
                        sha512=spool.sha512, size=spool.size, media_type=media_type
                    )
                for name in copies():
                    ObjectCopy.objects.update_or_create(
                        obj=obj,
                        storage=name,
                        defaults={"etat": EtatCopie.SAINE, "written_at": now, "verified_at": now},
                    )
                StorageLog.objects.bulk_create(
                    StorageLog(storage=name, obj=obj, action=ActionStockage.ECRITURE, ok=True)
                    for name in copies()
                )
        except IntegrityError:  # archived meanwhile by another worker, copies verified by it
            return ArchiveObject.objects.get(sha512=spool.sha512)
        return obj


def archive_bytes(content: bytes, *, media_type: str = "") -> ArchiveObject:
    return archive(io.BytesIO(content), media_type=media_type)


def open_object(obj: ArchiveObject) -> BinaryIO:
    """Open the first sound copy of `obj` (raises `SiloError` when none can be opened)."""
    sound = set(obj.copies.filter(etat=EtatCopie.SAINE).values_list("storage", flat=True))
    for name in copies():
        if name not in sound:
            continue
        store = storage(name)
        try:
            return cast(BinaryIO, store.open(name_for(obj.sha512), "rb"))
        except (FileNotFoundError, OSError):
            continue
    raise SiloError("aucune copie saine de ce document n'a pu être ouverte")


def read_object(obj: ArchiveObject) -> bytes:
    with open_object(obj) as fh:
        return fh.read()


def repair(obj: ArchiveObject, damaged: str) -> bool:
    """Rewrite the copy on `damaged` from a sound copy whose digest is re-checked first."""
    for name in copies():
        if name == damaged or digest_of(name, obj.sha512) != obj.sha512:
            continue
        with storage(name).open(name_for(obj.sha512), "rb") as src, spooled(src) as spool:
            if spool.sha512 != obj.sha512:
                continue
            try:
                _write_verified(damaged, spool)
            except SiloError as exc:
                StorageLog.objects.create(
                    storage=damaged,
                    obj=obj,
                    action=ActionStockage.REPARATION,
                    ok=False,
                    detail=str(exc),
                )
                return False
        now = timezone.now()
        ObjectCopy.objects.update_or_create(
            obj=obj,
            storage=damaged,
            defaults={"etat": EtatCopie.SAINE, "written_at": now, "verified_at": now},
        )
        StorageLog.objects.create(
            storage=damaged,
            obj=obj,
            action=ActionStockage.REPARATION,
            ok=True,
            detail=f"depuis {name}",
        )
        return True
    StorageLog.objects.create(
        storage=damaged,
        obj=obj,
        action=ActionStockage.REPARATION,
        ok=False,
        detail="aucune copie saine",
    )
    return False


def destroy(obj: ArchiveObject) -> None:
    """Delete every copy of `obj` (an elimination); the row stays, marked eliminated."""
    now = timezone.now()
    for name in copies():
        key = name_for(obj.sha512)
        store = storage(name)
        store.delete(key)  # no error when already absent
        StorageLog.objects.create(storage=name, obj=obj, action=ActionStockage.DESTRUCTION, ok=True)
    obj.copies.update(etat=EtatCopie.DETRUITE, verified_at=now)
    ArchiveObject.objects.filter(pk=obj.pk).update(eliminated_at=now)
    obj.eliminated_at = now
