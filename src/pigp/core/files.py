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
from typing import BinaryIO, Protocol, cast

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


class SpoolWriter:
    """A spool file written chunk by chunk, sized and digested as the bytes arrive.

    `spool` copies a stream with it; the passerelle's upload handler feeds it the chunks of a
    multipart upload as Django parses them, so that an upload is written once.
    """

    def __init__(self, *, max_size: int) -> None:
        self.max_size = max_size
        self.size = 0
        self._digest = hashlib.sha256()
        fd, name = tempfile.mkstemp(prefix="recu-", dir=spool_dir())
        self.path = Path(name)
        self._out = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        """Append a chunk; past `max_size` the partial file is removed and nothing more is kept."""
        self.size += len(chunk)
        if self.size > self.max_size:
            self.discard()
            raise FileTooLargeError(self.max_size)
        self._digest.update(chunk)
        self._out.write(chunk)

    def finish(self) -> SpooledFile:
        """Flush and fsync: the file is durable before anyone is told it was received."""
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
        except BaseException:
            self.discard()
            raise
        return SpooledFile(self.path, self._digest.hexdigest(), self.size)

    def discard(self) -> None:
        """Remove the file (idempotent; a no-op once it has been moved into the store)."""
        self._out.close()
        self.path.unlink(missing_ok=True)


class Readable(Protocol):
    """Anything bytes are read from: a file, an upload, a member of an archive."""

    def read(self, size: int = ..., /) -> bytes: ...


@contextmanager
def spool(stream: Readable, *, max_size: int) -> Iterator[SpooledFile]:
    """Copy `stream` to a local temporary file, digesting it; removed on exit unless moved."""
    writer = SpoolWriter(max_size=max_size)
    try:
        while chunk := stream.read(CHUNK):
            writer.write(chunk)
        yield writer.finish()
    finally:
        writer.discard()


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
    # Django's File proxies the binary file the storage opened (read, seek, iteration).
    return cast(BinaryIO, object_storage().open(stored.storage_name, "rb"))


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
