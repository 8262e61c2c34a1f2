"""Content-addressed file storage.

A received file is streamed to a temporary file while its SHA-256 is computed, fsynced, then
moved into the object store under a name derived from its digest: the same content is kept
once, and nothing the user typed ever becomes a path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import IntegrityError, transaction

from pigp.core.models import StoredFile

CHUNK = 1024 * 1024


class FileTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Le fichier dépasse la taille maximale autorisée ({limit // 1_000_000} Mo)."
        )
        self.limit = limit


@dataclass(frozen=True)
class SpooledFile:
    """A received file on local disk, digested, not yet in the object store."""

    path: Path
    sha256: str
    size: int


def object_storage() -> Storage:
    return storages["objects"]


def storage_name_for(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def spool_dir() -> Path:
    path = Path(settings.PIGP_SPOOL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def spool(stream: BinaryIO, *, max_size: int) -> Iterator[SpooledFile]:
    """Copy `stream` to a local temporary file, digesting it; removed on exit unless moved."""
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(prefix="recu-", dir=spool_dir())
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_size:
                    raise FileTooLargeError(max_size)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        yield SpooledFile(path, digest.hexdigest(), size)
    finally:
        path.unlink(missing_ok=True)


def _put_object(spooled: SpooledFile, name: str) -> None:
    storage = object_storage()
    if storage.exists(name):
        return
    if isinstance(storage, FileSystemStorage):
        target = Path(storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same filesystem (spool lives under var/): an atomic rename after fsync.
        tmp_target = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        os.replace(spooled.path, tmp_target)
        os.replace(tmp_target, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return
    with spooled.path.open("rb") as fh:
        storage.save(name, File(fh))


def keep(spooled: SpooledFile, *, media_type: str = "application/octet-stream") -> StoredFile:
    """Move a spooled file into the object store and return its row (existing or new)."""
    existing = StoredFile.objects.filter(sha256=spooled.sha256).first()
    if existing is not None:
        return existing
    name = storage_name_for(spooled.sha256)
    _put_object(spooled, name)
    try:
        with transaction.atomic():
            return StoredFile.objects.create(
                sha256=spooled.sha256, size=spooled.size, media_type=media_type, storage_name=name
            )
    except IntegrityError:
        return StoredFile.objects.get(sha256=spooled.sha256)


def store_bytes(content: bytes, *, media_type: str = "application/octet-stream") -> StoredFile:
    import io

    with spool(io.BytesIO(content), max_size=max(len(content), 1)) as spooled:
        return keep(spooled, media_type=media_type)


def open_stored(stored: StoredFile) -> BinaryIO:
    return object_storage().open(stored.storage_name, "rb")


@contextmanager
def local_path(stored: StoredFile) -> Iterator[Path]:
    """A local path to read the file with libraries that want one (lxml, the PES validator)."""
    storage = object_storage()
    if isinstance(storage, FileSystemStorage):
        yield Path(storage.path(stored.storage_name))
        return
    fd, name = tempfile.mkstemp(prefix="lecture-", dir=spool_dir())
    try:
        with os.fdopen(fd, "wb") as out, storage.open(stored.storage_name, "rb") as src:
            while chunk := src.read(CHUNK):
                out.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
